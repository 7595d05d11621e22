// The cache end to end: a rerun with nothing changed runs no stage and writes the same image
// digests; editing a source file reruns every platform; per stage, only the stages whose
// declared inputs (or needed stages) changed run again; --no-cache; `xbuild cache info` and
// `prune`; two clones in different directories share entries and give identical digests; two
// runs at once on one project.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <string_view>
#include <vector>

#include "e2e/e2e_support.h"
#include "e2e/run_report.h"
#include "util/fs.h"
#include "util/strings.h"

namespace xb::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const char* const kBothCached =
    "xbuild: linux/amd64: cached (build, test)\n"
    "xbuild: linux/arm64: cached (build, test)\n";

TEST(Cache, ARerunWithNothingChangedRunsNoStageAndWritesTheSameDigests) {
  XB_REQUIRE_TOOLS("make", "aarch64-linux-gnu-gcc", "qemu-aarch64-static");
  ScratchDir scratch;
  fs::path project = copy_example("hello", scratch / "hello");
  scratch.write("hello/xbuild.toml", kTwoPlatformConfig);
  std::map<std::string, std::string> env = {{"XBUILD_CACHE_DIR", (scratch / "cache").string()}};

  ReportedRun cold = xbuild_run({}, project, env);
  ASSERT_EQ(cold.exit_code, 0) << cold.err;
  EXPECT_EQ(cold.err.find("cached"), std::string::npos) << cold.err;
  EXPECT_NE(cold.out.find("[linux/arm64 test] "), std::string::npos) << cold.out;
  fs::path log = project / ".xbuild/logs/linux-arm64/test.log";
  std::string test_log = read_file(log).value();

  fs::path index_json = project / ".xbuild/oci/index.json";
  fs::file_time_type published = fs::last_write_time(index_json);
  ReportedRun warm = xbuild_run({}, project, env);
  ASSERT_EQ(warm.exit_code, 0) << warm.err;
  EXPECT_EQ(fs::last_write_time(index_json), published) << "the unchanged layout was written again";
  EXPECT_EQ(warm.err, kBothCached);
  EXPECT_EQ(warm.out.find("[linux/"), std::string::npos) << "a stage ran:\n" << warm.out;
  json arm64 = warm.platform("linux/arm64");
  EXPECT_EQ(arm64["strategy"], "cross") << warm.metadata;
  EXPECT_EQ(arm64["stages"], json({{"build", "cached"}, {"test", "cached"}})) << warm.metadata;
  // Each stage's duration: what it took to run cold, what restoring it took warm (next to nothing).
  for (const char* stage : {"build", "test"}) {
    json ran = cold.platform("linux/arm64")["durations"][stage], restored = arm64["durations"][stage];
    ASSERT_TRUE(ran.is_number() && restored.is_number()) << cold.metadata << warm.metadata;
    EXPECT_GT(ran.get<double>(), 0) << stage;
    EXPECT_GE(restored.get<double>(), 0) << stage;
    EXPECT_LT(restored.get<double>(), 1) << stage;
  }
  EXPECT_TRUE(starts_with(arm64.value("containerimage.digest", ""), "sha256:")) << warm.metadata;
  EXPECT_EQ(warm.index_digest(), cold.index_digest());
  EXPECT_FALSE(warm.index_digest().empty());
  EXPECT_EQ(read_file(log).value(), test_log) << "the log was not restored";
  EXPECT_TRUE(fs::exists(project / ".xbuild/out/linux-arm64/hello"));

  // One source file changes: every platform builds again, and the image changes.
  scratch.write("hello/src/extra.h", "/* a new header nobody includes */\n");
  ReportedRun edited = xbuild_run({}, project, env);
  ASSERT_EQ(edited.exit_code, 0) << edited.err;
  EXPECT_EQ(edited.err, "");
  EXPECT_NE(edited.out.find("[linux/amd64 test] "), std::string::npos) << edited.out;
  EXPECT_NE(edited.out.find("[linux/arm64 test] "), std::string::npos) << edited.out;
  EXPECT_EQ(edited.index_digest(), cold.index_digest()) << "same binary, same image";

  // Files the project ignores do not count.
  scratch.write("hello/.xbuildignore", "notes/\n");
  ASSERT_EQ(xbuild({"run"}, project, env).exit_code, 0);
  scratch.write("hello/notes/todo.txt", "nothing\n");
  EXPECT_EQ(xbuild({"run"}, project, env).err, kBothCached);

  CommandResult uncached = xbuild({"run", "--no-cache"}, project, env);
  ASSERT_EQ(uncached.exit_code, 0) << uncached.err;
  EXPECT_EQ(uncached.err, "");
  EXPECT_NE(uncached.out.find("[linux/arm64 test] "), std::string::npos) << uncached.out;
}

// A rerun whose stages are all cached leaves a platform's $XBUILD_OUT and logs alone when they
// are as the last run left them (the same files, not rewritten), and empties and restores
// them when anything there was changed, added or removed.
TEST(Cache, ACachedRerunRestoresOnlyOutputsThatChanged) {
  XB_REQUIRE_TOOLS("make", "aarch64-linux-gnu-gcc", "qemu-aarch64-static");
  ScratchDir scratch;
  fs::path project = copy_example("hello", scratch / "hello");
  scratch.write("hello/xbuild.toml", kTwoPlatformConfig);
  std::map<std::string, std::string> env = {{"XBUILD_CACHE_DIR", (scratch / "cache").string()}};
  ASSERT_EQ(xbuild({"run"}, project, env).exit_code, 0);
  fs::path amd64 = project / ".xbuild/out/linux-amd64/hello";
  fs::path arm64 = project / ".xbuild/out/linux-arm64/hello";
  fs::path arm64_log = project / ".xbuild/logs/linux-arm64/test.log";
  std::string amd64_binary = read_file(amd64).value();
  std::string arm64_test_log = read_file(arm64_log).value();
  // Inode and change time: a file written again (even at a reused inode) has a new ctime.
  auto identity = [](const fs::path& path) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) return std::string();
    return std::to_string(info.st_ino) + "@" + std::to_string(info.st_ctim.tv_sec) + "." +
           std::to_string(info.st_ctim.tv_nsec);
  };
  std::string arm64_identity = identity(arm64);

  // Entries not restored are still marked as used, or `cache prune` would take them first.
  fs::file_time_type long_ago = fs::file_time_type::clock::now() - std::chrono::hours(24 * 365);
  for (const fs::directory_entry& entry : fs::directory_iterator(scratch / "cache" / "entries"))
    fs::last_write_time(entry.path(), long_ago);

  CommandResult warm = xbuild({"run"}, project, env);
  ASSERT_EQ(warm.exit_code, 0) << warm.err;
  EXPECT_EQ(warm.err, kBothCached);
  EXPECT_EQ(identity(arm64), arm64_identity) << "an intact output was restored again";
  for (const fs::directory_entry& entry : fs::directory_iterator(scratch / "cache" / "entries"))
    EXPECT_GT(fs::last_write_time(entry.path()), long_ago) << entry.path() << " was not marked as used";

  // A changed output file, a stray file and a removed log: those platforms are restored whole.
  ASSERT_TRUE(write_file_atomic(amd64, "not the binary").ok());
  ASSERT_TRUE(write_file_atomic(project / ".xbuild/out/linux-arm64/stray", "left over").ok());
  CommandResult again = xbuild({"run"}, project, env);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.err, kBothCached);
  EXPECT_EQ(read_file(amd64).value(), amd64_binary);
  EXPECT_FALSE(fs::exists(project / ".xbuild/out/linux-arm64/stray"));
  EXPECT_TRUE(fs::exists(arm64));

  arm64_identity = identity(arm64);
  fs::remove(arm64_log);
  CommandResult restored = xbuild({"run"}, project, env);
  ASSERT_EQ(restored.exit_code, 0) << restored.err;
  EXPECT_EQ(read_file(arm64_log).value(), arm64_test_log);
  EXPECT_NE(identity(arm64), arm64_identity) << "the platform with a missing log was not restored";
  EXPECT_EQ(read_file(amd64).value(), amd64_binary);
}

// build reads src/, test reads tests/ (and what build wrote), lint declares no inputs (every
// project file); each appends "<stage> <platform>" to `runs`, outside the project.
std::string per_stage_config(const fs::path& runs) {
  std::string log = " >> '" + runs.string() + "'";
  return R"(
[project]
name = "hello"

[targets]
platforms = ["linux/amd64", "linux/arm64"]

[stage.build]
inputs = ["src/*"]
run = """make -s -C src CC="$CC" OUT="$XBUILD_OUT" && echo "build $XBUILD_PLATFORM")" +
         log + R"("""

[stage.test]
needs = ["build"]
inputs = ["tests/*"]
run = """$XBUILD_EXEC "$XBUILD_OUT/hello" --self-test && cp tests/expected "$XBUILD_OUT/" && echo "test $XBUILD_PLATFORM")" +
         log + R"("""

[stage.lint]
run = """echo "lint $XBUILD_PLATFORM")" +
         log + R"("""

[image]
entrypoint = ["/app/hello"]
copy = [{ from = "hello", to = "/app/hello" }]
)";
}

// The stages that ran since the last call, sorted, one "<stage> <platform>" a line.
std::string take_runs(const fs::path& runs) {
  Result<std::string> text = read_file(runs);
  fs::remove(runs);
  if (!text) return "";
  std::vector<std::string> lines;
  for (std::string_view line : split(text.value(), '\n'))
    if (!line.empty()) lines.emplace_back(line);
  std::sort(lines.begin(), lines.end());
  std::string sorted;
  for (const std::string& line : lines) sorted += line + "\n";
  return sorted;
}

TEST(Cache, OnlyTheStagesWhoseInputsChangedRunAgainOnEveryPlatform) {
  XB_REQUIRE_TOOLS("make", "aarch64-linux-gnu-gcc", "qemu-aarch64-static");
  ScratchDir scratch;
  fs::path project = copy_example("hello", scratch / "hello");
  fs::path runs = scratch / "runs";
  scratch.write("hello/xbuild.toml", per_stage_config(runs));
  scratch.write("hello/tests/expected", "Hello\n");
  std::map<std::string, std::string> env = {{"XBUILD_CACHE_DIR", (scratch / "cache").string()}};

  ReportedRun cold = xbuild_run({}, project, env);
  ASSERT_EQ(cold.exit_code, 0) << cold.err;
  EXPECT_EQ(cold.err, "");
  EXPECT_EQ(take_runs(runs),
            "build linux/amd64\nbuild linux/arm64\nlint linux/amd64\nlint linux/arm64\n"
            "test linux/amd64\ntest linux/arm64\n");
  ASSERT_FALSE(cold.index_digest().empty()) << cold.out;

  ReportedRun warm = xbuild_run({}, project, env);
  ASSERT_EQ(warm.exit_code, 0) << warm.err;
  EXPECT_EQ(take_runs(runs), "");
  EXPECT_EQ(warm.err,
            "xbuild: linux/amd64: cached (build, test, lint)\n"
            "xbuild: linux/arm64: cached (build, test, lint)\n");
  EXPECT_EQ(warm.index_digest(), cold.index_digest());
  EXPECT_EQ(read_file(project / ".xbuild/out/linux-arm64/expected").value(), "Hello\n") << "test's output";

  // A test file changes: test (and lint, which reads everything) run again; build is restored.
  scratch.write("hello/tests/expected", "Hello, again\n");
  ReportedRun tests_edited = xbuild_run({}, project, env);
  ASSERT_EQ(tests_edited.exit_code, 0) << tests_edited.err;
  EXPECT_EQ(take_runs(runs), "lint linux/amd64\nlint linux/arm64\ntest linux/amd64\ntest linux/arm64\n");
  EXPECT_EQ(tests_edited.err,
            "xbuild: linux/amd64: cached (build); running (test, lint)\n"
            "xbuild: linux/arm64: cached (build); running (test, lint)\n");
  EXPECT_EQ(tests_edited.index_digest(), cold.index_digest()) << "the same binary from the cache";
  EXPECT_EQ(read_file(project / ".xbuild/out/linux-amd64/expected").value(), "Hello, again\n");
  json arm64 = tests_edited.platform("linux/arm64");
  EXPECT_EQ(arm64["strategy"], "cross") << tests_edited.metadata;
  EXPECT_EQ(arm64["stages"]["build"], "cached") << tests_edited.metadata;
  EXPECT_EQ(arm64["stages"]["test"], "ok") << tests_edited.metadata;

  // A source file changes: build, and test because it needs build, run again.
  scratch.write("hello/src/extra.h", "/* a new header nobody includes */\n");
  CommandResult sources_edited = xbuild({"run"}, project, env);
  ASSERT_EQ(sources_edited.exit_code, 0) << sources_edited.err;
  EXPECT_EQ(sources_edited.err, "");
  EXPECT_EQ(take_runs(runs),
            "build linux/amd64\nbuild linux/arm64\nlint linux/amd64\nlint linux/arm64\n"
            "test linux/amd64\ntest linux/arm64\n");

  // A file no glob names: only the stage without inputs runs.
  scratch.write("hello/README", "hello\n");
  ReportedRun readme = xbuild_run({}, project, env);
  ASSERT_EQ(readme.exit_code, 0) << readme.err;
  EXPECT_EQ(take_runs(runs), "lint linux/amd64\nlint linux/arm64\n");
  EXPECT_EQ(readme.err,
            "xbuild: linux/amd64: cached (build, test); running (lint)\n"
            "xbuild: linux/arm64: cached (build, test); running (lint)\n");

  // An output deleted between runs does not matter: the output directory is rebuilt.
  fs::remove(project / ".xbuild/out/linux-amd64/hello");
  ReportedRun deleted = xbuild_run({}, project, env);
  ASSERT_EQ(deleted.exit_code, 0) << deleted.err;
  EXPECT_EQ(take_runs(runs), "");
  EXPECT_EQ(deleted.err,
            "xbuild: linux/amd64: cached (build, test, lint)\n"
            "xbuild: linux/arm64: cached (build, test, lint)\n");
  EXPECT_TRUE(fs::exists(project / ".xbuild/out/linux-amd64/hello"));
  EXPECT_EQ(deleted.index_digest(), readme.index_digest());

  // The config: a comment reruns nothing, an edit of one stage reruns that stage (and the stages
  // that need it), not the others.
  std::string config = per_stage_config(runs);
  scratch.write("hello/xbuild.toml", "# the same stages, a comment added\n" + config);
  ReportedRun commented = xbuild_run({}, project, env);
  ASSERT_EQ(commented.exit_code, 0) << commented.err;
  EXPECT_EQ(take_runs(runs), "");
  const std::string lint = "run = \"\"\"echo \"lint $XBUILD_PLATFORM\"";
  ASSERT_NE(config.find(lint), std::string::npos);
  config.replace(config.find(lint), lint.size(), "run = \"\"\"true && echo \"lint $XBUILD_PLATFORM\"");
  scratch.write("hello/xbuild.toml", config);
  ReportedRun other_stage = xbuild_run({}, project, env);
  ASSERT_EQ(other_stage.exit_code, 0) << other_stage.err;
  EXPECT_EQ(take_runs(runs), "lint linux/amd64\nlint linux/arm64\n");
  EXPECT_EQ(other_stage.err,
            "xbuild: linux/amd64: cached (build, test); running (lint)\n"
            "xbuild: linux/arm64: cached (build, test); running (lint)\n");
  const std::string build = "make -s -C src";
  config.replace(config.find(build), build.size(), "make -s -C src -j1");
  scratch.write("hello/xbuild.toml", config);
  ReportedRun this_stage = xbuild_run({}, project, env);
  ASSERT_EQ(this_stage.exit_code, 0) << this_stage.err;
  EXPECT_EQ(take_runs(runs), "build linux/amd64\nbuild linux/arm64\ntest linux/amd64\ntest linux/arm64\n");
  EXPECT_EQ(this_stage.err,
            "xbuild: linux/amd64: cached (lint); running (build, test)\n"
            "xbuild: linux/arm64: cached (lint); running (build, test)\n");
}

TEST(Cache, InfoAndPrune) {
  XB_REQUIRE_TOOLS("make", "aarch64-linux-gnu-gcc", "qemu-aarch64-static");
  ScratchDir scratch;
  fs::path project = copy_example("hello", scratch / "hello");
  scratch.write("hello/xbuild.toml", kTwoPlatformConfig);
  fs::path cache = scratch / "cache";
  std::map<std::string, std::string> env = {{"XBUILD_CACHE_DIR", cache.string()}};

  CommandResult empty = xbuild({"cache", "info"}, project, env);
  EXPECT_EQ(empty.exit_code, 0);
  EXPECT_EQ(empty.out, "cache: " + cache.string() + "\nentries: 0\nobjects: 0\nsize: 0 B\n");

  ASSERT_EQ(xbuild({"run"}, project, env).exit_code, 0);
  CommandResult info = xbuild({"cache", "info"}, project, env);
  EXPECT_EQ(info.exit_code, 0);
  // One entry per stage and platform; the two binaries and the logs are the objects.
  EXPECT_EQ(info.out.rfind("cache: " + cache.string() + "\nentries: 4\nobjects: 5\nsize: ", 0), 0u) << info.out;

  CommandResult kept = xbuild({"cache", "prune", "--max-size", "1G"}, project, env);
  EXPECT_EQ(kept.exit_code, 0) << kept.err;
  EXPECT_EQ(kept.out.rfind("pruned " + cache.string() + ": 0 entries and 0 B removed; 4 entries, ", 0), 0u) << kept.out;

  CommandResult pruned =
      xbuild({"cache", "--cache-dir", cache.string(), "prune"}, project, {{"XBUILD_CACHE_DIR", "/nonexistent"}});
  EXPECT_EQ(pruned.exit_code, 0) << pruned.err;
  EXPECT_EQ(pruned.out.rfind("pruned " + cache.string() + ": 4 entries and ", 0), 0u) << pruned.out;
  EXPECT_NE(pruned.out.find(" removed; 0 entries, 0 B left\n"), std::string::npos) << pruned.out;
  EXPECT_EQ(xbuild({"run"}, project, env).err, "") << "nothing is cached any more";

  CommandResult bad = xbuild({"cache", "prune", "--max-size", "lots"}, project, env);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(bad.err,
            "xbuild: error: --max-size \"lots\" is not a size: write a number of bytes with an optional unit K, M, G "
            "or T (for example 500M)\n");
}

// A git repository holding the example, committed at a fixed time.
fs::path make_repository(const ScratchDir& scratch) {
  fs::path repo = copy_example("hello", scratch / "origin");
  scratch.write("origin/xbuild.toml", kTwoPlatformConfig);
  std::map<std::string, std::string> git_env = {{"GIT_AUTHOR_NAME", "t"},
                                                {"GIT_AUTHOR_EMAIL", "t@example.com"},
                                                {"GIT_COMMITTER_NAME", "t"},
                                                {"GIT_COMMITTER_EMAIL", "t@example.com"},
                                                {"GIT_AUTHOR_DATE", "1600000000 +0000"},
                                                {"GIT_COMMITTER_DATE", "1600000000 +0000"}};
  EXPECT_EQ(run({"git", "init", "-q", repo.string()}).exit_code, 0);
  EXPECT_EQ(run({"git", "-C", repo.string(), "add", "."}, git_env).exit_code, 0);
  EXPECT_EQ(run({"git", "-C", repo.string(), "commit", "-q", "-m", "hello"}, git_env).exit_code, 0);
  return repo;
}

TEST(Cache, TwoClonesInDifferentDirectoriesShareTheCacheAndGiveIdenticalDigests) {
  XB_REQUIRE_TOOLS("git", "make", "aarch64-linux-gnu-gcc", "qemu-aarch64-static");
  ScratchDir scratch;
  fs::path repo = make_repository(scratch);
  fs::path first = scratch / "a/hello", second = scratch / "somewhere/else/hello";
  ASSERT_EQ(run({"git", "clone", "-q", repo.string(), first.string()}).exit_code, 0);
  ASSERT_EQ(run({"git", "clone", "-q", repo.string(), second.string()}).exit_code, 0);
  // No SOURCE_DATE_EPOCH: the time of the last commit is used.
  std::map<std::string, std::string> env = {{"XBUILD_CACHE_DIR", (scratch / "cache").string()},
                                            {"SOURCE_DATE_EPOCH", ""}};

  CommandResult built = xbuild({"run", "--metadata-file", (scratch / "a.json").string()}, first, env);
  ASSERT_EQ(built.exit_code, 0) << built.err;
  CommandResult reused = xbuild({"run", "--metadata-file", (scratch / "b.json").string()}, second, env);
  ASSERT_EQ(reused.exit_code, 0) << reused.err;
  EXPECT_EQ(reused.err, kBothCached);
  CommandResult rebuilt = xbuild({"run", "--no-cache", "--metadata-file", (scratch / "c.json").string()}, second, env);
  ASSERT_EQ(rebuilt.exit_code, 0) << rebuilt.err;
  EXPECT_EQ(rebuilt.err, "");

  std::string built_index = metadata_index_digest(read_metadata(scratch / "a.json"));
  ASSERT_FALSE(built_index.empty());
  EXPECT_EQ(built_index, metadata_index_digest(read_metadata(scratch / "b.json")));
  EXPECT_EQ(built_index, metadata_index_digest(read_metadata(scratch / "c.json")));
  // Equal but for how long each stage took.
  auto without_durations = [](json metadata) {
    for (auto& [name, platform] : metadata["platforms"].items()) platform.erase("durations");
    return metadata;
  };
  EXPECT_EQ(without_durations(read_metadata(scratch / "a.json")), without_durations(read_metadata(scratch / "c.json")));
  std::string index = read_file(first / ".xbuild/oci/blobs/sha256" / built_index.substr(7)).value();
  EXPECT_NE(index.find("\"2020-09-13T12:26:40Z\""), std::string::npos) << "created is the commit time:\n" << index;
}

TEST(Cache, TwoRunsAtOnceOnOneProjectTakeTurns) {
  XB_REQUIRE_TOOLS("make", "aarch64-linux-gnu-gcc", "qemu-aarch64-static");
  ScratchDir scratch;
  fs::path project = copy_example("hello", scratch / "hello");
  scratch.write("hello/xbuild.toml", std::string(kTwoPlatformConfig) + "\n[stage.slow]\nrun = 'sleep 1'\n");
  std::map<std::string, std::string> env = {{"XBUILD_CACHE_DIR", (scratch / "cache").string()}};
  auto one_run = [&] { return xbuild_run({"--no-cache"}, project, env); };
  std::future<ReportedRun> first = std::async(std::launch::async, one_run);
  std::future<ReportedRun> second = std::async(std::launch::async, one_run);
  ReportedRun a = first.get(), b = second.get();
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.err;
  std::string waiting =
      "xbuild: waiting for the other xbuild run using " + (project / ".xbuild").string() + " to finish\n";
  EXPECT_EQ((a.err == waiting) + (b.err == waiting), 1) << a.err << "\n---\n" << b.err;
  EXPECT_EQ((a.err == "") + (b.err == ""), 1) << a.err << "\n---\n" << b.err;
  EXPECT_EQ(a.index_digest(), b.index_digest());
  EXPECT_FALSE(a.index_digest().empty());
}

}  // namespace
}  // namespace xb::testing

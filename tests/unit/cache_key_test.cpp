// Cache keys: what changes a key and what must not (the clone's directory, volatile variables,
// ignored files).
#include "cache/cache_key.h"

#include <gtest/gtest.h>

#include "support/scratch_dir.h"

namespace xb {
namespace {

namespace fs = std::filesystem;
using testing::ScratchDir;

// Two targets, each with build and test (test needs build), as make_plan lays them out.
Plan two_target_plan(const fs::path& project, const fs::path& state) {
  Plan plan;
  plan.state_dir = state;
  for (const char* name : {"linux/amd64", "linux/arm64"}) {
    TargetPlan target;
    target.platform = parse_platform(name).value();
    target.strategy = Strategy::cross;
    target.status.compiler = "/usr/bin/cc";
    target.status.compiler_version = "14.2.0";
    target.output_dir = state / "out" / name;
    std::size_t index = plan.targets.size();
    plan.targets.push_back(target);
    JobPlan build;
    build.target = index;
    build.stage = "build";
    build.command = "make";
    build.env = {{"XBUILD_SRC", project.string()}, {"XBUILD_OUT", (state / "out" / name).string()}};
    JobPlan test = build;
    test.stage = "test";
    test.command = "./hello";
    test.needs = {plan.jobs.size()};
    plan.jobs.push_back(build);
    plan.jobs.push_back(test);
  }
  return plan;
}

const std::vector<std::string> kEnv = {"PATH=/usr/bin:/bin", "HOME=/root"};
const std::map<std::string, std::string> kInputs = {{"build", "sha256:in"}, {"test", "sha256:in"}};
const std::map<std::string, std::string> kOtherInputs = {{"build", "sha256:other"}, {"test", "sha256:other"}};

TEST(CacheKey, TwoClonesInDifferentDirectoriesShareKeys) {
  CacheKeys first = compute_cache_keys(two_target_plan("/a/hello", "/a/hello/.xbuild"), "/a/hello", kInputs,
                                       {"PATH=/usr/bin", "PWD=/a/hello"});
  CacheKeys second = compute_cache_keys(two_target_plan("/b/work/hello", "/b/work/hello/.xbuild"), "/b/work/hello",
                                        kInputs, {"PATH=/usr/bin", "PWD=/b/work/hello", "SHLVL=3"});
  EXPECT_EQ(first.jobs, second.jobs);
  EXPECT_EQ(first.targets, second.targets);
  EXPECT_NE(first.jobs[0], first.jobs[2]) << "platforms have different keys";
}

// [targets] ccache: each machine keeps its ccache directories where its cache directory is (in
// the project, say, or in the home directory); the stages' keys stay the same.
Plan ccache_plan(const fs::path& project, const fs::path& cache) {
  Plan plan = two_target_plan(project, project / ".xbuild");
  for (JobPlan& job : plan.jobs) {
    TargetPlan& target = plan.targets[job.target];
    target.ccache = CcachePlan{cache / "ccache" / target.platform.slug(), "redis://cache.example:6379"};
    job.env["CCACHE_DIR"] = target.ccache->dir.string();
    job.env["CCACHE_BASEDIR"] = project.string();
    job.launcher = {"/usr/bin/xbuild", "__sandbox", "--bind", target.ccache->dir.string() + ":/xbuild/ccache"};
  }
  return plan;
}

TEST(CacheKey, WhereTheCcacheDirectoryIsChangesNoKey) {
  CacheKeys first = compute_cache_keys(ccache_plan("/a/hello", "/a/hello/.cache"), "/a/hello", kInputs, kEnv);
  CacheKeys second = compute_cache_keys(ccache_plan("/b/hello", "/root/.cache/xbuild"), "/b/hello", kInputs, kEnv);
  EXPECT_EQ(first.jobs, second.jobs);
  EXPECT_EQ(first.targets, second.targets);
}

TEST(CacheKey, ACommandChangeReachesTheStagesThatNeedIt) {
  Plan plan = two_target_plan("/p", "/p/.xbuild");
  CacheKeys before = compute_cache_keys(plan, "/p", kInputs, kEnv);
  plan.jobs[0].command = "make V=1";  // linux/amd64 build
  CacheKeys after = compute_cache_keys(plan, "/p", kInputs, kEnv);
  EXPECT_NE(before.jobs[0], after.jobs[0]);
  EXPECT_NE(before.jobs[1], after.jobs[1]) << "test needs build";
  EXPECT_EQ(before.jobs[2], after.jobs[2]);
  EXPECT_EQ(before.jobs[3], after.jobs[3]);
  EXPECT_NE(before.targets[0], after.targets[0]);
  EXPECT_EQ(before.targets[1], after.targets[1]);
}

TEST(CacheKey, ToolchainPassedEnvironmentAndInputsChangeKeysButTheRestOfTheEnvironmentDoesNot) {
  Plan plan = two_target_plan("/p", "/p/.xbuild");
  CacheKeys base = compute_cache_keys(plan, "/p", kInputs, kEnv);
  // Another machine, another user, a CI run's own variables: the same keys.
  EXPECT_EQ(compute_cache_keys(
                plan, "/p", kInputs,
                {"PATH=/opt/bin:/usr/bin", "HOME=/home/ci", "USER=ci", "GITHUB_RUN_ID=42", "CI_JOB_ID=7", "CFLAGS=-O0"})
                .targets,
            base.targets);
  // A variable a stage declares it reads (pass_env) is part of its key.
  plan.jobs[0].pass_env = {"CFLAGS"};
  CacheKeys passed = compute_cache_keys(plan, "/p", kInputs, {"PATH=/usr/bin:/bin", "CFLAGS=-O0"});
  EXPECT_NE(passed.jobs[0], compute_cache_keys(plan, "/p", kInputs, {"PATH=/usr/bin:/bin", "CFLAGS=-O2"}).jobs[0]);
  EXPECT_EQ(passed.jobs[2], base.jobs[2]);
  plan.jobs[0].pass_env.clear();
  EXPECT_NE(compute_cache_keys(plan, "/p", kOtherInputs, kEnv).targets[0], base.targets[0]);
  Plan newer = plan;
  newer.targets[1].status.compiler_version = "14.3.0";
  CacheKeys upgraded = compute_cache_keys(newer, "/p", kInputs, kEnv);
  EXPECT_EQ(upgraded.targets[0], base.targets[0]);
  EXPECT_NE(upgraded.targets[1], base.targets[1]);
}

// A directory rootfs is stamped (cache_pass.cpp): a file changed in it reruns that target's
// stages, not the other target's.
TEST(CacheKey, ARootfsStampReachesItsTargetsStagesOnly) {
  Plan plan = two_target_plan("/p", "/p/.xbuild");
  CacheKeys base = compute_cache_keys(plan, "/p", kInputs, kEnv, {"", "stamp-1"});
  CacheKeys changed = compute_cache_keys(plan, "/p", kInputs, kEnv, {"", "stamp-2"});
  EXPECT_EQ(changed.jobs[0], base.jobs[0]);
  EXPECT_EQ(changed.jobs[1], base.jobs[1]);
  EXPECT_NE(changed.jobs[2], base.jobs[2]);
  EXPECT_NE(changed.jobs[3], base.jobs[3]);
  EXPECT_EQ(compute_cache_keys(plan, "/p", kInputs, kEnv, {"", "stamp-1"}).jobs, base.jobs);
}

TEST(CacheKey, AStageInputsChangeReachesItAndTheStagesThatNeedItOnly) {
  Plan plan = two_target_plan("/p", "/p/.xbuild");
  CacheKeys base = compute_cache_keys(plan, "/p", kInputs, kEnv);
  CacheKeys tests_edited = compute_cache_keys(plan, "/p", {{"build", "sha256:in"}, {"test", "sha256:new"}}, kEnv);
  EXPECT_EQ(tests_edited.jobs[0], base.jobs[0]);
  EXPECT_NE(tests_edited.jobs[1], base.jobs[1]);
  EXPECT_EQ(tests_edited.jobs[2], base.jobs[2]);
  EXPECT_NE(tests_edited.jobs[3], base.jobs[3]);
  CacheKeys sources_edited = compute_cache_keys(plan, "/p", {{"build", "sha256:new"}, {"test", "sha256:in"}}, kEnv);
  EXPECT_NE(sources_edited.jobs[0], base.jobs[0]);
  EXPECT_NE(sources_edited.jobs[1], base.jobs[1]) << "test needs build";
  EXPECT_NE(sources_edited.jobs[1], tests_edited.jobs[1]);
}

TEST(Glob, StarsStayInOneComponentDoubleStarsSpanAnyAndDirectoriesSelectWhatIsUnder) {
  EXPECT_TRUE(glob_selects("src/*.c", "src/hello.c"));
  EXPECT_FALSE(glob_selects("src/*.c", "src/lib/util.c"));
  EXPECT_FALSE(glob_selects("src/*.c", "src/hello.h"));
  EXPECT_TRUE(glob_selects("src/**/*.c", "src/hello.c")) << "** matches no component too";
  EXPECT_TRUE(glob_selects("src/**/*.c", "src/lib/deep/util.c"));
  EXPECT_FALSE(glob_selects("src/**/*.c", "tests/util.c"));
  EXPECT_TRUE(glob_selects("**/Makefile", "Makefile"));
  EXPECT_TRUE(glob_selects("**/Makefile", "src/Makefile"));
  EXPECT_TRUE(glob_selects("src", "src/lib/util.c"));
  EXPECT_TRUE(glob_selects("src/", "src/hello.c"));
  EXPECT_TRUE(glob_selects("./src/**", "src/lib/util.c"));
  EXPECT_FALSE(glob_selects("src", "srcs/hello.c"));
  EXPECT_TRUE(glob_selects("tests/*", "tests/data/input.txt")) << "tests/data is a directory it matches";
  EXPECT_TRUE(glob_selects("t?sts/[a-c]*", "tests/b.txt"));
  EXPECT_FALSE(glob_selects("t?sts/[a-c]*", "tests/d.txt"));
  EXPECT_TRUE(glob_selects("*", ".hidden"));
  EXPECT_FALSE(glob_selects("Makefile", "src/Makefile")) << "a glob with no '/' is still rooted";
  EXPECT_FALSE(glob_selects("", "src/hello.c"));
}

TEST(CacheKey, EachStageHashesTheFilesItsGlobsSelectAndNoFileIsReadTwice) {
  ScratchDir scratch;
  fs::path project = scratch / "p";
  scratch.write("p/src/hello.c", "int main() { return 0; }\n");
  scratch.write("p/src/Makefile", "hello: hello.c\n");
  scratch.write("p/tests/expected.txt", "hello\n");
  scratch.write("p/xbuild.toml", "[project]\n");
  std::vector<StageSpec> stages(4);
  stages[0].name = "build";
  stages[0].inputs = std::vector<std::string>{"src/*"};
  stages[1].name = "test";
  stages[1].inputs = std::vector<std::string>{"tests"};
  stages[2].name = "lint";  // no inputs: every file
  stages[3].name = "publish";
  stages[3].inputs = std::vector<std::string>{};  // none
  Config config;
  config.file = project / "xbuild.toml";
  config.directory = project;
  config.stages = stages;
  auto digests = [&] { return hash_stage_inputs(config, project / ".xbuild").value(); };
  std::map<std::string, std::string> base = digests();
  EXPECT_NE(base.at("lint"), hash_project_inputs(project, project / ".xbuild").value()) << "every file but the config";
  EXPECT_NE(base.at("build"), base.at("test"));

  ProjectInputs inputs = ProjectInputs::scan(project, project / ".xbuild", config.file).value();
  EXPECT_EQ(inputs.file_count(), 4u);
  EXPECT_EQ(inputs.digest(stages[0].inputs).value(), base.at("build"));
  EXPECT_EQ(inputs.files_hashed(), 2u);
  EXPECT_EQ(inputs.digest(stages[3].inputs).value(), base.at("publish"));
  EXPECT_EQ(inputs.files_hashed(), 2u);
  EXPECT_EQ(inputs.digest(std::nullopt).value(), base.at("lint"));
  EXPECT_EQ(inputs.files_hashed(), 3u) << "the sources were not read again, the config not at all";

  scratch.write("p/tests/expected.txt", "hello, world\n");
  std::map<std::string, std::string> tests_edited = digests();
  EXPECT_EQ(tests_edited.at("build"), base.at("build"));
  EXPECT_NE(tests_edited.at("test"), base.at("test"));
  EXPECT_NE(tests_edited.at("lint"), base.at("lint"));
  EXPECT_EQ(tests_edited.at("publish"), base.at("publish"));
  scratch.write("p/README", "a file no glob selects\n");
  std::map<std::string, std::string> added = digests();
  EXPECT_EQ(added.at("build"), base.at("build"));
  EXPECT_EQ(added.at("test"), tests_edited.at("test"));
  EXPECT_NE(added.at("lint"), tests_edited.at("lint"));
  // A comment in the config reruns nothing: what it says of each stage is in the stage's key.
  scratch.write("p/xbuild.toml", "[project]\n# a comment\n");
  EXPECT_EQ(digests(), added);
  // ...unless a stage names the config among its inputs.
  config.stages[3].inputs = std::vector<std::string>{"xbuild.toml"};
  std::string reads_config = digests().at("publish");
  scratch.write("p/xbuild.toml", "[project]\n# another comment\n");
  EXPECT_NE(digests().at("publish"), reads_config);
}

TEST(CacheKey, ProjectInputsFollowContentAndModeButNotIgnoredPaths) {
  ScratchDir scratch;
  fs::path project = scratch / "p";
  scratch.write("p/src/hello.c", "int main() { return 0; }\n");
  scratch.write("p/xbuild.toml", "[project]\n");
  scratch.write("p/.xbuildignore", "# generated\nbuild/\n*.tmp\n/docs/**/draft-*\n");
  std::string base = hash_project_inputs(project, project / ".xbuild").value();
  scratch.write("p/docs/a/b/draft-1.md", "not yet");
  scratch.write("p/deep/build/x.o", "a directory named build at any depth");
  EXPECT_EQ(hash_project_inputs(project, project / ".xbuild").value(), base);

  scratch.write("p/.git/HEAD", "ref: refs/heads/main\n");
  scratch.write("p/.xbuild/out/linux-amd64/hello", "ELF");
  scratch.write("p/build/obj.o", "object");
  scratch.write("p/src/notes.tmp", "scratch");
  EXPECT_EQ(hash_project_inputs(project, project / ".xbuild").value(), base);

  scratch.write("p/src/hello.c", "int main() { return 1; }\n");
  std::string edited = hash_project_inputs(project, project / ".xbuild").value();
  EXPECT_NE(edited, base);
  fs::permissions(project / "src/hello.c", fs::perms::owner_exec, fs::perm_options::add);
  EXPECT_NE(hash_project_inputs(project, project / ".xbuild").value(), edited);

  scratch.write("q/src/hello.c", "int main() { return 0; }\n");
  scratch.write("q/xbuild.toml", "[project]\n");
  scratch.write("q/.xbuildignore", "# generated\nbuild/\n*.tmp\n/docs/**/draft-*\n");
  EXPECT_EQ(hash_project_inputs(scratch / "q", scratch / "q/.xbuild").value(), base) << "the directory is not hashed";
}

TEST(CacheKey, AStateDirectoryInsideTheProjectIsNotAnInput) {
  ScratchDir scratch;
  scratch.write("p/src/hello.c", "x");
  std::string base = hash_project_inputs(scratch / "p", scratch / "p/state").value();
  scratch.write("p/state/logs/build.log", "log");
  EXPECT_EQ(hash_project_inputs(scratch / "p", scratch / "p/state").value(), base);
}

}  // namespace
}  // namespace xb

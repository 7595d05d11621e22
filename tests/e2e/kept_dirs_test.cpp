// Kept directories ([stage.NAME] keep, $XBUILD_WORK): a real project (cJSON, from Debian's
// sources, CMake and Ninja) edited by one line rebuilds one compile and one link on each of the
// five platforms, by Ninja's own account, and gives the images a clean build gives, byte for byte;
// what wipes a kept directory (a new compiler, a new strategy, a new package list, --clean) says
// so in one line, as `xbuild plan` does beforehand; two runs at once on one project take turns.
#include <gtest/gtest.h>

#include <future>
#include <random>
#include <regex>

#include "e2e/debian_source.h"
#include "e2e/e2e_support.h"
#include "e2e/five_platforms.h"
#include "e2e/run_report.h"
#include "util/fs.h"
#include "util/strings.h"

namespace xb::testing {
namespace {

namespace fs = std::filesystem;

// The lines of a stage's log that Ninja prints for each step it runs ("[1/2] Building C object
// ..."), without the step counts.
std::vector<std::string> ninja_steps(const std::string& log) {
  std::vector<std::string> steps;
  static const std::regex step(R"(^\[\d+/\d+\] (.*)$)");
  for (const std::string& line : split(log, '\n')) {
    std::smatch match;
    if (std::regex_match(line, match, step)) steps.push_back(match[1]);
  }
  return steps;
}

void append(const fs::path& file, const std::string& text) {
  Result<std::string> content = read_file(file);
  ASSERT_TRUE(content) << content.error();
  ASSERT_TRUE(write_file_atomic(file, content.value() + text));
}

// A value no earlier run on this machine has seen: the stage keys of a test's runs are its own.
std::string nonce() { return std::to_string(std::random_device{}()) + "-" + std::to_string(std::random_device{}()); }

TEST(KeptDirs, CjsonOneLineEditRebuildsOneCompileAndLinkOnFivePlatformsAndMatchesACleanBuild) {
  XB_REQUIRE_TOOLS(five_platform_tools({"apt-get", "dpkg-source", "cmake", "ninja"}));
  DebianSource source = fetch_debian_source("cjson", "bookworm");
  if (source.tree.empty()) XB_MACHINE_CANNOT(source.error);
  ScratchDir scratch;
  fs::path tree = scratch / "cjson";
  std::string error;
  ASSERT_TRUE(copy_tree(source.tree, tree, &error)) << error;
  scratch.write("cjson/xbuild.toml", five_platform_config("cjson", R"(
[stage.build]
keep = ["build"]
run = '''
cmake -S . -B "$XBUILD_WORK/build" -G Ninja $XBUILD_CMAKE_ARGS -DCMAKE_INSTALL_PREFIX=/usr -DBUILD_SHARED_LIBS=OFF -DENABLE_CJSON_TEST=OFF -DENABLE_CJSON_UTILS=ON
cmake --build "$XBUILD_WORK/build"
DESTDIR="$XBUILD_OUT" cmake --install "$XBUILD_WORK/build"
'''

[image]
name = "localhost/cjson"
)"));
  const std::vector<std::string> args = {"--cache-dir", (scratch / "cache").string(), "--progress", "plain"};

  ReportedRun first = xbuild_run(args, tree);
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  for (const TargetPlatform& platform : five_platforms())
    EXPECT_GE(ninja_steps(stage_log(tree, platform, "build")).size(), 4u) << platform.name;

  // One line at the end of cJSON_Utils.c, which no line number of the file moves.
  append(tree / "cJSON_Utils.c", "/* edited */\n");
  ReportedRun edited = xbuild_run(args, tree);
  ASSERT_EQ(edited.exit_code, 0) << edited.out << edited.err;
  EXPECT_EQ(edited.out.find("wiped"), std::string::npos) << edited.out;
  const std::vector<std::string> one_compile_one_link = {"Building C object CMakeFiles/cjson_utils.dir/cJSON_Utils.c.o",
                                                         "Linking C static library libcjson_utils.a"};
  for (const TargetPlatform& platform : five_platforms())
    EXPECT_EQ(ninja_steps(stage_log(tree, platform, "build")), one_compile_one_link)
        << platform.name << "\n"
        << stage_log(tree, platform, "build");

  std::vector<std::string> clean_args = args;
  clean_args.push_back("--clean");
  ReportedRun clean = xbuild_run(clean_args, tree);
  ASSERT_EQ(clean.exit_code, 0) << clean.out << clean.err;
  for (const TargetPlatform& platform : five_platforms()) {
    EXPECT_NE(clean.out.find("xbuild: " + platform.name + " build: $XBUILD_WORK/build wiped: --clean\n"),
              std::string::npos)
        << clean.out;
    EXPECT_GE(ninja_steps(stage_log(tree, platform, "build")).size(), 4u) << platform.name;
    EXPECT_EQ(clean.platform(platform.name)["containerimage.digest"],
              edited.platform(platform.name)["containerimage.digest"])
        << platform.name;
  }
  EXPECT_EQ(clean.index_digest(), edited.index_digest());
  EXPECT_FALSE(edited.index_digest().empty());
}

// A small CMake project for linux/amd64 and linux/arm64 whose kept build tree the test watches.
class KeptDirKeys : public ::testing::Test {
 protected:
  void SetUp() override {
    scratch_.write("p/CMakeLists.txt",
                   "cmake_minimum_required(VERSION 3.13)\nproject(kept C)\nadd_executable(hello main.c util.c)\n");
    scratch_.write("p/main.c", "int util(void);\nint main(void) { return util(); }\n");
    scratch_.write("p/util.c", "int util(void) { return 0; }\n");
    scratch_.write("p/nonce.txt", nonce());  // in every stage's inputs: no earlier run's cache entry applies
    write_config("");
  }

  void write_config(const std::string& more) {
    scratch_.write("p/xbuild.toml", R"([project]
name = "kept"

[targets]
platforms = ["linux/amd64", "linux/arm64"]

[stage.build]
keep = ["build"]
run = '''
cmake -S . -B "$XBUILD_WORK/build" -G Ninja $XBUILD_CMAKE_ARGS
cmake --build "$XBUILD_WORK/build"
cp "$XBUILD_WORK/build/hello" "$XBUILD_OUT/"
'''
)" + more);
  }

  ReportedRun run_here(const std::vector<std::string>& more = {}, const std::map<std::string, std::string>& env = {}) {
    std::vector<std::string> args = {"--cache-dir", cache_dir().string(), "--progress", "plain"};
    args.insert(args.end(), more.begin(), more.end());
    return xbuild_run(args, project(), env);
  }

  CommandResult plan_here(const std::map<std::string, std::string>& env = {}) {
    return xbuild({"plan", "--cache-dir", cache_dir().string()}, project(), env);
  }

  std::string build_log(const std::string& slug) {
    Result<std::string> log = read_file(project() / ".xbuild/logs" / slug / "build.log");
    return log ? log.value() : "";
  }

  fs::path project() const { return scratch_ / "p"; }
  // Sysroots of Debian packages are kept between runs of this test on a machine.
  fs::path cache_dir() const { return test_tree_cache(); }

  ScratchDir scratch_;
};

TEST_F(KeptDirKeys, ACompilerStrategyOrPackageChangeWipesSayingWhyAndAnEditDoesNot) {
  XB_REQUIRE_TOOLS("cmake", "ninja", "x86_64-linux-gnu-gcc", "aarch64-linux-gnu-gcc", "mmdebstrap");
  ReportedRun first = run_here();
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  EXPECT_EQ(first.out.find("wiped"), std::string::npos) << first.out;
  CommandResult plan = plan_here();
  EXPECT_NE(plan.out.find("  linux/arm64 build  $XBUILD_WORK/build  reused\n"), std::string::npos) << plan.out;

  scratch_.write("p/main.c", "int util(void);\nint main(void) { return util() * 2; }\n");
  ReportedRun edited = run_here();
  ASSERT_EQ(edited.exit_code, 0) << edited.out << edited.err;
  EXPECT_EQ(edited.out.find("wiped"), std::string::npos) << edited.out;
  for (const char* slug : {"linux-amd64", "linux-arm64"})
    EXPECT_EQ(ninja_steps(build_log(slug)), (std::vector<std::string>{"Building C object CMakeFiles/hello.dir/main.c.o",
                                                                      "Linking C executable hello"}))
        << build_log(slug);

  const std::string arm64_packages = "\n[platform.\"linux/arm64\"]\npackages = [\"zlib1g-dev\"]\n";
  write_config(arm64_packages);
  ReportedRun new_packages = run_here();
  ASSERT_EQ(new_packages.exit_code, 0) << new_packages.out << new_packages.err;
  EXPECT_NE(new_packages.out.find("xbuild: linux/arm64 build: $XBUILD_WORK/build wiped: the root filesystem or "
                                  "sysroot changed (its packages or image)\n"),
            std::string::npos)
      << new_packages.out;
  EXPECT_EQ(new_packages.out.find("linux/amd64 build: $XBUILD_WORK/build wiped"), std::string::npos)
      << new_packages.out;

  // A new compiler version: a wrapper first on PATH that says it is 99.1.0.
  fs::path wrapper = scratch_.write("bin/aarch64-linux-gnu-gcc",
                                    "#!/bin/sh\n[ \"$1\" = -dumpfullversion ] && { echo 99.1.0; exit 0; }\n"
                                    "exec /usr/bin/aarch64-linux-gnu-gcc \"$@\"\n");
  fs::permissions(wrapper, fs::perms::owner_all);
  std::map<std::string, std::string> path = {
      {"PATH", (scratch_ / "bin").string() + ":" + std::string(std::getenv("PATH") ? std::getenv("PATH") : "")}};
  std::string compiler_changed =
      "xbuild: linux/arm64 build: $XBUILD_WORK/build wiped: the compiler changed "
      "(/usr/bin/aarch64-linux-gnu-gcc 12.2.0 -> " +
      wrapper.string() + " 99.1.0)\n";
  plan = plan_here(path);
  EXPECT_NE(plan.out.find("  linux/arm64 build  $XBUILD_WORK/build  wiped: the compiler changed "
                          "(/usr/bin/aarch64-linux-gnu-gcc 12.2.0 -> " +
                          wrapper.string() + " 99.1.0)\n"),
            std::string::npos)
      << plan.out;
  ReportedRun new_compiler = run_here({}, path);
  ASSERT_EQ(new_compiler.exit_code, 0) << new_compiler.out << new_compiler.err;
  EXPECT_NE(new_compiler.out.find(compiler_changed), std::string::npos) << new_compiler.out;
  EXPECT_EQ(new_compiler.out.find("linux/amd64 build: $XBUILD_WORK/build wiped"), std::string::npos)
      << new_compiler.out;
  EXPECT_EQ(ninja_steps(build_log("linux-arm64")).size(), 3u) << build_log("linux-arm64");  // two compiles, a link

  // linux/arm64 is as the packages run left it: restored from the cache, its tree left alone.
  write_config(arm64_packages + "\n[platform.\"linux/amd64\"]\nstrategy = \"cross\"\n");
  ReportedRun new_strategy = run_here();
  ASSERT_EQ(new_strategy.exit_code, 0) << new_strategy.out << new_strategy.err;
  EXPECT_NE(new_strategy.out.find(
                "xbuild: linux/amd64 build: $XBUILD_WORK/build wiped: the strategy changed (native -> cross)\n"),
            std::string::npos)
      << new_strategy.out;
  EXPECT_EQ(new_strategy.out.find("linux/arm64 build: $XBUILD_WORK/build wiped"), std::string::npos)
      << new_strategy.out;
  EXPECT_EQ(new_strategy.platform("linux/arm64")["stages"], nlohmann::json({{"build", "cached"}}));

  // A stray file in $XBUILD_WORK that no stage keeps does not survive the next run.
  scratch_.write("p/.xbuild/work/linux-amd64/stray/file", "x");
  ReportedRun clean = run_here({"--clean"});
  ASSERT_EQ(clean.exit_code, 0) << clean.out << clean.err;
  for (const char* platform : {"linux/amd64", "linux/arm64"})
    EXPECT_NE(clean.out.find(std::string("xbuild: ") + platform + " build: $XBUILD_WORK/build wiped: --clean\n"),
              std::string::npos)
        << clean.out;
  EXPECT_FALSE(fs::exists(project() / ".xbuild/work/linux-amd64/stray"));
  EXPECT_TRUE(fs::is_regular_file(project() / ".xbuild/work/linux-amd64/build/build.ninja"));
}

// Two runs at once on one project: the second waits for the first's lock on the state directory,
// which covers the kept directories, and both build what their sources say.
TEST_F(KeptDirKeys, TwoRunsAtOnceTakeTurnsOnTheKeptDirectories) {
  XB_REQUIRE_TOOLS("cmake", "ninja", "x86_64-linux-gnu-gcc", "aarch64-linux-gnu-gcc");
  auto one = std::async(std::launch::async, [&] { return run_here(); });
  auto other = std::async(std::launch::async, [&] { return run_here(); });
  ReportedRun a = one.get();
  ReportedRun b = other.get();
  ASSERT_EQ(a.exit_code, 0) << a.out << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.out << b.err;
  std::string both = a.out + a.err + b.out + b.err;
  EXPECT_NE(
      both.find("xbuild: waiting for the other xbuild run using " + (project() / ".xbuild").string() + " to finish"),
      std::string::npos)
      << both;
  EXPECT_EQ(a.index_digest(), b.index_digest());
  // The later run found the tree the earlier one built, under the same key.
  EXPECT_EQ(both.find("wiped"), std::string::npos) << both;
}

}  // namespace
}  // namespace xb::testing

// Real third-party projects, from Debian's source packages, built and tested the way each project
// does it, on all five Linux platforms in one `xbuild run` each: CMake and ctest (cJSON), Meson
// and meson test (FriBidi), autotools and make check (XZ Utils, and libpng against each target's
// zlib from a sysroot of Debian packages). Their configs hold only the projects' own commands:
// no QEMU_LD_PREFIX, no `set -e`, nothing per platform. The test programs run by their path under
// QEMU with the target's own libraries, which is what the maps tests below check from inside the
// programs. Every run is --no-cache, so every stage runs; the sysroots are kept between runs in
// the test cache (five_platforms.h). Also: a stage fails on its first failing line, and `xbuild
// plan` names what such a project needs of the machine.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <optional>
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

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// One Debian source package, unpacked once into the test cache and copied into a scratch
// directory with the project's xbuild.toml; then one `xbuild run` for the five platforms.
class RealProjects : public ::testing::Test {
 protected:
  // Puts the package's tree in the scratch directory (tree_), with `config` as its xbuild.toml.
  // Why it cannot, or "".
  std::string prepare(const std::string& package, const std::string& config) {
    DebianSource source = fetch_debian_source(package, "bookworm");
    if (source.tree.empty()) return source.error;
    std::string error;
    if (!copy_tree(source.tree, scratch_ / package, &error)) return error;
    scratch_.write(package + "/xbuild.toml", config);
    tree_ = scratch_ / package;
    return "";
  }

  // `xbuild run` of the five platforms, every stage of every platform passing.
  void run_five_platforms() {
    auto started = std::chrono::steady_clock::now();
    ReportedRun run = xbuild_run(five_platform_run_args(), tree_);
    std::printf("[ %s ] five platforms built and tested in %.1f s\n", tree_.filename().c_str(), seconds_since(started));
    EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
    for (const TargetPlatform& platform : five_platforms())
      EXPECT_EQ(run.platform(platform.name)["stages"], nlohmann::json({{"build", "ok"}, {"test", "ok"}}))
          << platform.name << "\n"
          << stage_log(tree_, platform, "build") << stage_log(tree_, platform, "test");
  }

  ScratchDir scratch_;
  fs::path tree_;
};

// cJSON's tests are add_test(... COMMAND "./test_x"): ctest runs them by their path, so a cross
// build passes only when binfmt_misc sends them to QEMU.
TEST_F(RealProjects, CjsonBuildsWithCMakeAndPassesItsCtestSuiteOnFivePlatforms) {
  XB_REQUIRE_TOOLS(five_platform_tools({"apt-get", "dpkg-source", "cmake", "ctest", "ninja"}));
  std::string unavailable = prepare("cjson", five_platform_config("cjson", R"(
[stage.build]
run = '''
cmake -S . -B "$XBUILD_OUT/build" -G Ninja $XBUILD_CMAKE_ARGS -DBUILD_SHARED_LIBS=OFF -DENABLE_CJSON_TEST=ON -DENABLE_CJSON_UTILS=ON
cmake --build "$XBUILD_OUT/build"
'''

[stage.test]
needs = ["build"]
run = 'ctest --test-dir "$XBUILD_OUT/build" --output-on-failure'
)"));
  if (!unavailable.empty()) XB_MACHINE_CANNOT(unavailable);
  if (std::string why = binaries_not_run_by_path(tree_); !why.empty()) XB_MACHINE_CANNOT(why);

  run_five_platforms();
  for (const TargetPlatform& platform : five_platforms()) {
    std::string test = stage_log(tree_, platform, "test");
    EXPECT_NE(test.find("100% tests passed, 0 tests failed out of 22\n"), std::string::npos) << platform.name << "\n"
                                                                                             << test;
  }
}

// FriBidi's meson test runs a Python test runner that runs the built `fribidi` by its path, and
// the cross-built conformance tests through the cross file's exe_wrapper; without one Meson would
// skip those (exit status 77) and still pass, so nothing may be skipped.
TEST_F(RealProjects, FribidiBuildsWithMesonAndPassesItsMesonTestSuiteOnFivePlatforms) {
  XB_REQUIRE_TOOLS(five_platform_tools({"apt-get", "dpkg-source", "meson", "ninja", "python3"}));
  std::string unavailable = prepare("fribidi", five_platform_config("fribidi", R"(
[stage.build]
run = '''
meson setup "$XBUILD_OUT/build" $XBUILD_MESON_ARGS -Ddocs=false -Ddefault_library=static
meson compile -C "$XBUILD_OUT/build"
'''

[stage.test]
needs = ["build"]
run = 'meson test -C "$XBUILD_OUT/build" --print-errorlogs'
)"));
  if (!unavailable.empty()) XB_MACHINE_CANNOT(unavailable);
  if (std::string why = binaries_not_run_by_path(tree_); !why.empty()) XB_MACHINE_CANNOT(why);

  run_five_platforms();
  const std::regex summary("\nOk: +8 *\nExpected Fail: +0 *\nFail: +0 *\nUnexpected Pass: +0 *\nSkipped: +0 *\n");
  for (const TargetPlatform& platform : five_platforms()) {
    std::string test = stage_log(tree_, platform, "test");
    EXPECT_TRUE(std::regex_search(test, summary)) << platform.name << "\n" << test;
    EXPECT_EQ(test.find(" SKIP "), std::string::npos) << platform.name << "\n" << test;
  }
}

// XZ Utils' make check runs ./xz and its test programs by their path through automake's test
// driver. configure is told --build as well as --host, so it knows it is cross compiling even
// though its test program runs.
TEST_F(RealProjects, XzBuildsWithAutotoolsAndPassesItsMakeCheckOnFivePlatforms) {
  XB_REQUIRE_TOOLS(five_platform_tools({"apt-get", "dpkg-source", "make"}));
  std::string unavailable = prepare("xz-utils", five_platform_config("xz-utils", R"(
[stage.build]
run = '''
mkdir -p "$XBUILD_OUT/build"
cd "$XBUILD_OUT/build"
"$XBUILD_SRC/configure" $XBUILD_CONFIGURE_ARGS --disable-shared --disable-doc --disable-nls --disable-scripts --disable-lzmainfo --disable-lzma-links --disable-xzdec --disable-lzmadec
make
'''

[stage.test]
needs = ["build"]
run = 'make -C "$XBUILD_OUT/build" check'
)"));
  if (!unavailable.empty()) XB_MACHINE_CANNOT(unavailable);
  if (std::string why = binaries_not_run_by_path(tree_); !why.empty()) XB_MACHINE_CANNOT(why);

  run_five_platforms();
  for (const TargetPlatform& platform : five_platforms()) {
    std::string test = stage_log(tree_, platform, "test");
    EXPECT_NE(test.find("# TOTAL: 17\n# PASS:  17\n# SKIP:  0\n# XFAIL: 0\n# FAIL:  0\n"), std::string::npos)
        << platform.name << "\n"
        << test;
    std::string build = stage_log(tree_, platform, "build");
    const bool cross = platform.name != "linux/amd64";
    EXPECT_NE(build.find(std::string("checking whether we are cross compiling... ") + (cross ? "yes" : "no") + "\n"),
              std::string::npos)
        << platform.name;
  }
}

// The sysroot of zlib1g-dev that `xbuild plan` names for each cross platform of a project whose
// [targets] packages are ["zlib1g-dev"]: in its target libraries (to be made by the run, or made)
// and as where the binaries run by their path load their libraries from, each a tree in
// test_tree_cache(). By platform name; a platform the plan names no such sysroot for is missing.
std::map<std::string, fs::path> planned_zlib_sysroots(const std::string& plan) {
  EXPECT_NE(plan.find("\ntarget libraries (a sysroot of Debian packages):\n"), std::string::npos) << plan;
  const std::vector<std::string> lines = split(plan, '\n');
  auto line_after = [&](const std::string& prefix) -> std::optional<std::string> {
    for (const std::string& line : lines)
      if (starts_with(line, prefix)) return line.substr(prefix.size());
    return std::nullopt;
  };
  const fs::path trees = test_tree_cache() / "debian" / "sysroot";
  std::map<std::string, fs::path> sysroots;
  for (const TargetPlatform& platform : five_platforms()) {
    if (platform.name == "linux/amd64") continue;
    SCOPED_TRACE(platform.name);
    std::optional<std::string> dir = line_after("  " + platform.name + ": the sysroot of " + platform.suite + "/" +
                                                platform.debian + " with zlib1g-dev, ");
    if (!dir) {
      ADD_FAILURE() << "no sysroot of zlib1g-dev in the plan:\n" << plan;
      continue;
    }
    if (starts_with(*dir, "made by the run (mmdebstrap), ")) *dir = dir->substr(30);
    if (!starts_with(*dir, "in ")) {
      ADD_FAILURE() << *dir;
      continue;
    }
    const fs::path sysroot = dir->substr(3);
    EXPECT_EQ(sysroot.parent_path(), trees);
    EXPECT_EQ(sysroot.filename().string().size(), 64u) << sysroot;
    EXPECT_EQ(line_after("  " + platform.name + ": QEMU through a binfmt_misc handler of the stage's own, "),
              "libraries from " + sysroot.string())
        << plan;
    sysroots[platform.name] = sysroot;
  }
  return sysroots;
}

// libpng links the target's zlib: `[targets] packages` gives each cross target a sysroot made of
// Debian's zlib1g-dev for its architecture (the host's own zlib1g-dev for linux/amd64), and its
// tests load libz.so.1 from there under QEMU. Its own test suite, but the TESTS= subset its
// Makefile accepts: pngtest, the unknown-chunk tests, pngimage-quick and pngvalid-standard. The
// rest (pngvalid's gamma, transform and progressive sweeps, pngstest, pngimage-full) are
// exhaustive, far too slow under QEMU on four platforms for a test run.
TEST_F(RealProjects, LibpngLinksTheTargetsZlibAndPassesItsMakeCheckOnFivePlatforms) {
  XB_REQUIRE_TOOLS(five_platform_tools({"apt-get", "dpkg-source", "make", "mmdebstrap"}));
  std::string unavailable = prepare("libpng1.6", five_platform_config("libpng1.6", R"(packages = ["zlib1g-dev"]

[stage.build]
run = '''
mkdir -p "$XBUILD_OUT/build"
cd "$XBUILD_OUT/build"
"$XBUILD_SRC/configure" $XBUILD_CONFIGURE_ARGS --disable-shared --disable-tools
make
'''

[stage.test]
needs = ["build"]
run = '''
make -C "$XBUILD_OUT/build" check TESTS="tests/pngtest-all tests/pngunknown-discard tests/pngunknown-IDAT \
  tests/pngunknown-if-safe tests/pngunknown-sAPI tests/pngunknown-sTER tests/pngunknown-save \
  tests/pngunknown-vpAg tests/pngimage-quick tests/pngvalid-standard"
'''
)"));
  if (!unavailable.empty()) XB_MACHINE_CANNOT(unavailable);
  if (std::string why = binaries_not_run_by_path(tree_); !why.empty()) XB_MACHINE_CANNOT(why);
  CommandResult plan = five_platform_plan(tree_);
  ASSERT_EQ(plan.exit_code, 0) << plan.out << plan.err;
  ASSERT_EQ(planned_zlib_sysroots(plan.out).size(), 4u) << plan.out;

  run_five_platforms();
  for (const TargetPlatform& platform : five_platforms()) {
    EXPECT_NE(stage_log(tree_, platform, "build").find("checking for zlibVersion in -lz... yes\n"), std::string::npos)
        << platform.name;
    std::string test = stage_log(tree_, platform, "test");
    EXPECT_NE(test.find("# TOTAL: 10\n# PASS:  10\n# SKIP:  0\n# XFAIL: 0\n# FAIL:  0\n"), std::string::npos)
        << platform.name << "\n"
        << test;
  }
}

// A program that prints the machine it believes it runs on and where its C library, its loader
// and (built with -DWITH_ZLIB and -lz) zlib were mapped from, as /proc/self/maps lists them (QEMU
// lists a guest's own).
const char* const kMapsProgram = R"(#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#ifdef WITH_ZLIB
#include <zlib.h>
#endif

int main(void) {
  struct utsname name;
  if (uname(&name) != 0) return 1;
  printf("machine %s\n", name.machine);
#ifdef WITH_ZLIB
  printf("zlib %s\n", zlibVersion());
#endif
  FILE* maps = fopen("/proc/self/maps", "r");
  if (!maps) return 1;
  char line[4096];
  while (fgets(line, sizeof line, maps)) {
    const char* path = strchr(line, '/');
    if (path && (strstr(path, "/libc.so.6") || strstr(path, "/ld-linux") || strstr(path, "/libz.so")))
      printf("mapped %s", path);
  }
  return 0;
}
)";

// The maps program as a project for the five platforms: `targets` added to [targets], built by
// `build`, run by its path in the test stage.
fs::path maps_project(const ScratchDir& scratch, const std::string& targets, const std::string& build) {
  scratch.write("maps/maps.c", kMapsProgram);
  scratch.write("maps/xbuild.toml", five_platform_config("maps", targets + "\n[stage.build]\nrun = '" + build +
                                                                     "'\n\n[stage.test]\nneeds = [\"build\"]\n"
                                                                     "run = '\"$XBUILD_OUT/maps\"'\n"));
  return scratch / "maps";
}

// What the maps program printed on each platform of `project`: the machine uname names under
// QEMU (i686 for linux/386, not the host's x86_64), and every library mapped from under one of
// `roots` of the platform, none from the host's 32-bit x86 libraries (/usr/lib32 of libc6-i386,
// which a linux/386 binary run natively would load); a C library and a loader at least, and
// libz when `zlib`.
void expect_own_libraries(const fs::path& project, bool zlib,
                          const std::function<std::vector<std::string>(const TargetPlatform&)>& roots_of) {
  const std::map<std::string, std::string> machines = {{"linux/amd64", "x86_64"},
                                                       {"linux/arm64", "aarch64"},
                                                       {"linux/arm/v7", "armv7l"},
                                                       {"linux/386", "i686"},
                                                       {"linux/riscv64", "riscv64"}};
  for (const TargetPlatform& platform : five_platforms()) {
    SCOPED_TRACE(platform.name);
    const std::string test = stage_log(project, platform, "test");
    const std::vector<std::string> lines = split(test, '\n');
    EXPECT_EQ(lines.at(0), "machine " + machines.at(platform.name)) << test;
    if (zlib) {
      EXPECT_TRUE(lines.size() > 1 && starts_with(lines[1], "zlib 1.")) << test;
    }
    const std::vector<std::string> roots = roots_of(platform);
    int libc = 0, loader = 0, libz = 0;
    for (const std::string& line : lines) {
      if (!starts_with(line, "mapped ")) continue;
      const std::string path = line.substr(7);
      libc += path.find("/libc.so.6") != std::string::npos;
      loader += path.find("/ld-linux") != std::string::npos;
      libz += path.find("/libz.so") != std::string::npos;
      EXPECT_TRUE(
          std::any_of(roots.begin(), roots.end(), [&](const std::string& root) { return starts_with(path, root); }))
          << path << " is not the target's own";
      for (const char* host : {"/usr/lib32/", "/lib32/", "/lib/i386-linux-gnu/", "/usr/lib/i386-linux-gnu/"})
        EXPECT_FALSE(starts_with(path, host)) << path << " is the host's";
    }
    EXPECT_GT(libc, 0) << test;
    EXPECT_GT(loader, 0) << test;
    EXPECT_EQ(libz > 0, zlib) << test;
  }
}

const std::vector<std::string> kHostLibraries = {"/usr/lib/x86_64-linux-gnu/", "/lib/x86_64-linux-gnu/"};

// A target binary run by its path loads the target's own C library: Debian's cross C library in
// /usr/<triple> (through the prefix in the state directory). linux/386 is the case that matters:
// the host has 32-bit x86 libraries of its own (/usr/lib32, libc6-i386) and would run a 386 binary
// natively with them; here it runs under qemu-i386 (uname says i686, not the host's x86_64) with
// the target's.
TEST(RealProjectLibraries, TargetBinariesRunByTheirPathLoadTheTargetsOwnCLibrary) {
  XB_REQUIRE_TOOLS(five_platform_tools());
  ScratchDir scratch;
  const fs::path project = maps_project(scratch, "", R"($CC -O2 -o "$XBUILD_OUT/maps" maps.c)");
  if (std::string why = binaries_not_run_by_path(project); !why.empty()) XB_MACHINE_CANNOT(why);

  ReportedRun run = xbuild_run(five_platform_run_args(), project);

  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  expect_own_libraries(project, false, [&](const TargetPlatform& platform) {
    return platform.name == "linux/amd64"
               ? kHostLibraries
               : std::vector<std::string>{"/usr/" + platform.triple + "/", (project / ".xbuild").string() + "/"};
  });
}

// With [targets] packages, a target binary run by its path loads its C library, its loader and
// the packages' libraries (zlib) from the target's sysroot of Debian packages, the one the plan
// names: the stage's QEMU prefix is that sysroot, for linux/386 as for the others.
TEST(RealProjectLibraries, TargetBinariesRunByTheirPathLoadTheirSysrootsLibraries) {
  XB_REQUIRE_TOOLS(five_platform_tools({"mmdebstrap"}));
  ScratchDir scratch;
  const fs::path project =
      maps_project(scratch, "packages = [\"zlib1g-dev\"]\n", R"($CC -O2 -DWITH_ZLIB -o "$XBUILD_OUT/maps" maps.c -lz)");
  if (std::string why = binaries_not_run_by_path(project); !why.empty()) XB_MACHINE_CANNOT(why);
  CommandResult plan = five_platform_plan(project);
  ASSERT_EQ(plan.exit_code, 0) << plan.out << plan.err;
  const std::map<std::string, fs::path> sysroots = planned_zlib_sysroots(plan.out);
  ASSERT_EQ(sysroots.size(), 4u) << plan.out;

  ReportedRun run = xbuild_run(five_platform_run_args(), project);

  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  expect_own_libraries(project, true, [&](const TargetPlatform& platform) {
    return platform.name == "linux/amd64" ? kHostLibraries
                                          : std::vector<std::string>{sysroots.at(platform.name).string() + "/"};
  });
}

// A linux/amd64 project whose build stage is `run`, in `shell` when not empty.
fs::path shell_project(const ScratchDir& scratch, const std::string& name, const std::string& run,
                       const std::string& shell = "") {
  scratch.write(name + "/xbuild.toml",
                "[project]\nname = \"" + name + "\"\n\n[targets]\nplatforms = [\"linux/amd64\"]\n\n[stage.build]\n" +
                    (shell.empty() ? "" : "shell = " + shell + "\n") + "run = '''\n" + run + "'''\n");
  return scratch / name;
}

// Stages run with sh -e: a failing line in the middle stops the stage there and fails it, as it
// would a project's CI script.
TEST(RealProjectShells, AFailingLineInTheMiddleOfARunFailsTheStage) {
  ScratchDir scratch;
  fs::path project = shell_project(scratch, "lines", "echo first\nfalse\ntouch \"$XBUILD_OUT/after-false\"\n");

  ReportedRun run = xbuild_run({}, project);

  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_EQ(run.platform("linux/amd64")["stages"], nlohmann::json({{"build", "failed"}}));
  EXPECT_NE(run.err.find("xbuild: error: stage \"build\" failed on linux/amd64 (exit status 1)"), std::string::npos)
      << run.err;
  EXPECT_EQ(stage_log(project, five_platforms()[0], "build"), "first\n");
  EXPECT_FALSE(fs::exists(project / ".xbuild/out/linux-amd64/after-false"));
}

// A stage's `shell` is its own: bash with pipefail fails on a failing pipeline, which sh -e lets
// pass (a pipeline's status is its last command's).
TEST(RealProjectShells, ABashPipefailStageFailsOnAFailingPipeline) {
  ScratchDir scratch;
  const std::string pipeline = "false | cat\ntouch \"$XBUILD_OUT/after-pipeline\"\n";
  fs::path with_pipefail = shell_project(scratch, "pipefail", pipeline, R"(["bash", "-euo", "pipefail", "-c"])");
  fs::path plain = shell_project(scratch, "plain", pipeline);

  ReportedRun failed = xbuild_run({}, with_pipefail);
  ReportedRun passed = xbuild_run({}, plain);

  EXPECT_EQ(failed.exit_code, 1) << failed.out << failed.err;
  EXPECT_EQ(failed.platform("linux/amd64")["stages"], nlohmann::json({{"build", "failed"}}));
  EXPECT_FALSE(fs::exists(with_pipefail / ".xbuild/out/linux-amd64/after-pipeline"));
  EXPECT_EQ(passed.exit_code, 0) << passed.out << passed.err;
  EXPECT_EQ(passed.platform("linux/amd64")["stages"], nlohmann::json({{"build", "ok"}}));
  EXPECT_TRUE(fs::exists(plain / ".xbuild/out/linux-amd64/after-pipeline"));
}

// A bin directory of everything in /usr/bin but what `left_out` picks: a PATH without it.
fs::path bin_without(const ScratchDir& scratch, bool (*left_out)(const std::string&)) {
  fs::path bin = scratch / "bin";
  fs::create_directories(bin);
  for (const fs::directory_entry& entry : fs::directory_iterator("/usr/bin"))
    if (!left_out(entry.path().filename().string())) fs::create_symlink(entry.path(), bin / entry.path().filename());
  return bin;
}

// cJSON's stages name cmake and ctest: without them `xbuild plan` says so, with the package, for
// every platform, before a run would fail inside its first stage.
TEST_F(RealProjects, PlanNamesAMissingCmakeWithItsPackage) {
  XB_REQUIRE_TOOLS(five_platform_tools({"apt-get", "dpkg-source"}));
  std::string unavailable = prepare("cjson", five_platform_config("cjson", R"(
[stage.build]
run = 'cmake -S . -B "$XBUILD_OUT/build" -G Ninja $XBUILD_CMAKE_ARGS -DENABLE_CJSON_TEST=ON && cmake --build "$XBUILD_OUT/build"'

[stage.test]
needs = ["build"]
run = 'ctest --test-dir "$XBUILD_OUT/build" --output-on-failure'
)"));
  if (!unavailable.empty()) XB_MACHINE_CANNOT(unavailable);
  fs::path bin = bin_without(scratch_, [](const std::string& name) { return name == "cmake" || name == "ctest"; });

  CommandResult plan = xbuild({"plan"}, tree_, {{"PATH", bin.string()}});

  EXPECT_EQ(plan.exit_code, 2);
  std::string missing = "missing:\n";
  for (const TargetPlatform& platform : five_platforms())
    missing += "  " + platform.name + ": missing cmake (install cmake)\n  " + platform.name +
               ": missing ctest (install cmake)\n";
  missing += "  to install: apt-get install --no-install-recommends cmake\n";
  EXPECT_NE(plan.out.find(missing), std::string::npos) << plan.out;
}

// A CMake project whose project() names no languages compiles C++ too: the plan wants each
// platform's C++ compiler and names the package of the one that is missing.
TEST(RealProjectPlan, PlanNamesAMissingCxxCrossCompilerWithItsPackage) {
  XB_REQUIRE_TOOLS("cmake", "x86_64-linux-gnu-gcc", "x86_64-linux-gnu-g++", "aarch64-linux-gnu-gcc",
                   "qemu-aarch64-static");
  ScratchDir scratch;
  scratch.write("greeting/CMakeLists.txt",
                "cmake_minimum_required(VERSION 3.13)\nproject(greeting)\nadd_executable(greeting greeting.cpp)\n");
  scratch.write("greeting/greeting.cpp", "#include <iostream>\nint main() { std::cout << \"hello\\n\"; }\n");
  scratch.write("greeting/xbuild.toml", R"([project]
name = "greeting"

[targets]
platforms = ["linux/amd64", "linux/arm64"]

[stage.build]
run = 'cmake -S . -B "$XBUILD_OUT/build" $XBUILD_CMAKE_ARGS && cmake --build "$XBUILD_OUT/build"'
)");
  fs::path bin =
      bin_without(scratch, [](const std::string& name) { return starts_with(name, "aarch64-linux-gnu-g++"); });

  CommandResult plan = xbuild({"plan"}, scratch / "greeting", {{"PATH", bin.string()}});

  EXPECT_EQ(plan.exit_code, 2);
  EXPECT_NE(plan.out.find("missing:\n  linux/arm64: missing aarch64-linux-gnu-g++ (install g++-aarch64-linux-gnu)\n"
                          "  to install: apt-get install --no-install-recommends g++-aarch64-linux-gnu\n"),
            std::string::npos)
      << plan.out;
}

}  // namespace
}  // namespace xb::testing

// The plan: strategy per platform and why, toolchain problems, jobs and their environments,
// `xbuild plan` output, and the generated files a plan holds.
#include "plan/plan.h"

#include "emulate/qemu_catalog.h"

#include <gtest/gtest.h>

#include "support/fake_tool_finder.h"
#include "support/scratch_dir.h"
#include "util/fs.h"
#include "util/sha256.h"

namespace xb {
namespace {

namespace fs = std::filesystem;
using testing::FakeToolFinder;
using testing::ScratchDir;

Platform platform(const std::string& name) { return parse_platform(name).value(); }

// A small world: the shipped toolchain files, and a machine where every cross toolchain and
// QEMU is installed unless a test takes one away.
class PlanTest : public ::testing::Test {
 protected:
  PlanTest() : catalog_(ToolchainCatalog::load(data_directory() / "toolchains").value()) {
    install_toolchains_except("");
    config_.file = "/src/hello/xbuild.toml";
    config_.directory = "/src/hello";
    config_.project.name = "hello";
    config_.platforms = {platform("linux/amd64"), platform("linux/arm64")};
    StageSpec build{"build", "make", {}, {{"CFLAGS", "-O2"}}, 0, {}};
    StageSpec test{"test", "$XBUILD_EXEC ./hello", {"build"}, {}, 30, {}};
    config_.stages = {build, test};
    options_.state_dir = "/state";
    options_.source_date_epoch = 1700000000;
    options_.host = platform("linux/amd64");
    options_.qemu = &qemu_;
    options_.private_binfmt = true;  // Linux >= 6.7: a stage's binfmt_misc handlers of its own
  }

  Plan make() { return make_plan(config_, catalog_, finder_, options_); }

  // Every toolchain's compiler, C library and runner, but the compiler of `missing_id`.
  void install_toolchains_except(const std::string& missing_id) {
    finder_ = FakeToolFinder();
    for (const Toolchain& toolchain : catalog_.all()) {
      if (toolchain.id != missing_id) finder_.add_program(toolchain.tools.at("CC"), "12.2.0");
      fs::path sysroot = toolchain.sysroot.empty() ? fs::path("/usr") : fs::path(toolchain.sysroot);
      finder_.add_file(sysroot / "include" / "stdio.h");
      if (!toolchain.runner.empty()) finder_.add_program(toolchain.runner.front());
    }
    finder_.add_program("make");  // the stages' build tool
    for (const QemuArch& arch : qemu_.all()) finder_.add_file(arch.interpreter);
  }

  ToolchainCatalog catalog_;
  QemuCatalog qemu_ = QemuCatalog::load(data_directory() / "qemu").value();
  FakeToolFinder finder_;
  Config config_;
  PlanOptions options_;
};

TEST_F(PlanTest, AutoBuildsTheHostNativelyAndTheRestWithCrossToolchains) {
  Plan plan = make();
  ASSERT_TRUE(plan.ready());
  ASSERT_EQ(plan.targets.size(), 2u);
  EXPECT_EQ(plan.targets[0].strategy, Strategy::native);
  EXPECT_EQ(plan.targets[0].reason, "auto: the target is the host platform");
  EXPECT_TRUE(plan.targets[0].exec_prefix.empty());
  EXPECT_TRUE(plan.targets[0].files.empty());
  EXPECT_EQ(plan.targets[1].strategy, Strategy::cross);
  EXPECT_EQ(plan.targets[1].reason, "auto: cross toolchain aarch64-linux-gnu (toolchains/linux-arm64.toml)");
  EXPECT_EQ(plan.targets[1].exec_prefix,
            (std::vector<std::string>{"qemu-aarch64-static", "-L", "/state/qemu-prefix/linux-arm64"}));
  EXPECT_EQ(plan.targets[1].output_dir, "/state/out/linux-arm64");
  ASSERT_EQ(plan.targets[1].files.size(), 4u);
  EXPECT_EQ(plan.targets[1].files[0].path, "/state/toolchains/linux-arm64.meson.ini");
  EXPECT_EQ(plan.targets[1].files[1].path, "/state/toolchains/linux-arm64.cmake");
  // QEMU's library prefix over the cross C library, with an ld.so.cache of its own.
  EXPECT_EQ(plan.targets[1].files[2].path, "/state/qemu-prefix/linux-arm64/lib");
  EXPECT_EQ(plan.targets[1].files[2].link, "/usr/aarch64-linux-gnu/lib");
  EXPECT_EQ(plan.targets[1].files[3].path, "/state/qemu-prefix/linux-arm64/etc/ld.so.cache");
  EXPECT_EQ(plan.targets[1].files[3].content, "");
  ASSERT_TRUE(plan.targets[1].binaries);
  EXPECT_EQ(plan.targets[1].binaries->handler, TargetBinaries::Handler::private_instance);
  EXPECT_EQ(plan.jobs[2].launcher.at(1), "__binfmt");
  EXPECT_EQ(plan.jobs[2].env.at("XBUILD_MESON_CROSS_FILE"), "/state/toolchains/linux-arm64.meson.ini");
  EXPECT_EQ(plan.jobs[2].env.at("CMAKE_TOOLCHAIN_FILE"), "/state/toolchains/linux-arm64.cmake");
}

TEST_F(PlanTest, JobsCarryCommandsEnvironmentsDependenciesAndLogs) {
  PlatformOverride arm64;
  arm64.env = {{"EXTRA", "platform"}, {"CFLAGS", "-Os"}};
  arm64.stages["test"].run = "true";
  arm64.stages["test"].env = {{"EXTRA", "stage override"}};
  config_.overrides["linux/arm64"] = arm64;
  Plan plan = make();
  ASSERT_EQ(plan.jobs.size(), 4u);
  const JobPlan& amd64_build = plan.jobs[0];
  const JobPlan& arm64_build = plan.jobs[2];
  const JobPlan& arm64_test = plan.jobs[3];
  EXPECT_EQ(amd64_build.label(), "linux/amd64 build");
  EXPECT_EQ(arm64_test.label(), "linux/arm64 test");
  EXPECT_EQ(plan.jobs[1].needs, std::vector<std::size_t>{0});
  EXPECT_EQ(arm64_test.needs, std::vector<std::size_t>{2});
  EXPECT_EQ(arm64_test.command, "true");
  EXPECT_EQ(plan.jobs[1].command, "$XBUILD_EXEC ./hello");
  EXPECT_EQ(arm64_test.timeout_seconds, 30);
  EXPECT_EQ(arm64_test.log_file, "/state/logs/linux-arm64/test.log");
  EXPECT_EQ(arm64_test.working_directory, "/src/hello");
  // Layers: toolchain < platform override < stage < stage override.
  EXPECT_EQ(amd64_build.env.at("CFLAGS"), "-O2");
  EXPECT_EQ(arm64_build.env.at("CFLAGS"), "-O2");  // the stage's own env wins over the platform's
  EXPECT_EQ(arm64_build.env.at("EXTRA"), "platform");
  EXPECT_EQ(arm64_test.env.at("EXTRA"), "stage override");
  EXPECT_EQ(arm64_build.env.at("CC"), "aarch64-linux-gnu-gcc");
  EXPECT_EQ(arm64_build.env.at("XBUILD_EXEC"), "qemu-aarch64-static -L /state/qemu-prefix/linux-arm64");
  EXPECT_EQ(arm64_build.env.at("QEMU_LD_PREFIX"), "/state/qemu-prefix/linux-arm64");
  EXPECT_EQ(arm64_build.env.at("XBUILD_SRC"), "/src/hello");
  EXPECT_EQ(arm64_build.env.at("XBUILD_OUT"), "/state/out/linux-arm64");
  EXPECT_EQ(arm64_build.env.at("SOURCE_DATE_EPOCH"), "1700000000");
  EXPECT_EQ(amd64_build.env.at("XBUILD_STRATEGY"), "native");
}

TEST_F(PlanTest, AMissingCompilerStopsThePlatformAndNamesThePackage) {
  install_toolchains_except("linux-arm64");
  Plan plan = make();
  EXPECT_FALSE(plan.ready());
  EXPECT_TRUE(plan.targets[0].problems.empty());
  EXPECT_EQ(plan.targets[1].problems,
            std::vector<std::string>{"missing aarch64-linux-gnu-gcc (install gcc-aarch64-linux-gnu)"});
  std::string rendered = render_plan(plan);
  EXPECT_NE(rendered.find("\nmissing:\n"
                          "  linux/arm64: missing aarch64-linux-gnu-gcc (install gcc-aarch64-linux-gnu)\n"
                          "  to install: apt-get install --no-install-recommends gcc-aarch64-linux-gnu\n"),
            std::string::npos)
      << rendered;
}

TEST_F(PlanTest, RequestedStrategiesThatCannotWorkAreProblems) {
  config_.overrides["linux/arm64"].strategy = Strategy::native;
  config_.platforms.push_back(platform("linux/riscv64"));
  config_.overrides["linux/riscv64"].strategy = Strategy::emulate;
  Plan plan = make();
  EXPECT_EQ(plan.targets[1].problems, std::vector<std::string>{"strategy \"native\" needs the target to be the host "
                                                               "platform linux/amd64; use \"cross\" or \"auto\""});
  // Emulation needs a root filesystem, QEMU and root: see plan_emulate_test.cpp.
  EXPECT_EQ(plan.targets[2].problems,
            (std::vector<std::string>{
                "strategy \"emulate\" needs a root filesystem of the target: set rootfs = { packages = "
                "[\"build-essential\"] } in [platform.\"linux/riscv64\"] (xbuild makes it), or rootfs = \"DIR\", "
                "\"oci:DIR[:TAG]\" or an image reference",
                "strategy \"emulate\" needs root (binfmt_misc, mounts and chroot): run xbuild as root, or use strategy "
                "\"cross\""}));
  EXPECT_EQ(plan.targets[2].reason, "requested in [platform.\"linux/riscv64\"]");
}

TEST_F(PlanTest, APlatformWithoutAToolchainFallsBackToEmulation) {
  config_.platforms.push_back(platform("linux/s390x"));
  Plan plan = make();
  EXPECT_EQ(plan.targets[2].strategy, Strategy::emulate);
  EXPECT_EQ(plan.targets[2].reason, "auto: no cross toolchain for linux/s390x");
  ASSERT_FALSE(plan.targets[2].problems.empty());
  EXPECT_EQ(
      plan.targets[2].problems.front(),
      "strategy \"emulate\" needs a root filesystem of the target: set rootfs = { packages = [\"build-essential\"] } "
      "in "
      "[platform.\"linux/s390x\"] (xbuild makes it), or rootfs = \"DIR\", \"oci:DIR[:TAG]\" or an image reference");
}

TEST_F(PlanTest, RenderShowsTheMatrixWhyAndStages) {
  EXPECT_EQ(
      render_plan(make()),
      "PLATFORM     STRATEGY  TOOLCHAIN                     RUNS TARGET BINARIES WITH\n"
      "linux/amd64  native    x86_64-linux-gnu-gcc 12.2.0   the host (directly)\n"
      "linux/arm64  cross     aarch64-linux-gnu-gcc 12.2.0  qemu-aarch64-static -L /state/qemu-prefix/linux-arm64\n"
      "\n"
      "why:\n"
      "  linux/amd64: auto: the target is the host platform\n"
      "  linux/arm64: auto: cross toolchain aarch64-linux-gnu (toolchains/linux-arm64.toml)\n"
      "\n"
      "target binaries run by their path (ctest, make check):\n"
      "  linux/arm64: QEMU through a binfmt_misc handler of the stage's own, libraries from "
      "/state/qemu-prefix/linux-arm64\n"
      "\n"
      "stages, on every platform:\n"
      "  build\n"
      "  test (needs build)\n");
}

TEST_F(PlanTest, CrossTargetsCarryTheirMesonAndCmakeFiles) {
  Plan plan = make();
  const std::string& meson = plan.targets[1].files[0].content;
  EXPECT_NE(meson.find("exe_wrapper = ['qemu-aarch64-static', '-L', '/state/qemu-prefix/linux-arm64']"),
            std::string::npos)
      << meson;
  const std::string& cmake = plan.targets[1].files[1].content;
  EXPECT_NE(cmake.find("CMAKE_CROSSCOMPILING_EMULATOR"), std::string::npos) << cmake;
}

// [targets] ccache: ccache in front of every target's compilers, a directory of its own each.
TEST_F(PlanTest, CcacheGoesInFrontOfEveryTargetsCompilers) {
  config_.ccache = {true, "redis://127.0.0.1:6379"};
  options_.ccache_root = "/cache/ccache";
  finder_.add_program("ccache");
  Plan plan = make();
  ASSERT_TRUE(plan.ready()) << render_plan(plan);
  ASSERT_TRUE(plan.targets[0].ccache && plan.targets[1].ccache);
  EXPECT_EQ(plan.targets[0].ccache->dir, "/cache/ccache/linux-amd64");
  EXPECT_EQ(plan.targets[1].ccache->dir, "/cache/ccache/linux-arm64");
  EXPECT_EQ(plan.targets[1].ccache->remote, "redis://127.0.0.1:6379");
  const JobPlan& native = plan.jobs[0];
  EXPECT_EQ(native.env.at("CC"), "ccache x86_64-linux-gnu-gcc");
  EXPECT_EQ(native.env.at("CCACHE_DIR"), "/cache/ccache/linux-amd64");
  EXPECT_EQ(native.env.at("CCACHE_BASEDIR"), "/src/hello");
  EXPECT_EQ(native.env.at("CCACHE_REMOTE_STORAGE"), "redis://127.0.0.1:6379");
  EXPECT_EQ(native.env.at("CMAKE_C_COMPILER_LAUNCHER"), "ccache");
  const JobPlan& cross = plan.jobs[2];
  EXPECT_EQ(cross.env.at("CC"), "ccache aarch64-linux-gnu-gcc");
  EXPECT_EQ(cross.env.at("CXX"), "ccache aarch64-linux-gnu-g++");
  EXPECT_EQ(cross.env.at("CCACHE_DIR"), "/cache/ccache/linux-arm64");
  EXPECT_EQ(cross.env.at("CMAKE_CXX_COMPILER_LAUNCHER"), "ccache");
  EXPECT_NE(plan.targets[1].files[0].content.find("c = ['ccache', 'aarch64-linux-gnu-gcc']\n"), std::string::npos);
  EXPECT_NE(plan.targets[1].files[1].content.find("set(CMAKE_C_COMPILER_LAUNCHER \"ccache\")\n"), std::string::npos);
}

TEST_F(PlanTest, APlatformTurnsCcacheOffOrOnForItself) {
  options_.ccache_root = "/cache/ccache";
  finder_.add_program("ccache");
  config_.overrides["linux/arm64"].ccache = true;
  Plan plan = make();
  EXPECT_FALSE(plan.targets[0].ccache);
  EXPECT_EQ(plan.jobs[0].env.at("CC"), "x86_64-linux-gnu-gcc");
  EXPECT_EQ(plan.jobs[0].env.count("CCACHE_DIR"), 0u);
  ASSERT_TRUE(plan.targets[1].ccache);
  EXPECT_EQ(plan.jobs[2].env.at("CC"), "ccache aarch64-linux-gnu-gcc");
  config_.ccache.enabled = true;
  config_.overrides["linux/arm64"].ccache = false;
  plan = make();
  EXPECT_TRUE(plan.targets[0].ccache);
  EXPECT_FALSE(plan.targets[1].ccache);
  EXPECT_EQ(plan.targets[1].files[0].content.find("ccache"), std::string::npos);
}

TEST_F(PlanTest, ACcacheMissingHereIsAProblemNamingItsPackage) {
  config_.ccache.enabled = true;
  options_.ccache_root = "/cache/ccache";
  Plan plan = make();
  EXPECT_FALSE(plan.ready());
  EXPECT_EQ(plan.targets[0].problems, std::vector<std::string>{"missing ccache (install ccache)"});
  EXPECT_EQ(plan.targets[1].status.missing_packages, std::vector<std::string>{"ccache"});
}

// Bare metal: none/arm/<name> builds with toolchains/firmware/<name>.toml, always crossing.
class FirmwarePlanTest : public PlanTest {
 protected:
  FirmwarePlanTest() {
    config_.platforms = {platform("linux/amd64"), platform("none/arm/cortex-m4")};
    options_.firmware_dir = data_directory() / "toolchains" / "firmware";
    options_.xbuild_binary = "/opt/xbuild/bin/xbuild";
    finder_.add_program("arm-none-eabi-gcc", "12.2.1");
    finder_.add_file("/usr/lib/arm-none-eabi/include/stdio.h");
    finder_.add_program("qemu-system-arm");
  }
};

TEST_F(FirmwarePlanTest, ABareMetalTargetCrossesWithItsFirmwareToolchain) {
  config_.firmware.test_timeout_seconds = 20;
  config_.firmware.pass_pattern = "ALL PASS";
  config_.firmware.hang_timeout_seconds = 5;
  config_.firmware.icount = "off";
  Plan plan = make();
  ASSERT_TRUE(plan.ready()) << render_plan(plan);
  const TargetPlan& target = plan.targets[1];
  EXPECT_EQ(target.strategy, Strategy::cross);
  EXPECT_EQ(target.reason,
            "bare metal: arm-none-eabi for cortex-m4 (toolchains/firmware/cortex-m4.toml), tests on qemu-system-arm -M "
            "mps2-an386");
  ASSERT_TRUE(target.firmware);
  EXPECT_EQ(target.firmware->target.machine, "mps2-an386");
  EXPECT_EQ(target.status.compiler_version, "12.2.1");
  EXPECT_EQ(target.firmware->elf, "/state/out/none-arm-cortex-m4/firmware.elf");
  EXPECT_EQ(target.exec_prefix,
            (std::vector<std::string>{"/opt/xbuild/bin/xbuild", "firmware", "test", "--target", "cortex-m4"}));
  const JobPlan& build = plan.jobs[2];
  ASSERT_EQ(build.label(), "none/arm/cortex-m4 build");
  EXPECT_EQ(build.env.at("CC"), "arm-none-eabi-gcc");
  EXPECT_EQ(build.env.at("SIZE"), "arm-none-eabi-size");
  EXPECT_EQ(build.env.at("CFLAGS"), "-O2");  // the stage's own env wins over the target's flags
  EXPECT_EQ(plan.jobs[3].env.at("CFLAGS"), "-mcpu=cortex-m4 -mthumb -mfloat-abi=soft");
  EXPECT_EQ(build.env.at("XBUILD_EXEC"), "/opt/xbuild/bin/xbuild firmware test --target cortex-m4");
  // xbuild's startup, compiled by the run into the state directory, in every link; its source's
  // digest in the environment (and so in the cache keys).
  EXPECT_EQ(build.env.at("LDFLAGS"),
            "--specs=rdimon.specs -Wl,--section-start=.vectors=0x0 /state/firmware/cortex-m4/startup.o "
            "-Wl,--undefined=__xbuild_vectors");
  EXPECT_EQ(build.env.at("XBUILD_FIRMWARE_STARTUP"), "/state/firmware/cortex-m4/startup.o");
  EXPECT_EQ(build.env.at("XBUILD_FIRMWARE_STARTUP_SHA256"),
            sha256_file(options_.firmware_dir / "startup.S").value_or_throw());
  ASSERT_TRUE(target.firmware->target.startup);
  EXPECT_EQ(target.firmware->target.startup->source, options_.firmware_dir / "startup.S");
  EXPECT_EQ(build.env.at("XBUILD_FIRMWARE_MACHINE"), "mps2-an386");
  EXPECT_EQ(build.env.at("XBUILD_FIRMWARE_TIMEOUT"), "20");
  EXPECT_EQ(build.env.at("XBUILD_FIRMWARE_PASS_PATTERN"), "ALL PASS");
  EXPECT_EQ(build.env.at("XBUILD_FIRMWARE_HANG_TIMEOUT"), "5");
  EXPECT_EQ(build.env.at("XBUILD_FIRMWARE_ICOUNT"), "off");
  EXPECT_EQ(build.env.at("XBUILD_OUT"), "/state/out/none-arm-cortex-m4");
  EXPECT_EQ(build.env.at("XBUILD_MESON_CROSS_FILE"), "/state/toolchains/none-arm-cortex-m4.meson.ini");
  EXPECT_EQ(build.log_file, "/state/logs/none-arm-cortex-m4/build.log");
  EXPECT_EQ(plan.jobs[0].env.count("XBUILD_FIRMWARE_TIMEOUT"), 0u);  // Linux stages do not see it
  EXPECT_NE(render_plan(plan).find("none/arm/cortex-m4  cross     arm-none-eabi-gcc 12.2.1     qemu-system-arm -M "
                                   "mps2-an386 -cpu cortex-m4 (xbuild firmware test)\n"),
            std::string::npos)
      << render_plan(plan);
}

TEST_F(FirmwarePlanTest, AnUnknownTargetOrAMissingQemuIsAProblemThatSaysWhatToDo) {
  config_.platforms = {platform("none/arm/cortex-m5")};
  Plan plan = make();
  ASSERT_FALSE(plan.ready());
  EXPECT_EQ(plan.targets[0].problems,
            (std::vector<std::string>{"no bare-metal target none/arm/cortex-m5 in " + options_.firmware_dir.string() +
                                      "; did you mean cortex-m0? (known: cortex-m0, cortex-m0plus, cortex-m3, "
                                      "cortex-m33, cortex-m4, cortex-m4f, cortex-m55, cortex-m7; write them as "
                                      "[targets] firmware = [\"cortex-m0\"])"}));

  config_.platforms = {platform("none/arm/cortex-m33")};
  finder_ = FakeToolFinder();
  finder_.add_program("arm-none-eabi-gcc", "12.2.1");
  finder_.add_file("/usr/lib/arm-none-eabi/include/stdio.h");
  finder_.add_program("make");
  plan = make();
  EXPECT_EQ(plan.targets[0].problems, (std::vector<std::string>{"missing qemu-system-arm (install qemu-system-arm)"}));
  EXPECT_EQ(plan.targets[0].status.missing_packages, (std::vector<std::string>{"qemu-system-arm"}));
}

// [firmware] startup: false links none (the project brings its own table); a project's own
// source is compiled instead of xbuild's, and one that cannot be read is a problem.
TEST_F(FirmwarePlanTest, TheProjectChoosesTheStartup) {
  config_.firmware.startup = false;
  Plan plan = make();
  ASSERT_TRUE(plan.ready()) << render_plan(plan);
  EXPECT_FALSE(plan.targets[1].firmware->target.startup);
  EXPECT_EQ(plan.jobs[3].env.at("LDFLAGS"), "--specs=rdimon.specs -Wl,--section-start=.vectors=0x0");
  EXPECT_EQ(plan.jobs[3].env.count("XBUILD_FIRMWARE_STARTUP_SHA256"), 0u);

  ScratchDir project;
  fs::path own = project.write("board/startup.c", "/* the board's table */\n");
  config_.file = project / "xbuild.toml";
  config_.firmware.startup = true;
  config_.firmware.startup_source = own;
  plan = make();
  ASSERT_TRUE(plan.ready()) << render_plan(plan);
  EXPECT_EQ(plan.targets[1].firmware->target.startup->source, own);
  EXPECT_EQ(plan.jobs[3].env.at("XBUILD_FIRMWARE_STARTUP_SHA256"), sha256_digest("/* the board's table */\n"));

  config_.firmware.startup_source = project / "board" / "missing.c";
  plan = make();
  EXPECT_EQ(plan.targets[1].problems,
            (std::vector<std::string>{"cannot read the startup of firmware target \"cortex-m4\": cannot read " +
                                      (project / "board" / "missing.c").string() + "; fix [firmware] startup in " +
                                      (project / "xbuild.toml").string()}));
}

TEST_F(FirmwarePlanTest, CcacheCoversTheBareMetalTargets) {
  config_.ccache.enabled = true;
  options_.ccache_root = "/cache/ccache";
  finder_.add_program("ccache");
  Plan plan = make();
  ASSERT_TRUE(plan.ready()) << render_plan(plan);
  ASSERT_TRUE(plan.targets[1].ccache);
  EXPECT_EQ(plan.targets[1].ccache->dir, "/cache/ccache/none-arm-cortex-m4");
  EXPECT_EQ(plan.jobs[2].env.at("CC"), "ccache arm-none-eabi-gcc");
  EXPECT_EQ(plan.jobs[2].env.at("CCACHE_DIR"), "/cache/ccache/none-arm-cortex-m4");
  EXPECT_NE(plan.targets[1].files[0].content.find("c = ['ccache', 'arm-none-eabi-gcc']\n"), std::string::npos);
}

TEST_F(FirmwarePlanTest, BareMetalTargetsCarryTheirCrossFiles) {
  Plan plan = make();
  ASSERT_EQ(plan.targets[1].files.size(), 2u);
  EXPECT_EQ(plan.targets[1].files[0].path, "/state/toolchains/none-arm-cortex-m4.meson.ini");
  const std::string& meson = plan.targets[1].files[0].content;
  EXPECT_NE(meson.find("exe_wrapper = ['/opt/xbuild/bin/xbuild', 'firmware', 'exec', '--target', 'cortex-m4']"),
            std::string::npos)
      << meson;
  EXPECT_NE(meson.find("system = 'none'"), std::string::npos) << meson;
  EXPECT_NE(meson.find("'/state/firmware/cortex-m4/startup.o', '-Wl,--undefined=__xbuild_vectors']"), std::string::npos)
      << meson;
  const std::string& cmake = plan.targets[1].files[1].content;
  EXPECT_NE(cmake.find("set(CMAKE_SYSTEM_NAME Generic)\n"), std::string::npos) << cmake;
  EXPECT_NE(cmake.find("/state/firmware/cortex-m4/startup.o -Wl,--undefined=__xbuild_vectors)"), std::string::npos)
      << cmake;
}

}  // namespace
}  // namespace xb

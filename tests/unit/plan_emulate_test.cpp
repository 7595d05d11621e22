// Planning the emulate strategy: what it needs (a root filesystem, QEMU, root), the sandbox
// command its jobs run, the guest environment, and the row `xbuild plan` prints.
#include <gtest/gtest.h>

#include "emulate/qemu_catalog.h"
#include "plan/plan.h"
#include "support/fake_tool_finder.h"
#include "support/scratch_dir.h"
#include "util/strings.h"

namespace xb {
namespace {

namespace fs = std::filesystem;
using testing::FakeToolFinder;
using testing::ScratchDir;

class PlanEmulateTest : public ::testing::Test {
 protected:
  PlanEmulateTest()
      : catalog_(ToolchainCatalog::load(data_directory() / "toolchains").value()),
        qemu_(QemuCatalog::load(data_directory() / "qemu").value()) {
    scratch_.write("rootfs/bin/sh", "");
    config_.file = scratch_ / "xbuild.toml";
    config_.directory = scratch_.path();
    config_.platforms = {parse_platform("linux/arm64").value()};
    config_.stages = {StageSpec{"build", "make CC=\"$CC\"", {}, {}, 0, {}}};
    config_.overrides["linux/arm64"].strategy = Strategy::emulate;
    config_.overrides["linux/arm64"].rootfs = RootfsSpec{"rootfs", std::nullopt, {}};
    options_.state_dir = "/state";
    options_.host = parse_platform("linux/amd64").value();
    options_.qemu = &qemu_;
    options_.stage_binary = "/usr/libexec/xbuild/xbuild-stage";
    options_.root = true;
    finder_.add_file("/usr/bin/qemu-aarch64-static");
  }

  Plan make() { return make_plan(config_, catalog_, finder_, options_); }

  ScratchDir scratch_;
  ToolchainCatalog catalog_;
  QemuCatalog qemu_;
  FakeToolFinder finder_;
  Config config_;
  PlanOptions options_;
};

TEST_F(PlanEmulateTest, JobsRunInTheSandboxWithGuestPaths) {
  Plan plan = make();
  ASSERT_TRUE(plan.ready()) << render_plan(plan);
  const TargetPlan& target = plan.targets[0];
  EXPECT_EQ(target.strategy, Strategy::emulate);
  ASSERT_TRUE(target.emulation);
  EXPECT_EQ(target.emulation->rootfs, scratch_ / "rootfs");
  EXPECT_EQ(target.emulation->qemu_arch, "aarch64");
  const JobPlan& job = plan.jobs[0];
  EXPECT_EQ(shell_join(job.argv()),
            "/usr/libexec/xbuild/xbuild-stage __sandbox --root " + (scratch_ / "rootfs").string() + " --bind " +
                scratch_.path().string() +
                ":/xbuild/src --bind /state/out/linux-arm64:/xbuild/out --bind /state/work/linux-arm64:/xbuild/work" +
                " --workdir /xbuild/src -- /bin/sh -e -c 'make CC=\"$CC\"'");
  EXPECT_EQ(job.working_directory, scratch_.path());
  EXPECT_EQ(job.env.at("XBUILD_SRC"), "/xbuild/src");
  EXPECT_EQ(job.env.at("XBUILD_OUT"), "/xbuild/out");
  EXPECT_EQ(job.env.at("XBUILD_EXEC"), "");
  EXPECT_EQ(job.env.at("XBUILD_STRATEGY"), "emulate");
  EXPECT_EQ(job.env.at("XBUILD_TRIPLE"), "aarch64-linux-gnu");
  EXPECT_EQ(job.env.at("CC"), "gcc");
  EXPECT_EQ(job.env.at("STRIP"), "strip");
}

// [targets] ccache: the root filesystem's ccache, on the target's directory bound into the sandbox.
TEST_F(PlanEmulateTest, CcacheRunsInTheRootFilesystemOnTheTargetsDirectory) {
  config_.ccache = {true, ""};
  options_.ccache_root = "/cache/ccache";
  Plan plan = make();
  EXPECT_FALSE(plan.targets[0].ccache);
  EXPECT_EQ(
      plan.targets[0].notes,
      std::vector<std::string>{"ccache is off for linux/arm64: its root filesystem " + (scratch_ / "rootfs").string() +
                               " has no /usr/bin/ccache; install ccache in it, or let xbuild make it with rootfs "
                               "= { packages = [..., \"ccache\"] }"});
  EXPECT_EQ(plan.jobs[0].env.at("CC"), "gcc");

  scratch_.write("rootfs/usr/bin/ccache", "");
  plan = make();
  ASSERT_TRUE(plan.ready()) << render_plan(plan);
  ASSERT_TRUE(plan.targets[0].ccache);
  EXPECT_TRUE(plan.targets[0].notes.empty());
  const JobPlan& job = plan.jobs[0];
  EXPECT_EQ(job.env.at("CC"), "ccache gcc");
  EXPECT_EQ(job.env.at("CCACHE_DIR"), "/xbuild/ccache");
  EXPECT_EQ(job.env.at("CCACHE_BASEDIR"), "/xbuild/src");
  EXPECT_NE(shell_join(job.argv()).find(" --bind /cache/ccache/linux-arm64:/xbuild/ccache "), std::string::npos)
      << shell_join(job.argv());
}

TEST_F(PlanEmulateTest, PlanShowsTheRootfsAndQemuAsRunner) {
  std::string rendered = render_plan(make());
  std::string rootfs = "rootfs " + (scratch_ / "rootfs").string();
  EXPECT_EQ(rendered.substr(0, rendered.find("\n\n")), "PLATFORM     STRATEGY  " + std::string("TOOLCHAIN") +
                                                           std::string(rootfs.size() - 9 + 2, ' ') +
                                                           "RUNS TARGET BINARIES WITH\n"
                                                           "linux/arm64  emulate   " +
                                                           rootfs + "  QEMU via binfmt_misc (qemu-aarch64-static)");
}

TEST_F(PlanEmulateTest, WithoutARootfsOrRootTheProblemsSayWhatToDo) {
  config_.overrides["linux/arm64"].rootfs.reset();
  options_.root = false;
  Plan plan = make();
  EXPECT_EQ(plan.targets[0].problems,
            (std::vector<std::string>{
                "strategy \"emulate\" needs a root filesystem of the target: set rootfs = { packages = "
                "[\"build-essential\"] } in [platform.\"linux/arm64\"] (xbuild makes it), or rootfs = \"DIR\", "
                "\"oci:DIR[:TAG]\" or an image reference",
                "strategy \"emulate\" needs root (binfmt_misc, mounts and chroot): run xbuild as root, or use strategy "
                "\"cross\""}));
}

TEST_F(PlanEmulateTest, AMissingQemuIsAProblemNamingThePackage) {
  finder_ = FakeToolFinder();
  Plan plan = make();
  EXPECT_EQ(plan.targets[0].problems,
            (std::vector<std::string>{"missing /usr/bin/qemu-aarch64-static (install qemu-user-static)"}));
  EXPECT_EQ(plan.targets[0].status.missing_packages, (std::vector<std::string>{"qemu-user-static"}));
}

TEST_F(PlanEmulateTest, ARootfsThatIsNotOneIsAProblem) {
  config_.overrides["linux/arm64"].rootfs = RootfsSpec{"missing", std::nullopt, {}};
  Plan plan = make();
  EXPECT_EQ(
      plan.targets[0].problems,
      (std::vector<std::string>{"rootfs \"missing\": " + (scratch_ / "missing").string() + " is not a directory"}));
}

}  // namespace
}  // namespace xb

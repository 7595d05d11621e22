// What targets need before their stages run: the runner's one-time setup (wine's prefix).
#include "build/prepare.h"

#include <gtest/gtest.h>

#include "oci/layer.h"
#include "support/build_world.h"

namespace xb {
namespace {

namespace fs = std::filesystem;
using testing::BuildWorld;

// One cross target whose runner needs setting up once (a shell standing in for wineboot), with a
// build and a test job.
Plan plan_with_setup(const fs::path& state,
                     const std::string& setup = "echo wine: created the configuration directory") {
  Plan plan;
  plan.state_dir = state;
  TargetPlan target;
  target.platform = parse_platform("windows/amd64").value();
  target.exec_prefix = {"wine"};
  target.runner_setup = RunnerSetup{{"sh", "-c", setup}, state / "wine/windows-amd64/system.reg"};
  plan.targets.push_back(target);
  for (const char* stage : {"build", "test"}) {
    JobPlan job;
    job.platform = "windows/amd64";
    job.stage = stage;
    job.env = {{"WINEPREFIX", (state / "wine/windows-amd64").string()}};
    job.log_file = state / "logs/windows-amd64" / (std::string(stage) + ".log");
    plan.jobs.push_back(job);
  }
  return plan;
}

TEST(Prepare, ARunnersSetupRunsOnceWithTheTargetsEnvironmentAndItsOutputInALog) {
  BuildWorld world;
  Plan plan = plan_with_setup(world.state(), "echo wine: created the configuration directory in $WINEPREFIX");
  set_up_runners(plan, {}, world.terminal);
  EXPECT_EQ(read_file(world.state() / "logs/windows-amd64/runner-setup.log").value(),
            "wine: created the configuration directory in " + (world.state() / "wine/windows-amd64").string() + "\n");
  EXPECT_EQ(world.terminal.lines,
            std::vector<std::string>{"xbuild: windows/amd64: setting up wine once for this state directory: sh -c "
                                     "'echo wine: created the configuration directory in $WINEPREFIX' (log: " +
                                     (world.state() / "logs/windows-amd64/runner-setup.log").string() + ")"});
  EXPECT_TRUE(fs::is_directory(world.state() / "wine/windows-amd64"));
}

TEST(Prepare, NoSetupWhenItWasDoneOrNoJobRuns) {
  BuildWorld world;
  Plan plan = plan_with_setup(world.state(), "touch " + (world.scratch / "ran").string());
  set_up_runners(plan, {true, true}, world.terminal);  // every job restored
  world.scratch.write("project/.xbuild/wine/windows-amd64/system.reg", "");
  set_up_runners(plan, {}, world.terminal);  // done in this state directory
  EXPECT_TRUE(world.terminal.lines.empty());
  EXPECT_FALSE(fs::exists(world.scratch / "ran"));
}

TEST(Prepare, AFailedSetupNamesItsLog) {
  BuildWorld world;
  Plan plan = plan_with_setup(world.state(), "exit 1");
  try {
    set_up_runners(plan, {}, world.terminal);
    FAIL() << "set up";
  } catch (const Error& error) {
    EXPECT_EQ(std::string(error.what()), "windows/amd64: sh -c 'exit 1' failed (exit status 1); its output is in " +
                                             (world.state() / "logs/windows-amd64/runner-setup.log").string());
  }
}

// An emulated target's `rootfs = "oci:..."` is unpacked once, under its image's digest; the
// binfmt_misc handlers (root, the kernel) are the e2e tests' (emulate_test.cpp).
TEST(Prepare, AnOciRootfsIsUnpackedOnceAndThenReused) {
  BuildWorld world;
  world.scratch.write("image/bin/sh", "#!/bin/true\n");
  oci::LayerBlob layer = oci::write_layer({{world.scratch / "image", "/"}}, 0, world.scratch / "blobs").value();
  Plan plan;
  TargetPlan target;
  target.platform = parse_platform("linux/arm64").value();
  target.emulation =
      EmulationPlan{world.state() / "rootfs/abc",
                    "sha256:abc",
                    {{world.scratch / "blobs/sha256" / layer.digest.substr(7), layer.digest, layer.size}},
                    "",
                    ""};
  plan.targets.push_back(target);
  unpack_root_filesystems(plan, {"linux/arm64"}, world.terminal);
  EXPECT_TRUE(fs::is_regular_file(world.state() / "rootfs/abc/bin/sh"));
  unpack_root_filesystems(plan, {"linux/arm64"}, world.terminal);
  EXPECT_EQ(world.terminal.lines,
            (std::vector<std::string>{
                "xbuild: rootfs of linux/arm64: unpacked sha256:abc in " + (world.state() / "rootfs/abc").string(),
                "xbuild: rootfs of linux/arm64: reusing sha256:abc in " + (world.state() / "rootfs/abc").string()}));
}

TEST(Prepare, NothingToPrepareForTargetsThatDoNotEmulate) {
  BuildWorld world;
  Plan plan;
  plan.targets.push_back(TargetPlan{});
  unpack_root_filesystems(plan, {}, world.terminal);
  register_handlers(plan, world.services.data_dir, world.terminal);
  EXPECT_TRUE(world.terminal.lines.empty());
}

}  // namespace
}  // namespace xb

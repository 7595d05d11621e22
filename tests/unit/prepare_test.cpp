// What targets need before their stages run: the runner's one-time setup (wine's prefix).
#include "build/prepare.h"

#include <gtest/gtest.h>

#include "support/build_world.h"

namespace xb {
namespace {

namespace fs = std::filesystem;
using testing::BuildWorld;

// One cross target whose runner needs setting up once, with a build and a test job.
Plan plan_with_setup(const fs::path& state) {
  Plan plan;
  plan.state_dir = state;
  TargetPlan target;
  target.platform = parse_platform("windows/amd64").value();
  target.exec_prefix = {"wine"};
  target.runner_setup = RunnerSetup{{"wineboot", "--init"}, state / "wine/windows-amd64/system.reg"};
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

TEST(Prepare, ARunnersSetupRunsOnceWithItsOutputInALog) {
  BuildWorld world;
  world.scripts["--init"].lines = {"wine: created the configuration directory"};
  Plan plan = plan_with_setup(world.state());
  set_up_runners(plan, {}, world.services, world.terminal);
  EXPECT_EQ(world.started, std::vector<std::string>{"--init"});
  EXPECT_EQ(read_file(world.state() / "logs/windows-amd64/runner-setup.log").value(),
            "wine: created the configuration directory\n");
  EXPECT_EQ(world.terminal.lines,
            std::vector<std::string>{"xbuild: windows/amd64: setting up wine once for this state directory: wineboot "
                                     "--init (log: " +
                                     (world.state() / "logs/windows-amd64/runner-setup.log").string() + ")"});
  EXPECT_TRUE(fs::is_directory(world.state() / "wine/windows-amd64"));
}

TEST(Prepare, NoSetupWhenItWasDoneOrNoJobRuns) {
  BuildWorld world;
  Plan plan = plan_with_setup(world.state());
  set_up_runners(plan, {true, true}, world.services, world.terminal);  // every job restored
  world.scratch.write("project/.xbuild/wine/windows-amd64/system.reg", "");
  set_up_runners(plan, {}, world.services, world.terminal);  // done in this state directory
  EXPECT_TRUE(world.started.empty());
}

TEST(Prepare, AFailedSetupNamesItsLog) {
  BuildWorld world;
  world.scripts["--init"].exit = ProcessExit{1, 0};
  Plan plan = plan_with_setup(world.state());
  try {
    set_up_runners(plan, {}, world.services, world.terminal);
    FAIL() << "set up";
  } catch (const Error& error) {
    EXPECT_EQ(std::string(error.what()), "windows/amd64: wineboot --init failed (exit status 1); its output is in " +
                                             (world.state() / "logs/windows-amd64/runner-setup.log").string());
  }
}

}  // namespace
}  // namespace xb

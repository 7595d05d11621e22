// The plan pass: the catalogs and this machine's compilers, the builders reached first, and the
// error when something cannot be built here.
#include "build/planning.h"

#include <gtest/gtest.h>

#include "build/inputs.h"
#include "support/build_world.h"

namespace xb {
namespace {

using testing::BuildWorld;

TEST(Planning, ThePlanUsesTheCompilersVersionsAndTheRequestsValues) {
  BuildWorld world;
  Config config = read_config(world.options.config_file);
  Plan plan = plan_targets({config, world.state(), 42, {{"a", "b"}}, {}}, world.services, world.finder);
  ASSERT_TRUE(plan.ready()) << render_plan(plan);
  EXPECT_EQ(plan.source_date_epoch, 42);
  EXPECT_EQ(plan.index_annotations, (std::map<std::string, std::string>{{"a", "b"}}));
  EXPECT_EQ(plan.targets[1].status.compiler_version, "12.2.0");
  EXPECT_EQ(plan.state_dir, world.state());
}

TEST(Planning, NotReadyIsAnErrorShowingTheMatrixAndWhatIsMissing) {
  BuildWorld world;
  world.finder = testing::FakeToolFinder();
  Config config = read_config(world.options.config_file);
  Plan plan = plan_targets({config, world.state(), 0, {}, {}}, world.services, world.finder);
  try {
    require_ready(plan);
    FAIL() << "ready";
  } catch (const Error& error) {
    std::string message = error.what();
    EXPECT_EQ(error.exit_code(), 2);
    EXPECT_EQ(message.rfind("cannot build every platform:\nPLATFORM", 0), 0u) << message;
    EXPECT_NE(message.find("\nmissing:\n  linux/amd64: missing x86_64-linux-gnu-gcc (install gcc)"), std::string::npos)
        << message;
    EXPECT_NE(message.back(), '\n');
  }
}

// --skip-unavailable: a target with problems leaves the plan with its jobs, the others' jobs and
// needs renumbered; it comes back with its stages and why.
TEST(Planning, SkipUnavailableLeavesOutTheTargetsThatCannotBuildHere) {
  Plan plan;
  for (const char* name : {"linux/amd64", "linux/riscv64", "linux/arm64"}) {
    TargetPlan target;
    target.platform = parse_platform(name).value();
    target.strategy = Strategy::cross;
    plan.targets.push_back(target);
    for (const char* stage : {"build", "test"}) {
      JobPlan job;
      job.target = plan.targets.size() - 1;
      job.platform = name;
      job.stage = stage;
      if (std::string(stage) == "test") job.needs = {plan.jobs.size() - 1};
      plan.jobs.push_back(job);
    }
  }
  plan.targets[1].problems = {"missing riscv64-linux-gnu-gcc (install gcc-riscv64-linux-gnu)"};
  std::vector<SkippedPlatform> skipped = leave_out_unavailable(plan);
  ASSERT_EQ(skipped.size(), 1u);
  EXPECT_EQ(skipped[0].platform, "linux/riscv64");
  EXPECT_EQ(skipped[0].strategy, "cross");
  EXPECT_EQ(skipped[0].stages, (std::vector<std::string>{"build", "test"}));
  EXPECT_EQ(skipped[0].reason,
            "missing riscv64-linux-gnu-gcc (install gcc-riscv64-linux-gnu); left out by --skip-unavailable");
  ASSERT_TRUE(plan.ready());
  ASSERT_EQ(plan.targets.size(), 2u);
  EXPECT_EQ(plan.targets[1].platform.str(), "linux/arm64");
  ASSERT_EQ(plan.jobs.size(), 4u);
  EXPECT_EQ(plan.jobs[3].label(), "linux/arm64 test");
  EXPECT_EQ(plan.jobs[3].target, 1u);
  EXPECT_EQ(plan.jobs[3].needs, (std::vector<std::size_t>{2}));

  // Nothing left to build is an error, as without the flag.
  for (TargetPlan& target : plan.targets) target.problems = {"missing something"};
  try {
    leave_out_unavailable(plan);
    FAIL() << "nothing was left, and no error";
  } catch (const Error& error) {
    EXPECT_EQ(error.exit_code(), 2);
    EXPECT_EQ(std::string(error.what())
                  .rfind("cannot build any platform here, so --skip-unavailable leaves nothing "
                         "to build:\nPLATFORM",
                         0),
              0u)
        << error.what();
  }
}

TEST(Planning, AnUnreachableBuilderIsSaidAndItsPlatformPlannedHereOrFailed) {
  BuildWorld world(std::string(testing::kTwoPlatformProject) +
                   "[builder.pi]\nssh = \"nobody@127.0.0.1\"\nport = 1\nplatforms = [\"linux/arm64\"]\n");
  RunInputs inputs = read_run_inputs(world.options);
  ResolvedTrees trees;
  Plan plan = plan_run(inputs, TreeOptions{}, world.services, world.finder, world.terminal, trees);
  ASSERT_EQ(world.terminal.lines.size(), 1u);
  EXPECT_EQ(world.terminal.lines[0].rfind("xbuild: builder pi (ssh nobody@127.0.0.1 port 1) is unreachable: ", 0), 0u)
      << world.terminal.lines[0];
  EXPECT_NE(world.terminal.lines[0].find("; linux/arm64 fails (fallback = \"local\" in [builder.pi] would build it "
                                         "here instead)"),
            std::string::npos)
      << world.terminal.lines[0];
  EXPECT_EQ(plan.targets[1].builder, "pi");

  world.write_config(std::string(testing::kTwoPlatformProject) +
                     "[builder.pi]\nssh = \"nobody@127.0.0.1\"\nport = 1\nplatforms = [\"linux/arm64\"]\n"
                     "fallback = \"local\"\n");
  world.terminal.lines.clear();
  inputs = read_run_inputs(world.options);
  plan = plan_run(inputs, TreeOptions{}, world.services, world.finder, world.terminal, trees);
  ASSERT_EQ(world.terminal.lines.size(), 1u);
  EXPECT_NE(world.terminal.lines[0].find("; building linux/arm64 here instead (fallback = \"local\")"),
            std::string::npos)
      << world.terminal.lines[0];
  EXPECT_TRUE(plan.targets[1].builder.empty());
  EXPECT_EQ(plan.targets[1].strategy, Strategy::cross);
}

}  // namespace
}  // namespace xb

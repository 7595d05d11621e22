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

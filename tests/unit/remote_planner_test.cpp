// Planning a platform that a [builder.NAME] declares: native on the builder, its jobs the
// scripts that run there over ssh; an unreachable builder's jobs fail saying so, or with
// fallback = "local" the platform is planned here instead.
#include <gtest/gtest.h>

#include "config/config.h"
#include "plan/plan.h"
#include "remote/builder.h"
#include "support/fake_tool_finder.h"

namespace xb {
namespace {

using testing::FakeToolFinder;

class RemotePlannerTest : public ::testing::Test {
 protected:
  RemotePlannerTest() : catalog_(ToolchainCatalog::load(data_directory() / "toolchains").value()) {
    options_.state_dir = "/state";
    options_.source_date_epoch = 7;
    options_.host = parse_platform("linux/amd64").value();
  }

  Plan make(const std::string& builder) {
    ConfigResult result = parse_config(std::string(R"(
[project]
name = "hello"
[targets]
platforms = ["linux/amd64", "linux/arm64"]
[stage.build]
run = "make"
env = { V = "1" }
)") + builder,
                                       "/p/xbuild.toml");
    EXPECT_TRUE(std::holds_alternative<Config>(result));
    config_ = std::get<Config>(result);
    return make_plan(config_, catalog_, finder_, options_);
  }

  ToolchainCatalog catalog_;
  FakeToolFinder finder_;  // no compiler at all: only the builder's platform can be ready
  Config config_;
  PlanOptions options_;
};

const char* const kPi = "[builder.pi]\nssh = \"me@pi\"\nplatforms = [\"linux/arm64\"]\ndir = \"w\"\n";

TEST_F(RemotePlannerTest, OnlyDeclaredPlatformsGoToTheBuilderAndTheirJobsRunOverSsh) {
  Plan plan = make(kPi);
  EXPECT_TRUE(plan.targets[0].builder.empty());
  EXPECT_EQ(plan.jobs[0].command, "make");
  const TargetPlan& arm64 = plan.targets[1];
  EXPECT_EQ(arm64.builder, "pi");
  EXPECT_EQ(arm64.strategy, Strategy::native);
  EXPECT_TRUE(arm64.problems.empty());
  EXPECT_FALSE(arm64.toolchain);
  EXPECT_EQ(arm64.reason, "[builder.pi] declares it: native on me@pi");
  const JobPlan& job = plan.jobs[1];
  EXPECT_EQ(job.command, remote_stage_script(config_, config_.builders[0], arm64.platform,
                                             {{"CC", "cc"},
                                              {"CXX", "c++"},
                                              {"SOURCE_DATE_EPOCH", "7"},
                                              {"V", "1"},
                                              {"XBUILD_EXEC", ""},
                                              {"XBUILD_PLATFORM", "linux/arm64"}},
                                             {"/bin/sh", "-e", "-c"}, "make", "/state/builders/pi"));
  EXPECT_EQ(job.shell, (std::vector<std::string>{"/bin/sh", "-c"}));  // the script checks each step itself
  // What the script itself reads here: the local $XBUILD_OUT the outputs are copied into.
  EXPECT_EQ(job.env,
            (std::map<std::string, std::string>{
                {"XBUILD_OUT", "/state/out/linux-arm64"}, {"XBUILD_PLATFORM", "linux/arm64"}, {"XBUILD_SRC", "/p"}}));
  EXPECT_EQ(job.working_directory, "/p");
  EXPECT_NE(render_plan(plan).find("linux/arm64  native    builder pi            builder pi\n"), std::string::npos)
      << render_plan(plan);
}

TEST_F(RemotePlannerTest, AnUnreachableBuildersJobsFailNamingIt) {
  options_.unreachable_builders = {{"pi", "Connection refused"}};
  Plan plan = make(kPi);
  EXPECT_EQ(plan.targets[1].builder, "pi");
  EXPECT_EQ(plan.targets[1].builder_unreachable, "Connection refused");
  EXPECT_EQ(plan.jobs[1].command,
            "echo 'xbuild: builder pi (ssh me@pi) is unreachable: Connection refused' >&2; exit 255");
}

TEST_F(RemotePlannerTest, AnUnreachableBuilderWithFallbackLocalIsPlannedHere) {
  options_.unreachable_builders = {{"pi", "Connection refused"}};
  finder_.add_program("aarch64-linux-gnu-gcc", "12.2.0").add_file("/usr/aarch64-linux-gnu/include/stdio.h");
  finder_.add_program("qemu-aarch64-static");
  finder_.add_program("make");
  Plan plan = make(std::string(kPi) + "fallback = \"local\"\n");
  const TargetPlan& arm64 = plan.targets[1];
  EXPECT_TRUE(arm64.builder.empty());
  EXPECT_EQ(arm64.strategy, Strategy::cross);
  EXPECT_TRUE(arm64.problems.empty()) << render_plan(plan);
  EXPECT_EQ(plan.jobs[1].command, "make");
  EXPECT_EQ(plan.jobs[1].env.at("CC"), "aarch64-linux-gnu-gcc");
}

}  // namespace
}  // namespace xb

// The schedule pass: the jobs not restored run on one loop, the rest count as done.
#include "build/schedule.h"

#include <gtest/gtest.h>

#include "build/inputs.h"
#include "build/planning.h"
#include "build/state_dir.h"
#include "support/build_world.h"

namespace xb {
namespace {

using testing::BuildWorld;

class SchedulePassTest : public ::testing::Test {
 protected:
  SchedulePassTest() {
    config_ = read_config(world_.options.config_file);
    plan_ = plan_targets({config_, world_.state(), 0, {}, {}}, world_.services, world_.finder);
    prepare_state_dir(plan_);
  }

  BuildWorld world_;
  Config config_;
  Plan plan_;
};

TEST_F(SchedulePassTest, OnlyTheJobsNotDoneRun) {
  RunResult result =
      schedule(plan_, {2, false, {true, false, true, true}, {}}, nullptr, world_.services, world_.terminal);
  EXPECT_TRUE(result.ok());
  EXPECT_EQ(world_.started, std::vector<std::string>{"test"});
  for (const JobResult& job : result.jobs) EXPECT_EQ(job.state, JobState::succeeded);
}

TEST_F(SchedulePassTest, WithEveryJobDoneNothingStarts) {
  bool made = false;
  world_.services.process_runner = [&](uv_loop_t* loop, StageContainment*) -> std::unique_ptr<ProcessRunner> {
    made = true;
    return std::make_unique<testing::FakeProcessRunner>(loop);
  };
  RunResult result =
      schedule(plan_, {2, false, std::vector<bool>(4, true), {}}, nullptr, world_.services, world_.terminal);
  EXPECT_TRUE(result.ok());
  EXPECT_FALSE(made);  // not even a loop and a runner
}

TEST_F(SchedulePassTest, TheFirstFailureIsTheRunsFailure) {
  world_.scripts["build"].exit = ProcessExit{2, 0};
  RunResult result = schedule(plan_, {1, false, {}, {}}, nullptr, world_.services, world_.terminal);
  EXPECT_FALSE(result.ok());
  ASSERT_TRUE(result.first_failure);
  EXPECT_EQ(plan_.jobs[*result.first_failure].stage, "build");
  EXPECT_EQ(result.failure_message(plan_).rfind("stage \"build\" failed on linux/", 0), 0u);
}

TEST_F(SchedulePassTest, ATargetsLayerIsPackedOnceItsJobsSucceeded) {
  OutputTarget output{OutputTarget::Kind::layout, world_.scratch / "layout"};
  LayerPacker packer(config_, plan_, output);
  RunResult result = schedule(plan_, {2, false, {}, {}}, &packer, world_.services, world_.terminal);
  ASSERT_TRUE(result.ok());
  Result<PackageResult> images = package_and_publish(config_, plan_, output, {}, &packer);
  ASSERT_TRUE(images.ok()) << images.error();
  EXPECT_EQ(images.value().images.size(), 2u);
}

}  // namespace
}  // namespace xb

// The state directory: one run at a time, and what a run finds there before its stages start.
#include "build/state_dir.h"

#include <gtest/gtest.h>

#include "run/terminal.h"
#include "support/scratch_dir.h"
#include "util/fs.h"

namespace xb {
namespace {

namespace fs = std::filesystem;
using testing::ScratchDir;

Plan two_targets(const fs::path& state) {
  Plan plan;
  plan.state_dir = state;
  for (const char* name : {"linux/amd64", "linux/arm64"}) {
    TargetPlan target;
    target.platform = parse_platform(name).value();
    target.output_dir = state / "out" / target.platform.slug();
    plan.targets.push_back(target);
    JobPlan job;
    job.target = plan.targets.size() - 1;
    job.platform = name;
    job.stage = "build";
    job.log_file = state / "logs" / target.platform.slug() / "build.log";
    plan.jobs.push_back(job);
  }
  plan.targets[1].files = {{state / "toolchains/linux-arm64.meson.ini", "[binaries]\n"},
                           {state / "toolchains/linux-arm64.cmake", "set(X 1)\n"}};
  return plan;
}

TEST(StateDir, PrepareWritesGeneratedFilesAndEmptiesOutputs) {
  ScratchDir scratch;
  Plan plan = two_targets(scratch / "state");
  scratch.write("state/out/linux-arm64/stale", "from the last run");
  prepare_state_dir(plan);
  EXPECT_TRUE(fs::is_directory(scratch / "state/out/linux-amd64"));
  EXPECT_FALSE(fs::exists(scratch / "state/out/linux-arm64/stale"));
  EXPECT_TRUE(fs::is_directory(scratch / "state/logs/linux-arm64"));
  EXPECT_EQ(read_file(scratch / "state/toolchains/linux-arm64.meson.ini").value(), "[binaries]\n");
  EXPECT_EQ(read_file(scratch / "state/toolchains/linux-arm64.cmake").value(), "set(X 1)\n");
  EXPECT_FALSE(fs::exists(scratch / "state/toolchains/linux-amd64.meson.ini"));
}

TEST(StateDir, PrepareKeepsIntactOutputsAndUnchangedFiles) {
  ScratchDir scratch;
  Plan plan = two_targets(scratch / "state");
  prepare_state_dir(plan);
  fs::path meson = scratch / "state/toolchains/linux-arm64.meson.ini";
  auto written = fs::last_write_time(meson);
  scratch.write("state/out/linux-amd64/kept", "intact");
  scratch.write("state/out/linux-arm64/stale", "replayed");
  prepare_state_dir(plan, {true, false});
  EXPECT_TRUE(fs::exists(scratch / "state/out/linux-amd64/kept"));
  EXPECT_FALSE(fs::exists(scratch / "state/out/linux-arm64/stale"));
  EXPECT_EQ(fs::last_write_time(meson), written);  // unchanged: not written again
}

TEST(StateDir, AnOutputThatCannotBeEmptiedIsAnError) {
  ScratchDir scratch;
  Plan plan = two_targets(scratch / "state");
  scratch.write("state/out", "a file where a directory should be");
  try {
    prepare_state_dir(plan);
    FAIL() << "prepared";
  } catch (const Error& error) {
    EXPECT_EQ(std::string(error.what()),
              "cannot empty " + (scratch / "state/out/linux-amd64").string() + ": Not a directory")
        << error.what();
  }
}

TEST(StateDir, TheLockIsTakenAndAWaitIsSaid) {
  ScratchDir scratch;
  RecordingTerminal terminal;
  fs::create_directories(scratch / "state");
  {
    FileLock lock = lock_state_dir(scratch / "state", terminal);
    EXPECT_TRUE(lock.held());
    EXPECT_TRUE(terminal.lines.empty());  // nobody else had it
  }
  FileLock again = lock_state_dir(scratch / "state", terminal);
  EXPECT_TRUE(again.held());
}

}  // namespace
}  // namespace xb

// `xbuild run` and `xbuild plan` as a whole, in a small world of fakes (support/build_world.h):
// the passes in their order, what a cold run, a rerun and a failed run leave behind.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "support/build_world.h"
#include "util/file_lock.h"

namespace xb {
namespace {

namespace fs = std::filesystem;
using testing::BuildWorld;

bool has_line(const std::vector<std::string>& lines, const std::string& line) {
  return std::find(lines.begin(), lines.end(), line) != lines.end();
}

std::vector<std::string> sorted(std::vector<std::string> items) {
  std::sort(items.begin(), items.end());
  return items;
}

TEST(Pipeline, AColdRunRunsEveryStageAndPublishesTheIndexOfEveryPlatform) {
  BuildWorld world;
  ASSERT_EQ(world.run(), 0);
  EXPECT_EQ(sorted(world.started), (std::vector<std::string>{"build", "build", "test", "test"}));
  EXPECT_EQ(read_file(world.state() / "out/linux-arm64/build").value(), "linux/arm64");
  EXPECT_TRUE(fs::is_regular_file(world.state() / "oci/index.json"));
  EXPECT_TRUE(fs::is_regular_file(world.state() / "toolchains/linux-arm64.meson.ini"));
  EXPECT_TRUE(fs::is_regular_file(world.state() / "package-key"));
  bool reported = std::any_of(world.terminal.lines.begin(), world.terminal.lines.end(), [&](const std::string& line) {
    return line.rfind("xbuild: built 2 platforms in ", 0) == 0 &&
           line.find("; wrote oci:" + (world.state() / "oci").string() + " (tag 1.0.0)") != std::string::npos;
  });
  EXPECT_TRUE(reported);
}

TEST(Pipeline, ARerunWithNothingChangedRunsNothingAndLeavesTheOutputAlone) {
  BuildWorld world;
  ASSERT_EQ(world.run(), 0);
  fs::path index = world.state() / "oci/index.json";
  auto written = fs::last_write_time(index);
  world.started.clear();
  world.terminal.lines.clear();
  ASSERT_EQ(world.run(), 0);
  EXPECT_TRUE(world.started.empty());
  EXPECT_TRUE(has_line(world.terminal.lines, "xbuild: linux/amd64: cached (build, test)"));
  EXPECT_TRUE(has_line(world.terminal.lines, "xbuild: linux/arm64: cached (build, test)"));
  EXPECT_EQ(fs::last_write_time(index), written);
}

TEST(Pipeline, AnEditedInputRerunsOnlyTheStagesThatReadIt) {
  BuildWorld world;
  ASSERT_EQ(world.run(), 0);
  world.started.clear();
  world.scratch.write("project/src/hello.c", "int main(void) { return 1; }\n");
  ASSERT_EQ(world.run(), 0);
  EXPECT_EQ(sorted(world.started), (std::vector<std::string>{"build", "build", "test", "test"}));
  world.started.clear();
  world.scratch.write("project/README", "not an input of any stage\n");
  ASSERT_EQ(world.run(), 0);
  EXPECT_TRUE(world.started.empty());
}

TEST(Pipeline, AFailedStageEndsTheRunWithItsErrorAndPublishesNothing) {
  BuildWorld world;
  world.scripts["test"].exit = ProcessExit{3, 0};
  try {
    world.run();
    FAIL() << "the run succeeded";
  } catch (const Error& error) {
    EXPECT_EQ(error.exit_code(), 1);
    EXPECT_EQ(std::string(error.what()).rfind("stage \"test\" failed on linux/", 0), 0u) << error.what();
  }
  EXPECT_FALSE(fs::exists(world.state() / "oci"));
  EXPECT_FALSE(fs::exists(world.state() / "package-key"));
}

TEST(Pipeline, TheStateDirectoryIsLockedBeforeAnythingIsWrittenThere) {
  BuildWorld world;
  fs::create_directories(world.state());
  Result<FileLock> held = FileLock::acquire(world.state() / "lock", FileLock::Mode::exclusive);
  ASSERT_TRUE(held.ok());
  int status = -1;
  std::thread run([&] { status = world.run(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  std::vector<std::string> entries;
  for (const fs::directory_entry& entry : fs::directory_iterator(world.state()))
    entries.push_back(entry.path().filename().string());
  EXPECT_EQ(entries, std::vector<std::string>{"lock"});  // no out/, logs/, toolchains/, base/ yet
  held = FileLock();
  run.join();
  EXPECT_EQ(status, 0);
  // The first line is the note on SOURCE_DATE_EPOCH 0 (the project is no git checkout).
  ASSERT_GE(world.terminal.lines.size(), 2u);
  EXPECT_EQ(world.terminal.lines[0].rfind("xbuild: note: the images are dated 1970-01-01", 0), 0u);
  EXPECT_EQ(world.terminal.lines[1],
            "xbuild: waiting for the other xbuild run using " + world.state().string() + " to finish");
}

TEST(Pipeline, AConfigThatCannotBeBuiltHereStopsBeforeAnythingRuns) {
  BuildWorld world;
  world.finder = testing::FakeToolFinder();  // no compiler at all
  try {
    world.run();
    FAIL() << "the run succeeded";
  } catch (const Error& error) {
    EXPECT_EQ(error.exit_code(), 2);
    EXPECT_EQ(std::string(error.what()).rfind("cannot build every platform:\nPLATFORM", 0), 0u) << error.what();
  }
  EXPECT_TRUE(world.started.empty());
  EXPECT_FALSE(fs::exists(world.state() / "out"));
}

TEST(Pipeline, PlanPrintsTheMatrixAndSaysWhetherItIsReady) {
  BuildWorld world;
  PlanCommandOptions options;
  options.config_file = world.options.config_file;
  ::testing::internal::CaptureStdout();
  int status = plan_build(options, world.services);
  std::string printed = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(status, 0);
  EXPECT_EQ(printed.rfind("PLATFORM     STRATEGY  TOOLCHAIN", 0), 0u) << printed;
  EXPECT_FALSE(fs::exists(world.state()));  // planning writes nothing
}

TEST(Pipeline, PlanShowsTheOutputAndWhereALocalOutputPutsEachPlatform) {
  BuildWorld world;
  PlanCommandOptions options;
  options.config_file = world.options.config_file;
  ::testing::internal::CaptureStdout();
  EXPECT_EQ(plan_build(options, world.services), 0);
  std::string printed = ::testing::internal::GetCapturedStdout();
  EXPECT_NE(printed.find("\noutput: oci:" + (world.state() / "oci").string() + "\n"), std::string::npos) << printed;

  fs::path dist = world.scratch / "dist";
  options.output = "local:" + dist.string();
  ::testing::internal::CaptureStdout();
  EXPECT_EQ(plan_build(options, world.services), 0);
  printed = ::testing::internal::GetCapturedStdout();
  std::string expected = "\noutput: local:" + dist.string() + " (files: a directory per platform and xbuild.json)\n" +
                         "  linux/amd64  " + dist.string() + "/linux-amd64/\n" + "  linux/arm64  " + dist.string() +
                         "/linux-arm64/\n" + "  summary      " + dist.string() + "/xbuild.json\n";
  EXPECT_NE(printed.find(expected), std::string::npos) << printed;
  EXPECT_FALSE(fs::exists(dist));

  ASSERT_TRUE(write_file_atomic(dist, "a file"));
  try {
    plan_build(options, world.services);
    FAIL() << "the plan took a file as the output directory";
  } catch (const Error& error) {
    EXPECT_EQ(error.exit_code(), 2);
    EXPECT_EQ(std::string(error.what()), "local:" + dist.string() + ": " + dist.string() +
                                             " exists and is not a directory; remove it, or name a directory");
  }
}

}  // namespace
}  // namespace xb

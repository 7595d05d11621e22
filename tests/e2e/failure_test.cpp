// Failures end to end: a stage failing on one platform stops the run with a clear message and
// leaves the previous layout as it was; a broken config or a missing toolchain changes nothing.
#include <gtest/gtest.h>

#include <chrono>

#include <nlohmann/json.hpp>

#include "e2e/e2e_support.h"
#include "util/fs.h"

namespace xb::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The same project, where linux/arm64's test fails and linux/amd64's would run for a long time.
const char* const kFailingOverride = R"(
[platform."linux/amd64".stage.test]
run = 'sleep 31.5 & sleep 31.5; wait'

[platform."linux/arm64".stage.test]
run = 'sleep 1; echo boom >&2; exit 3'
)";

bool survivor_exists(const std::string& pattern) { return run({"pgrep", "-f", pattern}).exit_code == 0; }

TEST(RunFailure, AStageFailingOnOnePlatformStopsEverythingAndKeepsThePreviousLayout) {
  XB_REQUIRE_TOOLS("make", "aarch64-linux-gnu-gcc", "qemu-aarch64-static", "pgrep");
  ScratchDir scratch;
  fs::path project = copy_example("hello", scratch / "hello");
  scratch.write("hello/xbuild.toml", kTwoPlatformConfig);
  fs::path layout = scratch / "layout";
  CommandResult good = xbuild({"run", "-o", "oci:" + layout.string()}, project);
  ASSERT_EQ(good.exit_code, 0) << good.err;
  std::string before = snapshot_tree(layout);

  scratch.write("hello/xbuild.toml", std::string(kTwoPlatformConfig) + kFailingOverride);
  auto started = std::chrono::steady_clock::now();
  CommandResult failed = xbuild({"run", "-o", "oci:" + layout.string()}, project);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  EXPECT_EQ(failed.exit_code, 1);
  fs::path log = project / ".xbuild" / "logs" / "linux-arm64" / "test.log";
  EXPECT_NE(failed.err.find("xbuild: error: stage \"test\" failed on linux/arm64 (exit status 3); its log is " +
                            log.string() + "\n"),
            std::string::npos)
      << failed.err;
  EXPECT_NE(failed.out.find("[linux/arm64 test] boom\n"), std::string::npos) << failed.out;
  EXPECT_EQ(read_file(log).value(), "boom\n");
  EXPECT_LT(seconds, 20.0) << "the 31.5 s sleepers on linux/amd64 were not stopped";
  EXPECT_FALSE(survivor_exists("sleep 31.5")) << "a child of the stopped stage survived";
  EXPECT_EQ(snapshot_tree(layout), before) << "the previous layout changed";
  EXPECT_TRUE(fs::is_directory(layout)) << "the previous layout is gone";
}

TEST(RunFailure, ABrokenConfigIsReportedWithLineAndCaretAndChangesNothing) {
  ScratchDir scratch;
  fs::path project = copy_example("hello", scratch / "hello");
  scratch.write("hello/xbuild.toml", std::string(kTwoPlatformConfig) + "\n[stage.deploy]\nnedes = [\"test\"]\n");
  std::string before = snapshot_tree(scratch.path());

  CommandResult result = xbuild({"run", "-o", "oci:" + (scratch / "layout").string()}, project);

  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.out, "");
  EXPECT_NE(
      result.err.find("xbuild.toml:20:1: error: unknown key \"nedes\" in [stage.deploy]; did you mean \"needs\"?\n"
                      "   20 | nedes = [\"test\"]\n"
                      "      | ^\n"),
      std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("xbuild: error: 2 errors in xbuild.toml; nothing was run\n"), std::string::npos)
      << result.err;
  EXPECT_EQ(snapshot_tree(scratch.path()), before);
}

TEST(RunFailure, AMissingCrossCompilerNamesThePackageToInstall) {
  ScratchDir scratch;
  fs::path project = copy_example("hello", scratch / "hello");
  scratch.write("hello/xbuild.toml", kTwoPlatformConfig);
  // A PATH holding everything in /usr/bin but the arm64 cross compiler.
  fs::path bin = scratch / "bin";
  fs::create_directories(bin);
  for (const fs::directory_entry& entry : fs::directory_iterator("/usr/bin"))
    if (entry.path().filename() != "aarch64-linux-gnu-gcc")
      fs::create_symlink(entry.path(), bin / entry.path().filename());
  std::string before = snapshot_tree(project);

  CommandResult plan = xbuild({"plan"}, project, {{"PATH", bin.string()}});
  EXPECT_EQ(plan.exit_code, 2);
  EXPECT_NE(plan.out.find("missing:\n  linux/arm64: missing aarch64-linux-gnu-gcc (install gcc-aarch64-linux-gnu)\n"
                          "  to install: apt-get install --no-install-recommends gcc-aarch64-linux-gnu\n"),
            std::string::npos)
      << plan.out;

  CommandResult built = xbuild({"run"}, project, {{"PATH", bin.string()}});
  EXPECT_EQ(built.exit_code, 2);
  EXPECT_NE(built.err.find("xbuild: error: cannot build every platform:\n"), std::string::npos) << built.err;
  EXPECT_NE(built.err.find("linux/arm64: missing aarch64-linux-gnu-gcc (install gcc-aarch64-linux-gnu)"),
            std::string::npos)
      << built.err;
  EXPECT_EQ(snapshot_tree(project), before);

  // --skip-unavailable: the plan says what a run leaves out, the run builds the rest and reports
  // linux/arm64's stages skipped, with why; --fail-on-skip turns that into exit status 3.
  const std::string why =
      "missing aarch64-linux-gnu-gcc (install gcc-aarch64-linux-gnu); left out by --skip-unavailable";
  CommandResult planned = xbuild({"plan", "--skip-unavailable"}, project, {{"PATH", bin.string()}});
  EXPECT_EQ(planned.exit_code, 0) << planned.out << planned.err;
  EXPECT_NE(planned.out.find("\nxbuild: a run skips linux/arm64: " + why + "\n"), std::string::npos) << planned.out;
  EXPECT_EQ(xbuild({"plan", "--skip-unavailable", "--fail-on-skip"}, project, {{"PATH", bin.string()}}).exit_code, 3);

  fs::path metadata = scratch / "metadata.json";
  CommandResult skipping = xbuild({"run", "--skip-unavailable", "--progress", "plain", "--metadata-file",
                                   metadata.string(), "-o", "oci:" + (scratch / "layout").string()},
                                  project, {{"PATH", bin.string()}});
  EXPECT_EQ(skipping.exit_code, 0) << skipping.err;
  EXPECT_NE(skipping.out.find("] linux/arm64 build skipped (" + why + ")\n"), std::string::npos) << skipping.out;
  EXPECT_NE(skipping.out.find("\nlinux/arm64  cross     build skipped, test skipped\n"), std::string::npos)
      << skipping.out;
  EXPECT_NE(skipping.out.find("\nlinux/arm64 test skipped: " + why + "\n"), std::string::npos) << skipping.out;
  json written = json::parse(read_file(metadata).value());
  EXPECT_EQ(written["platforms"]["linux/amd64"]["stages"], json({{"build", "ok"}, {"test", "ok"}})) << written;
  EXPECT_EQ(written["platforms"]["linux/arm64"]["stages"], json({{"build", "skipped"}, {"test", "skipped"}}))
      << written;
  EXPECT_EQ(written["platforms"]["linux/arm64"]["details"], json({{"build", why}, {"test", why}})) << written;
  EXPECT_TRUE(written["platforms"]["linux/amd64"].contains("containerimage.digest")) << written;
  EXPECT_FALSE(written["platforms"]["linux/arm64"].contains("containerimage.digest")) << written;

  CommandResult strict =
      xbuild({"run", "--skip-unavailable", "--fail-on-skip", "-o", "oci:" + (scratch / "strict").string()}, project,
             {{"PATH", bin.string()}});
  EXPECT_EQ(strict.exit_code, 3);
  EXPECT_NE(strict.err.find("xbuild: error: 1 platform was skipped (linux/arm64): this machine cannot build it "
                            "(--fail-on-skip)\n"),
            std::string::npos)
      << strict.err;
  EXPECT_TRUE(fs::exists(scratch / "strict" / "index.json")) << "the others were built and written all the same";
}

}  // namespace
}  // namespace xb::testing

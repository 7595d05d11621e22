// Cancellation end to end: SIGINT or SIGTERM to xbuild while stages run ends every process
// tree the stages started (children and grandchildren) within the 2 s grace, leaves the
// previous layout as it was, and exits with status 130.
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/process.hpp>
#include <chrono>
#include <future>
#include <thread>

#include "e2e/e2e_support.h"
#include "e2e/run_report.h"
#include "util/fs.h"

namespace xb::testing {
namespace {

namespace fs = std::filesystem;
namespace bp = boost::process;
using nlohmann::json;

const char* const kConfig = R"(
[project]
name = "hello"

[targets]
platforms = ["linux/amd64", "linux/arm64"]

[stage.build]
run = 'make -s -C src CC="$CC" OUT="$XBUILD_OUT"'

[image]
entrypoint = ["/app/hello"]
copy = [{ from = "hello", to = "/app/hello" }]
)";

// A stage whose shell starts a child that starts grandchildren, all sleeping for long.
const char* const kSlowStage = R"(
[stage.slow]
needs = ["build"]
run = 'echo started; sh -c "sleep 43.5 & sleep 43.5; wait" & sleep 43.5; wait'
)";

int count_survivors() {
  CommandResult found = run({"pgrep", "-c", "-x", "-f", "sleep 43.5"});
  return found.exit_code == 0 ? std::stoi(found.out) : 0;
}

void interrupts_with(int signal_number, const std::string& name) {
  ScratchDir scratch;
  fs::path project = copy_example("hello", scratch / "hello");
  scratch.write("hello/xbuild.toml", kConfig);
  fs::path layout = scratch / "layout";
  ASSERT_EQ(xbuild({"run", "-o", "oci:" + layout.string()}, project).exit_code, 0);
  std::string before = snapshot_tree(layout);

  scratch.write("hello/xbuild.toml", std::string(kConfig) + kSlowStage);
  bp::environment environment = boost::this_process::environment();
  environment["SOURCE_DATE_EPOCH"] = "1700000000";
  environment["XBUILD_CACHE_DIR"] = (scratch / "cache").string();
  bp::ipstream out, err;
  fs::path metadata = scratch / "metadata.json";
  bp::child xbuild_process(xbuild_binary().string(), "run", "-o", "oci:" + layout.string(), "--metadata-file",
                           metadata.string(), environment, bp::start_dir(project.string()), bp::std_in.close(),
                           bp::std_out > out, bp::std_err > err);
  std::future<std::string> out_text =
      std::async(std::launch::async, [&] { return std::string(std::istreambuf_iterator<char>(out), {}); });
  std::future<std::string> err_text =
      std::async(std::launch::async, [&] { return std::string(std::istreambuf_iterator<char>(err), {}); });
  // Both platforms' slow stages and their grandchildren: 3 sleepers each.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (count_survivors() < 6 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (count_survivors() != 6) ::kill(xbuild_process.id(), SIGKILL);
  ASSERT_EQ(count_survivors(), 6);

  auto interrupted = std::chrono::steady_clock::now();
  ::kill(xbuild_process.id(), signal_number);
  xbuild_process.wait();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - interrupted).count();

  EXPECT_EQ(xbuild_process.exit_code(), 130);
  EXPECT_LT(seconds, 3.0);
  EXPECT_EQ(count_survivors(), 0) << "a child or grandchild of a stage survived";
  EXPECT_EQ(snapshot_tree(layout), before) << "the previous layout changed";
  EXPECT_EQ(err_text.get(), "xbuild: interrupted (" + name +
                                "): stopping 2 running jobs\n"
                                "xbuild: error: interrupted by " +
                                name + "; nothing was packaged and oci:" + layout.string() + " is unchanged\n");
  std::string printed = out_text.get();
  EXPECT_NE(printed.find("[linux/arm64 slow] started\n"), std::string::npos) << printed;
  // The report says what was cancelled.
  json reported = read_metadata(metadata);
  ASSERT_TRUE(reported.is_object()) << "no metadata file";
  EXPECT_EQ(reported["platforms"]["linux/arm64"]["strategy"], "cross") << reported;
  EXPECT_EQ(reported["platforms"]["linux/arm64"]["stages"]["build"], "ok") << reported;
  EXPECT_EQ(reported["platforms"]["linux/amd64"]["stages"]["slow"], "cancelled") << reported;
  EXPECT_EQ(reported["platforms"]["linux/arm64"]["stages"]["slow"], "cancelled") << reported;
}

TEST(Interrupt, SigintEndsEveryStageTreeKeepsTheLayoutAndExits130) {
  XB_REQUIRE_TOOLS("make", "aarch64-linux-gnu-gcc", "pgrep");
  interrupts_with(SIGINT, "SIGINT");
}

TEST(Interrupt, SigtermToo) {
  XB_REQUIRE_TOOLS("make", "aarch64-linux-gnu-gcc", "pgrep");
  interrupts_with(SIGTERM, "SIGTERM");
}

}  // namespace
}  // namespace xb::testing

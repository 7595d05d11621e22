// SIGINT and SIGTERM at any point of a run, its stage, the packing of its layer or its
// publishing: every time xbuild exits with status 130, the output a previous run wrote is as it
// was (the same index digest and files: the interrupted run would write the same), no staging
// directory is left next to it, and nothing the stage started runs on. The stage writes a file
// that gzip cannot shrink, so that packing its layer takes long enough to be hit; the signals
// are spread over the run's length, one slice each.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <boost/process.hpp>
#include <chrono>
#include <future>
#include <random>
#include <thread>

#include "e2e/e2e_support.h"
#include "util/fs.h"
#include "util/proc.h"

namespace xb::testing {
namespace {

namespace fs = std::filesystem;
namespace bp = boost::process;
using Clock = std::chrono::steady_clock;

const char* const kConfig = R"([project]
name = "anywhere"

[targets]
platforms = ["linux/amd64"]

[stage.data]
env = { XBUILD_TEST_MARKER = "interrupt-anywhere" }
run = '''
echo started
sleep 0.2
head -c 40000000 /dev/zero | openssl enc -aes-128-ctr -nosalt -K 000102030405060708090a0b0c0d0e0f -iv 0 > "$XBUILD_OUT/big.bin"
'''
)";

struct Outcome {
  int exit_code = -1;
  std::string err;
  double seconds_after_signal = 0;  // from the signal to the exit
  double stage_to_exit = 0;         // from the stage's first line to the exit
};

// A run of the project; `signal_number` is sent `delay` after its stage printed its first line
// (0: no signal).
Outcome run_and_signal(const fs::path& project, const fs::path& layout, int signal_number,
                       std::chrono::microseconds delay) {
  bp::environment environment = boost::this_process::environment();
  environment["SOURCE_DATE_EPOCH"] = "1700000000";
  environment["XBUILD_CACHE_DIR"] = (project.parent_path() / "cache").string();
  bp::ipstream out, err;
  bp::child xbuild_process(xbuild_binary().string(), "run", "--no-cache", "--progress", "plain", "-o",
                           "oci:" + layout.string(), environment, bp::start_dir(project.string()), bp::std_in.close(),
                           bp::std_out > out, bp::std_err > err);
  std::future<std::string> err_text =
      std::async(std::launch::async, [&] { return std::string(std::istreambuf_iterator<char>(err), {}); });
  std::string line;
  while (std::getline(out, line) && line.find("started") == std::string::npos) {
  }
  auto started = Clock::now();
  std::future<void> rest = std::async(std::launch::async, [&] {
    while (std::getline(out, line)) {
    }
  });
  Outcome outcome;
  auto signalled = started;
  if (signal_number != 0) {
    std::this_thread::sleep_until(started + delay);
    signalled = Clock::now();
    ::kill(xbuild_process.id(), signal_number);
  }
  xbuild_process.wait();
  auto ended = Clock::now();
  rest.get();
  outcome.exit_code = xbuild_process.exit_code();
  if (xbuild_process.native_exit_code() != 0 && WIFSIGNALED(xbuild_process.native_exit_code()))
    outcome.exit_code = -WTERMSIG(xbuild_process.native_exit_code());
  outcome.err = err_text.get();
  outcome.seconds_after_signal = std::chrono::duration<double>(ended - signalled).count();
  outcome.stage_to_exit = std::chrono::duration<double>(ended - started).count();
  return outcome;
}

std::vector<std::string> temporaries_next_to(const fs::path& output) {
  std::vector<std::string> found;
  for (const fs::directory_entry& entry : fs::directory_iterator(output.parent_path()))
    if (is_temp_name(entry.path().filename().string())) found.push_back(entry.path().filename().string());
  return found;
}

bool stage_processes_left() {
  for (pid_t pid : all_processes()) {
    std::optional<ProcessStat> stat = process_stat(pid);
    if (stat && stat->state != 'Z' && environment_has(pid, "XBUILD_TEST_MARKER=interrupt-anywhere")) return true;
  }
  return false;
}

TEST(InterruptAnywhere, TwentySignalsThroughStagesPackingAndPublishingEachExit130AndKeepTheOutput) {
  XB_REQUIRE_TOOLS("openssl", "head");
  ScratchDir scratch;
  fs::path project = scratch / "anywhere";
  scratch.write("anywhere/xbuild.toml", kConfig);
  fs::path layout = scratch / "layout";

  // The stage's first line to the exit, at its shortest of three runs and less a margin (runs
  // vary with the machine's load): the span the signals are spread over. A signal after the
  // run's last safe point would find it done (exit status 0).
  double shortest = 1e9;
  for (int i = 0; i < 3; ++i) {
    Outcome good = run_and_signal(project, layout, 0, {});
    ASSERT_EQ(good.exit_code, 0) << good.err;
    shortest = std::min(shortest, good.stage_to_exit);
  }
  const std::string before = snapshot_tree(layout);
  const std::string index = read_file(layout / "index.json").value();
  const double span = shortest * 0.85;
  std::printf("a run takes %.2f s after its stage starts\n", span);

  std::mt19937 random(std::random_device{}());
  std::uniform_real_distribution<double> within(0.0, 1.0);
  constexpr int kIterations = 20;
  int in_stage = 0, in_packing = 0, after_publishing = 0;
  auto test_started = Clock::now();
  for (int i = 0; i < kIterations; ++i) {
    const int signal_number = i % 2 == 0 ? SIGINT : SIGTERM;
    const double at = span * (i + within(random)) / kIterations;
    Outcome outcome =
        run_and_signal(project, layout, signal_number, std::chrono::microseconds(static_cast<long>(at * 1e6)));
    SCOPED_TRACE("iteration " + std::to_string(i) + ", " + (signal_number == SIGINT ? "SIGINT" : "SIGTERM") + " at " +
                 std::to_string(at) + " s: " + outcome.err);
    EXPECT_EQ(outcome.exit_code, 130);
    EXPECT_LT(outcome.seconds_after_signal, 5.0);
    EXPECT_EQ(read_file(layout / "index.json").value(), index) << "the previous output changed";
    EXPECT_EQ(snapshot_tree(layout), before) << "the previous output changed";
    EXPECT_EQ(temporaries_next_to(layout), std::vector<std::string>{}) << "staging left behind";
    EXPECT_FALSE(stage_processes_left());
    if (outcome.err.find("nothing was packaged") != std::string::npos) ++in_stage;
    if (outcome.err.find("nothing was published") != std::string::npos) ++in_packing;
    if (outcome.err.find("was written") != std::string::npos) ++after_publishing;
  }
  std::printf("interrupted %d times while the stage ran, %d while packing, %d after publishing, in %.1f s\n", in_stage,
              in_packing, after_publishing, std::chrono::duration<double>(Clock::now() - test_started).count());
  EXPECT_EQ(in_stage + in_packing + after_publishing, kIterations);
  EXPECT_GT(in_stage, 0);
  EXPECT_GT(in_packing, 0);
}

// A staging directory whose owner is gone (a run killed while packing) is removed by the next
// run; one of a live process is left alone.
TEST(InterruptAnywhere, StagingOfAGoneRunIsRemovedAndALiveOnesKept) {
  ScratchDir scratch;
  fs::path project = scratch / "anywhere";
  scratch.write("anywhere/xbuild.toml", R"([project]
name = "anywhere"

[targets]
platforms = ["linux/amd64"]

[stage.small]
run = 'echo small > "$XBUILD_OUT/small.txt"'
)");
  fs::path layout = scratch / "layout";
  // A process that ended (its pid and start time name no process now) and one that runs.
  CommandResult gone = run({"sh", "-c", "echo $$"});
  pid_t gone_pid = static_cast<pid_t>(std::stol(gone.out));
  ProcessIdentity dead{gone_pid, 1, self_identity().pid_namespace};
  bp::child sleeper("/bin/sleep", "30");
  ProcessIdentity live{static_cast<pid_t>(sleeper.id()), process_stat(sleeper.id())->start,
                       self_identity().pid_namespace};
  fs::path stale = scratch / (".layout.tmp-" + dead.str() + "-a1b2c3");
  fs::path busy = scratch / (".layout.tmp-" + live.str() + "-d4e5f6");
  fs::path older = scratch / ".layout.tmp-x9y8z7";  // an older version's: no owner to ask
  scratch.write(fs::relative(stale / "oci/blobs/sha256/big", scratch.path()).string(), "partial");
  scratch.write(fs::relative(busy / "oci/blobs/sha256/big", scratch.path()).string(), "partial");
  fs::create_directories(older);

  CommandResult result = xbuild({"run", "-o", "oci:" + layout.string()}, project);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(busy / "oci/blobs/sha256/big"));
  EXPECT_TRUE(fs::exists(older));
  sleeper.terminate();
}

}  // namespace
}  // namespace xb::testing

// A run killed by SIGKILL (an OOM kill, a CI timeout) leaves nothing running: its stages'
// processes, those that stayed in the stage's process group and one that left it for a session
// of its own, all marked by a variable of the stage's environment (found in /proc/*/environ),
// end within a second of xbuild, where cgroup v2 can be written; without a cgroup
// (XBUILD_STAGE_CGROUP=0), the stage's group ends at once and the next run ends the rest before it
// touches .xbuild/out. Either way the next run's image holds nothing the dead run's stage wrote
// after the kill.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/process.hpp>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "e2e/e2e_support.h"
#include "util/fs.h"
#include "util/proc.h"

namespace xb::testing {
namespace {

namespace fs = std::filesystem;
namespace bp = boost::process;
using Clock = std::chrono::steady_clock;

std::string random_marker() {
  std::random_device device;
  std::uniform_int_distribution<unsigned long long> digits;
  return std::to_string(digits(device)) + std::to_string(digits(device));
}

// A stage that starts a child and a grandchild in its group and one in a session of its own,
// writes a file at once and one each two seconds later, and sleeps.
std::string slow_config(const std::string& marker) {
  return R"([project]
name = "orphans"

[targets]
platforms = ["linux/amd64"]

[stage.slow]
env = { XBUILD_TEST_MARKER = ")" +
         marker + R"(" }
# The escaped shell ends in `true` so that dash does not exec its last command: its command
# line, which the test finds it by, stays its own.
run = '''
echo early > "$XBUILD_OUT/early.txt"
(sh -c 'sleep 2; echo late > "$XBUILD_OUT/late-grandchild.txt"'; sleep 30) &
setsid sh -c 'sleep 2; echo late > "$XBUILD_OUT/late-escaped.txt"; sleep 30; true' &
echo started
sleep 30
'''
)";
}

const char* const kQuickConfig = R"([project]
name = "orphans"

[targets]
platforms = ["linux/amd64"]

[stage.slow]
run = 'echo next > "$XBUILD_OUT/next.txt"'
)";

// The processes (not zombies) whose environment holds XBUILD_TEST_MARKER=<marker>.
std::vector<pid_t> marked(const std::string& marker) {
  std::vector<pid_t> found;
  for (pid_t pid : all_processes()) {
    std::optional<ProcessStat> stat = process_stat(pid);
    if (stat && stat->state != 'Z' && stat->state != 'X' && environment_has(pid, "XBUILD_TEST_MARKER=" + marker))
      found.push_back(pid);
  }
  return found;
}

std::vector<pid_t> wait_for_marked(const std::string& marker, std::size_t at_most, std::chrono::milliseconds bound) {
  auto deadline = Clock::now() + bound;
  std::vector<pid_t> left = marked(marker);
  while (left.size() > at_most && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    left = marked(marker);
  }
  return left;
}

std::string cmdline(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::replace(text.begin(), text.end(), '\0', ' ');
  return text;
}

pid_t session_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream fields(text.substr(text.rfind(')') + 2));
  std::string state;
  long ppid = 0, pgrp = 0, session = 0;
  fields >> state >> ppid >> pgrp >> session;
  return static_cast<pid_t>(session);
}

// The file names in the layout's only image's only layer.
std::set<std::string> layer_files(const fs::path& layout) {
  auto blob = [&](const std::string& digest) {
    return layout / "blobs" / "sha256" / digest.substr(std::string("sha256:").size());
  };
  auto json_of = [](const fs::path& file) { return nlohmann::json::parse(read_file(file).value()); };
  nlohmann::json index = json_of(layout / "index.json");
  nlohmann::json document = json_of(blob(index["manifests"][0]["digest"]));
  if (document.contains("manifests")) document = json_of(blob(document["manifests"][0]["digest"]));
  CommandResult listed = run({"tar", "-tzf", blob(document["layers"].back()["digest"]).string()});
  std::set<std::string> names;
  std::istringstream lines(listed.out);
  for (std::string line; std::getline(lines, line);)
    if (!line.empty() && line.back() != '/') names.insert(line);
  return names;
}

void kill_mid_stage(bool cgroup) {
  ScratchDir scratch;
  const std::string marker = random_marker();
  fs::path project = scratch / "orphans";
  scratch.write("orphans/xbuild.toml", slow_config(marker));
  fs::path layout = scratch / "layout";
  bp::environment environment = boost::this_process::environment();
  environment["SOURCE_DATE_EPOCH"] = "1700000000";
  environment["XBUILD_CACHE_DIR"] = (scratch / "cache").string();
  if (!cgroup) environment["XBUILD_STAGE_CGROUP"] = "0";
  bp::child xbuild_process(xbuild_binary().string(), "run", "--no-cache", "-o", "oci:" + layout.string(), environment,
                           bp::start_dir(project.string()), bp::std_in.close(), bp::std_out > bp::null,
                           bp::std_err > bp::null);
  // Killed once the stage and all of its children run, before any writes its late file.
  fs::path out = project / ".xbuild/out/linux-amd64";
  auto deadline = Clock::now() + std::chrono::seconds(20);
  // A process in the middle of an exec may briefly not show its environment: the count is the
  // one seen when the loop ended, not a second reading.
  // The count includes the supervisor, so six can be reached while the escaped shell has not yet
  // called setsid (killed then, it dies with the stage's group): wait for its session too.
  std::size_t started = 0;
  bool escaped = false;
  while (Clock::now() < deadline) {
    std::vector<pid_t> now = marked(marker);
    started = now.size();
    escaped = std::any_of(now.begin(), now.end(), [](pid_t pid) {
      return session_of(pid) == pid && cmdline(pid).find("late-escaped") != std::string::npos;
    });
    if (started >= 6 && escaped && fs::exists(out / "early.txt")) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_GE(started, 6u) << "the stage and its children did not start";
  ASSERT_TRUE(escaped) << "the stage's setsid child did not start its session";
  auto killed_at = Clock::now();
  ::kill(xbuild_process.id(), SIGKILL);
  xbuild_process.wait();

  if (cgroup) {
    std::vector<pid_t> left = wait_for_marked(marker, 0, std::chrono::seconds(1));
    EXPECT_TRUE(left.empty()) << left.size() << " processes of the stage outlived xbuild, " << cmdline(left.front());
  } else {
    // The stage's own group ends with its supervisor; the session that left it survives xbuild.
    std::vector<pid_t> left = wait_for_marked(marker, 2, std::chrono::seconds(1));
    ASSERT_LE(left.size(), 2u) << "the stage's process group outlived xbuild";
    for (pid_t pid : left) {
      pid_t leader = session_of(pid);
      EXPECT_NE(cmdline(leader).find("late-escaped"), std::string::npos)
          << "survivor " << pid << " (" << cmdline(pid) << ") is not of the escaped session";
    }
  }

  // The next run: the state lock is free at once; what the dead run left ends before the output
  // directory is emptied, so no late file lands in it.
  scratch.write("orphans/xbuild.toml", kQuickConfig);
  CommandResult next =
      xbuild({"run", "--no-cache", "-o", "oci:" + layout.string()}, project,
             {{"XBUILD_CACHE_DIR", (scratch / "cache").string()}, {"XBUILD_STAGE_CGROUP", cgroup ? "1" : "0"}});
  ASSERT_EQ(next.exit_code, 0) << next.err;
  if (!cgroup) {
    EXPECT_NE((next.out + next.err).find("that the stages of a killed xbuild run left running"), std::string::npos)
        << next.out << next.err;
  }
  EXPECT_TRUE(marked(marker).empty());
  EXPECT_FALSE(fs::exists(project / ".xbuild/live-pgids"));
  // Past the time the late files would have been written.
  std::this_thread::sleep_until(killed_at + std::chrono::milliseconds(2500));
  std::set<std::string> in_out;
  for (const fs::directory_entry& entry : fs::directory_iterator(out)) in_out.insert(entry.path().filename().string());
  EXPECT_EQ(in_out, (std::set<std::string>{"next.txt"}));
  EXPECT_EQ(layer_files(layout), (std::set<std::string>{"next.txt"}));
}

TEST(Orphans, SigkillOfXbuildEndsEveryStageProcessInItsCgroup) {
  XB_REQUIRE_ROOT("to make a cgroup");
  if (!fs::exists("/proc/self/cgroup")) {
    GTEST_SKIP() << "no cgroups";
  }
  kill_mid_stage(true);
}

TEST(Orphans, WithoutACgroupTheNextRunEndsWhatTheKilledRunLeft) {
  XB_REQUIRE_TOOLS("setsid");
  kill_mid_stage(false);
}

}  // namespace
}  // namespace xb::testing

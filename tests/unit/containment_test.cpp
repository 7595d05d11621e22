// The record of a run's live process groups and what the next run does with it, against real
// processes: a dead run's marked processes are killed and its record removed; a live run's
// record is left alone; processes without the marker are never touched.
#include "exec/containment.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "support/scratch_dir.h"
#include "util/fs.h"

namespace xb {
namespace {

namespace fs = std::filesystem;
using testing::ScratchDir;

// A `sleep 30` in a process group of its own, with `variable` in its environment.
pid_t start_sleeper(const std::string& variable) {
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    std::string word = variable;
    char* env[] = {word.data(), nullptr};
    char* argv[] = {const_cast<char*>("sleep"), const_cast<char*>("30"), nullptr};
    ::execve("/bin/sleep", argv, env);
    ::_exit(127);
  }
  ::setpgid(pid, pid);
  // Until it runs sleep (its environment is the one given).
  for (int tries = 0; tries < 200 && !environment_has(pid, variable); ++tries)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  return pid;
}

bool ended(pid_t pid) { return ::waitpid(pid, nullptr, WNOHANG) == pid; }

// The supervisor's pid argument is read in full: a bad one is the usage error, and the program is
// not started (it was read as pid 0, which getppid() gives in a child of another pid namespace).
TEST(Containment, TheSupervisorRefusesAPidThatIsNotANumber) {
  ScratchDir scratch;
  const std::string marker = (scratch / "started").string();
  for (std::string pid : {"", "abc", "12x", "0", "-1"}) {
    std::vector<std::string> args = {"xbuild", "__contained", pid, "-", "/bin/touch", marker};
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    EXPECT_EQ(run_contained(static_cast<int>(args.size()), argv.data()), 2) << "pid \"" << pid << "\"";
  }
  EXPECT_FALSE(fs::exists(marker));
}

TEST(Containment, TheNextRunKillsWhatADeadRunLeftAndRemovesItsRecord) {
  ScratchDir scratch;
  const ProcessIdentity& self = self_identity();
  ProcessIdentity dead{self.pid, self.start + 1, self.pid_namespace};  // this pid, started later: gone
  pid_t marked = start_sleeper(std::string(kOwnerVariable) + "=" + dead.str());
  pid_t other = start_sleeper("XBUILD_OWNER=someone-else");
  ASSERT_TRUE(environment_has(marked, std::string(kOwnerVariable) + "=" + dead.str()));
  scratch.write("live-pgids", "owner " + dead.str() + "\npgid " + std::to_string(marked) + "\n");

  Result<std::size_t> killed = end_leftovers(scratch / "live-pgids", std::chrono::seconds(5));
  ASSERT_TRUE(killed.ok()) << killed.error();
  EXPECT_EQ(killed.value(), 1u);
  int status = 0;
  ASSERT_EQ(::waitpid(marked, &status, 0), marked);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  EXPECT_FALSE(fs::exists(scratch / "live-pgids"));
  EXPECT_FALSE(ended(other)) << "a process without the marker was killed";
  ::kill(other, SIGKILL);
  ::waitpid(other, nullptr, 0);
}

TEST(Containment, ALiveRunsRecordIsLeftAlone) {
  ScratchDir scratch;
  pid_t marked = start_sleeper(std::string(kOwnerVariable) + "=" + self_identity().str());
  scratch.write("live-pgids", "owner " + self_identity().str() + "\npgid " + std::to_string(marked) + "\n");
  Result<std::size_t> killed = end_leftovers(scratch / "live-pgids");
  ASSERT_TRUE(killed.ok()) << killed.error();
  EXPECT_EQ(killed.value(), 0u);
  EXPECT_TRUE(fs::exists(scratch / "live-pgids"));
  EXPECT_FALSE(ended(marked));
  ::kill(marked, SIGKILL);
  ::waitpid(marked, nullptr, 0);
}

// A run's containment records each group it is told of and, when it ends, kills what carries
// its marker and removes the record.
TEST(Containment, ARunEndsItsOwnMarkedProcessesAndRemovesItsRecord) {
  ScratchDir scratch;
  pid_t marked = start_sleeper(std::string(kOwnerVariable) + "=" + self_identity().str());
  {
    StageContainment containment(scratch / "live-pgids", {}, false);
    EXPECT_FALSE(containment.wraps());
    EXPECT_TRUE(containment.cgroup().empty());
    containment.started(marked);
    EXPECT_EQ(read_file(scratch / "live-pgids").value(),
              "owner " + self_identity().str() + "\npgid " + std::to_string(marked) + "\n");
  }
  int status = 0;
  ASSERT_EQ(::waitpid(marked, &status, 0), marked);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  EXPECT_FALSE(fs::exists(scratch / "live-pgids"));
}

TEST(Containment, WrapsACommandInItsSupervisor) {
  ScratchDir scratch;
  StageContainment containment(scratch / "live-pgids", "/usr/bin/xbuild", false);
  EXPECT_EQ(containment.wrap("/bin/sh", {"/bin/sh", "-e", "-c", "true"}),
            (std::vector<std::string>{"/usr/bin/xbuild", kContainedCommand, std::to_string(::getpid()), "-", "/bin/sh",
                                      "/bin/sh", "-e", "-c", "true"}));
}

}  // namespace
}  // namespace xb

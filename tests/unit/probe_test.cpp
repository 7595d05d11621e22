// Tests for probe: synchronous commands against real children (lines, environment, working
// directory, exit status and signal, the timeout killing a whole process group) and the probe
// messages that name the command.
#include "util/probe.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "exec/process.h"
#include "support/scratch_dir.h"
#include "util/uv_loop.h"

namespace xb {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;
using Clock = std::chrono::steady_clock;
using testing::ScratchDir;

// True once `pid` is gone or only a zombie waiting for its (re)parent to reap it.
bool process_gone(int pid) {
  if (kill(pid, 0) != 0 && errno == ESRCH) return true;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  std::size_t paren = text.rfind(')');
  return text.empty() ||
         (paren != std::string::npos && text.size() > paren + 2 && (text[paren + 2] == 'Z' || text[paren + 2] == 'X'));
}

bool process_gone_soon(int pid) {
  for (int i = 0; i < 100; ++i) {
    if (process_gone(pid)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

struct Ran {
  std::vector<std::string> lines;
  CommandExit exit;
};

Ran run_shell(const std::string& script, CommandOptions options = {}) {
  Ran ran;
  options.on_line = [&ran](std::string_view line) { ran.lines.emplace_back(line); };
  Result<CommandExit> exit = run_sync({"sh", "-c", script}, options);
  EXPECT_TRUE(exit.ok()) << exit.error();
  if (exit) ran.exit = exit.value();
  return ran;
}

TEST(RunSync, DeliversTheLinesOfStdoutAndStderr) {
  Ran ran = run_shell("echo out1; echo err1 >&2; echo out2; printf 'err2' >&2; printf 'out3'");
  EXPECT_THAT(ran.lines, UnorderedElementsAre("out1", "out2", "out3", "err1", "err2"));
  EXPECT_TRUE(ran.exit.success());
}

TEST(RunSync, DeliversLargeOutputCompletelyAndInOrder) {
  Ran ran = run_shell("seq 1 100000; head -c 200000 /dev/zero | tr '\\0' x; echo");
  ASSERT_EQ(ran.lines.size(), 100001u);
  for (std::size_t i = 0; i < 100000; ++i) ASSERT_EQ(ran.lines[i], std::to_string(i + 1)) << "line " << i;
  EXPECT_EQ(ran.lines.back(), std::string(200000, 'x'));
}

// The child waits for a file that the callback of its first line creates: it finishes only
// if its lines arrive while it runs.
TEST(RunSync, StreamsLinesWhileTheChildRuns) {
  ScratchDir scratch;
  fs::path flag = scratch / "seen";
  CommandOptions options;
  options.timeout = std::chrono::seconds(20);
  std::vector<std::string> lines;
  options.on_line = [&](std::string_view line) {
    lines.emplace_back(line);
    if (line == "ready") scratch.write("seen", "");
  };
  Result<CommandExit> exit = run_sync(
      {"sh", "-c", "echo ready; while [ ! -e '" + flag.string() + "' ]; do sleep 0.01; done; echo done"}, options);
  ASSERT_TRUE(exit.ok()) << exit.error();
  EXPECT_FALSE(exit.value().timed_out);
  EXPECT_THAT(lines, ElementsAre("ready", "done"));
}

TEST(RunSync, SetsTheEnvironmentOnTopOfTheInheritedOneAndTheWorkingDirectory) {
  ScratchDir scratch;
  ASSERT_EQ(setenv("XBUILD_PROBE_TEST_INHERITED", "from-parent", 1), 0);
  ASSERT_EQ(setenv("XBUILD_PROBE_TEST_REPLACED", "old", 1), 0);
  CommandOptions options;
  options.env = {{"XBUILD_PROBE_TEST_REPLACED", "new"}, {"XBUILD_PROBE_TEST_NEW", "a b=c"}};
  options.working_directory = scratch.path();
  Ran ran = run_shell("echo \"$XBUILD_PROBE_TEST_INHERITED $XBUILD_PROBE_TEST_REPLACED $XBUILD_PROBE_TEST_NEW\"; pwd",
                      options);
  unsetenv("XBUILD_PROBE_TEST_INHERITED");
  unsetenv("XBUILD_PROBE_TEST_REPLACED");
  EXPECT_THAT(ran.lines, ElementsAre("from-parent new a b=c", scratch.path().string()));
}

TEST(RunSync, FindsTheProgramOnThePathItSets) {
  ScratchDir scratch;
  fs::path tool = scratch.write("bin/xbuild-probe-test-tool", "#!/bin/sh\necho \"tool $1\"\n");
  fs::permissions(tool, fs::perms::owner_all);
  CommandOptions options;
  options.env = {{"PATH", (scratch / "bin").string() + ":/usr/bin:/bin"}};
  std::vector<std::string> lines;
  options.on_line = [&](std::string_view line) { lines.emplace_back(line); };
  Result<CommandExit> exit = run_sync({"xbuild-probe-test-tool", "x"}, options);
  ASSERT_TRUE(exit.ok()) << exit.error();
  EXPECT_THAT(lines, ElementsAre("tool x"));
}

TEST(RunSync, StdinIsEmpty) {
  Ran ran = run_shell("wc -c");
  EXPECT_THAT(ran.lines, ElementsAre(::testing::EndsWith("0")));
}

TEST(RunSync, KeepsStdoutWholeWhenAsked) {
  std::string out;
  CommandOptions options;
  options.stdout_text = &out;
  Ran ran = run_shell("printf 'a\\nb'; echo err >&2", options);
  EXPECT_EQ(out, "a\nb");
  EXPECT_THAT(ran.lines, ElementsAre("err"));
}

TEST(RunSync, ReportsTheExitStatus) {
  Ran ran = run_shell("echo bye; exit 3");
  EXPECT_EQ(ran.exit.exit_status, 3);
  EXPECT_EQ(ran.exit.term_signal, 0);
  EXPECT_FALSE(ran.exit.timed_out);
  EXPECT_FALSE(ran.exit.success());
  EXPECT_THAT(ran.lines, ElementsAre("bye"));
}

TEST(RunSync, ReportsDeathBySignal) {
  Ran ran = run_shell("kill -9 $$");
  EXPECT_EQ(ran.exit.term_signal, SIGKILL);
  EXPECT_EQ(ran.exit.exit_status, 0);
  EXPECT_FALSE(ran.exit.success());
}

TEST(RunSync, TheChildLeadsItsOwnProcessGroupAndSession) {
  CommandOptions options;
  int checked = 0;
  options.on_line = [&](std::string_view line) {
    int pid = std::stoi(std::string(line));  // still running: it sleeps after this line
    EXPECT_EQ(getpgid(pid), pid);
    EXPECT_EQ(getsid(pid), pid);
    EXPECT_NE(getpgid(pid), getpgrp());
    ++checked;
  };
  Result<CommandExit> exit = run_sync({"sh", "-c", "echo $$; sleep 0.3"}, options);
  ASSERT_TRUE(exit.ok()) << exit.error();
  EXPECT_EQ(checked, 1);
}

TEST(RunSync, TheTimeoutEndsTheChildAndItsGrandchildren) {
  CommandOptions options;
  options.timeout = std::chrono::milliseconds(300);
  options.kill_grace = std::chrono::milliseconds(5000);
  Clock::time_point start = Clock::now();
  Ran ran = run_shell("echo $$; sleep 30 & echo $!; sleep 30 & echo $!; wait", options);
  EXPECT_LT(seconds_since(start), 3.0) << "SIGTERM should have ended it well within the grace";
  EXPECT_TRUE(ran.exit.timed_out);
  EXPECT_EQ(ran.exit.term_signal, SIGTERM);
  EXPECT_FALSE(ran.exit.success());
  ASSERT_EQ(ran.lines.size(), 3u);
  for (const std::string& pid : ran.lines)
    EXPECT_TRUE(process_gone_soon(std::stoi(pid))) << "pid " << pid << " survived";
}

TEST(RunSync, TheTimeoutSendsSigkillAfterTheGraceToAGroupThatIgnoresSigterm) {
  CommandOptions options;
  options.timeout = std::chrono::milliseconds(200);
  options.kill_grace = std::chrono::milliseconds(300);
  Clock::time_point start = Clock::now();
  Ran ran = run_shell("trap '' TERM; echo $$; sleep 30 & echo $!; wait", options);
  double seconds = seconds_since(start);
  EXPECT_GE(seconds, 0.49);
  EXPECT_LT(seconds, 3.0);
  EXPECT_TRUE(ran.exit.timed_out);
  EXPECT_EQ(ran.exit.term_signal, SIGKILL);
  for (const std::string& pid : ran.lines)
    EXPECT_TRUE(process_gone_soon(std::stoi(pid))) << "pid " << pid << " survived";
}

TEST(RunSync, TheIdleTimeoutEndsAChildThatFallsSilent) {
  CommandOptions options;
  options.timeout = std::chrono::milliseconds(20000);
  options.idle_timeout = std::chrono::milliseconds(400);
  options.kill_grace = std::chrono::milliseconds(5000);
  Clock::time_point start = Clock::now();
  // Output every 0.1 s for 0.6 s keeps it alive past the idle timeout; then silence.
  Ran ran = run_shell("for i in 1 2 3 4 5 6; do echo $i; sleep 0.1; done; sleep 30 & echo $!; wait", options);
  double seconds = seconds_since(start);
  EXPECT_GE(seconds, 0.95) << "output should have moved the idle deadline on";
  EXPECT_LT(seconds, 5.0);
  EXPECT_TRUE(ran.exit.idle_timed_out);
  EXPECT_FALSE(ran.exit.timed_out);
  EXPECT_EQ(ran.exit.term_signal, SIGTERM);
  EXPECT_FALSE(ran.exit.success());
  ASSERT_EQ(ran.lines.size(), 7u);
  EXPECT_TRUE(process_gone_soon(std::stoi(ran.lines.back()))) << "the silent grandchild survived";
}

TEST(RunSync, TheTimeoutStillEndsAChildThatNeverFallsSilent) {
  CommandOptions options;
  options.timeout = std::chrono::milliseconds(500);
  options.idle_timeout = std::chrono::milliseconds(300);
  Ran ran = run_shell("while :; do echo tick; sleep 0.05; done", options);
  EXPECT_TRUE(ran.exit.timed_out);
  EXPECT_FALSE(ran.exit.idle_timed_out);
}

TEST(RunSync, SilenceAsLongAsTheTimeoutIsAnIdleTimeout) {
  CommandOptions options;
  options.timeout = std::chrono::milliseconds(300);
  options.idle_timeout = std::chrono::milliseconds(300);
  Ran ran = run_shell("sleep 30", options);
  EXPECT_TRUE(ran.exit.idle_timed_out);
  EXPECT_FALSE(ran.exit.timed_out);
}

TEST(RunSync, AGrandchildThatIgnoresSigtermDiesWithItsLeader) {
  CommandOptions options;
  options.timeout = std::chrono::milliseconds(300);
  options.kill_grace = std::chrono::milliseconds(5000);
  Clock::time_point start = Clock::now();
  Ran ran = run_shell("echo $$; (trap '' TERM; exec sleep 30) & echo $!; wait", options);
  EXPECT_LT(seconds_since(start), 3.0) << "the grandchild outlived its leader until the grace ran out";
  EXPECT_TRUE(ran.exit.timed_out);
  for (const std::string& pid : ran.lines)
    EXPECT_TRUE(process_gone_soon(std::stoi(pid))) << "pid " << pid << " survived";
}

TEST(RunSync, ABackgroundProcessLeftBehindEndsWithItsLeader) {
  // Without the group kill at the leader's exit, the sleeper would hold the output for 30 s.
  Clock::time_point start = Clock::now();
  Ran ran = run_shell("sleep 30 & echo $!; echo started");
  EXPECT_LT(seconds_since(start), 5.0);
  EXPECT_TRUE(ran.exit.success());
  ASSERT_EQ(ran.lines.size(), 2u);
  EXPECT_TRUE(process_gone_soon(std::stoi(ran.lines[0])));
}

// A process that leaves the group (its own session) and keeps the output open: the run ends
// at the timeout all the same, with the leader's own exit, and with the lines already written.
TEST(RunSync, OutputHeldOpenOutsideTheGroupEndsAtTheTimeout) {
  ScratchDir scratch;
  fs::path left = scratch / "left";
  CommandOptions options;
  options.timeout = std::chrono::milliseconds(500);
  Clock::time_point start = Clock::now();
  Ran ran = run_shell("setsid sh -c 'echo $$ > \"$0.part\"; mv \"$0.part\" \"$0\"; exec sleep 30' '" + left.string() +
                          "' & while [ ! -e '" + left.string() + "' ]; do sleep 0.01; done; cat '" + left.string() +
                          "'; echo left",
                      options);
  double seconds = seconds_since(start);
  EXPECT_GE(seconds, 0.45) << "the output ended before the process holding it did";
  EXPECT_LT(seconds, 5.0);
  EXPECT_FALSE(ran.exit.timed_out) << "the leader itself exited at once";
  EXPECT_TRUE(ran.exit.success());
  ASSERT_EQ(ran.lines.size(), 2u);
  EXPECT_EQ(ran.lines[1], "left");
  int sleeper = std::stoi(ran.lines[0]);
  EXPECT_FALSE(process_gone(sleeper)) << "it left the group, so the group kill did not reach it";
  ::kill(sleeper, SIGKILL);
}

TEST(RunSync, AProgramThatIsNotThereFailsToStartWithItsName) {
  Result<CommandExit> exit = run_sync({"xbuild-no-such-program", "--version"}, {});
  ASSERT_FALSE(exit.ok());
  EXPECT_EQ(exit.error(), "could not start \"xbuild-no-such-program\": no such file or directory");
}

TEST(RunSync, AFileThatCannotBeRunFailsToStart) {
  ScratchDir scratch;
  fs::path file = scratch.write("not-executable", "#!/bin/sh\n");
  Result<CommandExit> exit = run_sync({file.string()}, {});
  ASSERT_FALSE(exit.ok());
  EXPECT_EQ(exit.error(), "could not start \"" + file.string() + "\": permission denied");
}

TEST(RunSync, AMissingWorkingDirectoryIsNamed) {
  ScratchDir scratch;
  CommandOptions options;
  options.working_directory = scratch / "missing";
  Result<CommandExit> exit = run_sync({"sh", "-c", "pwd"}, options);
  ASSERT_FALSE(exit.ok());
  EXPECT_EQ(exit.error(),
            "could not start \"sh\": its working directory " + (scratch / "missing").string() + " does not exist");
}

TEST(RunSync, AnEmptyCommandFailsToStart) {
  EXPECT_EQ(run_sync({}, {}).error(), "could not start a process: its command is empty");
}

TEST(RunSync, RunsFromSeveralThreadsAtOnce) {
  std::vector<std::thread> threads;
  std::vector<std::vector<std::string>> lines(6);
  for (std::size_t t = 0; t < lines.size(); ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        CommandOptions options;
        options.on_line = [&](std::string_view line) { lines[t].emplace_back(line); };
        Result<CommandExit> exit = run_sync({"sh", "-c", "echo " + std::to_string(t * 10 + i)}, options);
        EXPECT_TRUE(exit.ok() && exit.value().success());
      }
    });
  for (std::thread& thread : threads) thread.join();
  for (std::size_t t = 0; t < lines.size(); ++t) {
    ASSERT_EQ(lines[t].size(), 5u);
    for (int i = 0; i < 5; ++i) EXPECT_EQ(lines[t][i], std::to_string(t * 10 + i));
  }
}

// libuv owns SIGCHLD: a synchronous command installs no handler and reaps only its own child,
// so a child on the loop is still reported there.
TEST(RunSync, LeavesSigchldAndTheLoopsChildrenToLibuv) {
  UvLoop loop;
  std::unique_ptr<ProcessRunner> runner = make_uv_process_runner(loop.get());
  std::optional<ProcessExit> loop_exit;
  ProcessCallbacks callbacks;
  callbacks.on_exit = [&](const ProcessExit& exit) { loop_exit = exit; };
  ASSERT_TRUE(runner->start({{"sh", "-c", "sleep 0.2; exit 7"}, {}, {}}, std::move(callbacks)).ok());
  struct sigaction before {};
  ::sigaction(SIGCHLD, nullptr, &before);

  Ran ran = run_shell("exit 3");
  EXPECT_EQ(ran.exit.exit_status, 3);
  struct sigaction after {};
  ::sigaction(SIGCHLD, nullptr, &after);
  EXPECT_EQ(after.sa_handler, before.sa_handler);
  EXPECT_EQ(probe_output({"sh", "-c", "echo probed"}).value(), "probed\n");

  loop.run();
  ASSERT_TRUE(loop_exit);
  EXPECT_EQ(loop_exit->exit_status, 7);
  runner.reset();
  EXPECT_TRUE(loop.all_closed());
  EXPECT_EQ(loop.close(), 0);
}

TEST(ProbeOutput, ReturnsStdoutAndDropsStderr) {
  Result<std::string> output = probe_output({"sh", "-c", "echo one; echo noise >&2; printf two"});
  ASSERT_TRUE(output.ok()) << output.error();
  EXPECT_EQ(output.value(), "one\ntwo");
}

TEST(ProbeOutput, RunsInTheWorkingDirectory) {
  ScratchDir scratch;
  ProbeOptions options;
  options.working_directory = scratch.path();
  EXPECT_EQ(probe_output({"pwd"}, options).value(), scratch.path().string() + "\n");
}

TEST(ProbeOutput, FailuresNameTheCommand) {
  EXPECT_EQ(probe_output({}).error(), "probe: empty command");
  EXPECT_EQ(probe_output({"xbuild-no-such-program", "-v"}).error(),
            "xbuild-no-such-program -v: xbuild-no-such-program not found on PATH");
  EXPECT_EQ(probe_output({"sh", "-c", "exit 4"}).error(), "sh -c 'exit 4': exit status 4");
  ScratchDir scratch;
  fs::path file = scratch.write("not-executable", "");
  EXPECT_EQ(probe_output({file.string()}).error(), file.string() + ": cannot start: Permission denied");
}

TEST(ProbeOutput, ATimeoutKillsTheGroupAtOnce) {
  ScratchDir scratch;
  fs::path pids = scratch / "pids";
  ProbeOptions options;
  options.timeout = std::chrono::milliseconds(200);
  Clock::time_point start = Clock::now();
  Result<std::string> output =
      probe_output({"sh", "-c", "trap '' TERM; sleep 30 & echo $$ $! > '" + pids.string() + "'; wait"}, options);
  EXPECT_LT(seconds_since(start), 3.0);
  ASSERT_FALSE(output.ok());
  EXPECT_THAT(output.error(), ::testing::StartsWith("sh -c "));
  EXPECT_THAT(output.error(), ::testing::EndsWith("wait': no answer within 200 ms"));
  std::ifstream in(pids);
  int leader = 0;
  int sleeper = 0;
  ASSERT_TRUE(in >> leader >> sleeper);
  EXPECT_TRUE(process_gone_soon(leader));
  EXPECT_TRUE(process_gone_soon(sleeper));
}

}  // namespace
}  // namespace xb

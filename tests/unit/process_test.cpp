// Tests for process: the uv process runner against real children.
#include "exec/process.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "support/scratch_dir.h"
#include "util/strings.h"
#include "util/uv_loop.h"

namespace xb {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;
using Clock = std::chrono::steady_clock;

// True once `pid` is gone or only a zombie waiting for its (re)parent to reap it.
bool process_gone(int pid) {
  if (kill(pid, 0) != 0 && errno == ESRCH) return true;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  std::size_t paren = text.rfind(')');
  return text.empty() ||
         (paren != std::string::npos && text.size() > paren + 2 && (text[paren + 2] == 'Z' || text[paren + 2] == 'X'));
}

// Waits up to a second for the kernel to finish tearing a killed process down.
bool process_gone_soon(int pid) {
  for (int i = 0; i < 100; ++i) {
    if (process_gone(pid)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

class ProcessTest : public ::testing::Test {
 protected:
  struct Outcome {
    std::vector<std::string> lines;
    std::optional<ProcessExit> exit;
    int exits = 0;
  };

  void SetUp() override { runner_ = make_uv_process_runner(loop_.get()); }

  void TearDown() override {
    runner_.reset();
    EXPECT_TRUE(loop_.all_closed());
    EXPECT_EQ(loop_.close(), 0);
  }

  static ProcessSpec shell(const std::string& script) {
    ProcessSpec spec;
    spec.argv = {"sh", "-c", script};
    return spec;
  }

  ProcessCallbacks record_into(Outcome& outcome) {
    ProcessCallbacks callbacks;
    callbacks.on_line = [&outcome](std::string_view line) { outcome.lines.emplace_back(line); };
    callbacks.on_exit = [&outcome](const ProcessExit& exit) {
      outcome.exit = exit;
      ++outcome.exits;
    };
    return callbacks;
  }

  // Starts the child and runs the loop until nothing is left on it.
  Outcome run(const ProcessSpec& spec) {
    Outcome outcome;
    Result<ProcessId> id = runner_->start(spec, record_into(outcome));
    EXPECT_TRUE(id.ok()) << id.error();
    loop_.run();
    EXPECT_EQ(outcome.exits, 1);
    return outcome;
  }

  UvLoop loop_;
  std::unique_ptr<ProcessRunner> runner_;
};

TEST_F(ProcessTest, DeliversTheLinesOfStdoutAndStderr) {
  Outcome outcome = run(shell("echo out1; echo err1 >&2; echo out2; echo err2 >&2"));
  EXPECT_THAT(outcome.lines, UnorderedElementsAre("out1", "out2", "err1", "err2"));
  auto position = [&](const char* line) {
    return std::find(outcome.lines.begin(), outcome.lines.end(), line) - outcome.lines.begin();
  };
  EXPECT_LT(position("out1"), position("out2"));
  EXPECT_LT(position("err1"), position("err2"));
  ASSERT_TRUE(outcome.exit);
  EXPECT_TRUE(outcome.exit->success());
}

TEST_F(ProcessTest, DeliversALastLineWithoutNewlineOnBothStreams) {
  Outcome outcome = run(shell("printf 'a\\n\\nb'; printf 'c\\nd' >&2"));
  EXPECT_THAT(outcome.lines, UnorderedElementsAre("a", "", "b", "c", "d"));
}

TEST_F(ProcessTest, DeliversLargeOutputCompletelyAndInOrder) {
  Outcome outcome = run(shell("seq 1 100000; head -c 200000 /dev/zero | tr '\\0' x; echo"));
  ASSERT_EQ(outcome.lines.size(), 100001u);
  for (std::size_t i = 0; i < 100000; ++i) {
    ASSERT_EQ(outcome.lines[i], std::to_string(i + 1)) << "line " << i;
  }
  EXPECT_EQ(outcome.lines.back(), std::string(200000, 'x'));
}

TEST_F(ProcessTest, ReportsTheExitStatus) {
  Outcome outcome = run(shell("echo bye; exit 3"));
  ASSERT_TRUE(outcome.exit);
  EXPECT_EQ(outcome.exit->exit_status, 3);
  EXPECT_EQ(outcome.exit->term_signal, 0);
  EXPECT_FALSE(outcome.exit->success());
  EXPECT_THAT(outcome.lines, ElementsAre("bye"));
}

TEST_F(ProcessTest, ReportsDeathBySignal) {
  Outcome outcome = run(shell("kill -9 $$"));
  ASSERT_TRUE(outcome.exit);
  EXPECT_EQ(outcome.exit->term_signal, SIGKILL);
  EXPECT_EQ(outcome.exit->exit_status, 0);
  EXPECT_FALSE(outcome.exit->success());
}

TEST_F(ProcessTest, AProgramThatIsNotThereFailsToStartWithItsName) {
  Outcome outcome;
  ProcessSpec spec;
  spec.argv = {"xbuild-no-such-program", "--version"};
  Result<ProcessId> id = runner_->start(spec, record_into(outcome));
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.error(), "could not start \"xbuild-no-such-program\": no such file or directory");
  EXPECT_EQ(runner_->running(), 0u);
  loop_.run();
  EXPECT_EQ(outcome.exits, 0);
}

TEST_F(ProcessTest, AMissingWorkingDirectoryIsNamed) {
  testing::ScratchDir scratch;
  ProcessSpec spec = shell("pwd");
  spec.working_directory = scratch / "missing";
  Result<ProcessId> id = runner_->start(spec, {});
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.error(),
            "could not start \"sh\": its working directory " + (scratch / "missing").string() + " does not exist");
  loop_.run();
}

TEST_F(ProcessTest, AnEmptyCommandFailsToStart) {
  Result<ProcessId> id = runner_->start(ProcessSpec{}, {});
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.error(), "could not start a process: its command is empty");
}

TEST_F(ProcessTest, SetsTheEnvironmentOnTopOfTheInheritedOne) {
  ASSERT_EQ(setenv("XBUILD_PROCESS_TEST_INHERITED", "from-parent", 1), 0);
  ASSERT_EQ(setenv("XBUILD_PROCESS_TEST_REPLACED", "old", 1), 0);
  ProcessSpec spec =
      shell("echo \"$XBUILD_PROCESS_TEST_INHERITED $XBUILD_PROCESS_TEST_REPLACED $XBUILD_PROCESS_TEST_NEW\"");
  spec.env = {{"XBUILD_PROCESS_TEST_REPLACED", "new"}, {"XBUILD_PROCESS_TEST_NEW", "a b=c"}};
  Outcome outcome = run(spec);
  unsetenv("XBUILD_PROCESS_TEST_INHERITED");
  unsetenv("XBUILD_PROCESS_TEST_REPLACED");
  EXPECT_THAT(outcome.lines, ElementsAre("from-parent new a b=c"));
}

TEST_F(ProcessTest, RunsInTheWorkingDirectory) {
  testing::ScratchDir scratch;
  ProcessSpec spec = shell("pwd");
  spec.working_directory = scratch.path();
  Outcome outcome = run(spec);
  EXPECT_THAT(outcome.lines, ElementsAre(scratch.path().string()));
}

TEST_F(ProcessTest, StdinIsEmpty) {
  Outcome outcome = run(shell("wc -c"));
  ASSERT_EQ(outcome.lines.size(), 1u);
  EXPECT_EQ(trim(outcome.lines[0]), "0");
}

TEST_F(ProcessTest, RunningCountsChildrenUntilTheirExitIsReported) {
  Outcome first;
  Outcome second;
  ASSERT_TRUE(runner_->start(shell("true"), record_into(first)).ok());
  ASSERT_TRUE(runner_->start(shell("true"), record_into(second)).ok());
  EXPECT_EQ(runner_->running(), 2u);
  loop_.run();
  EXPECT_EQ(runner_->running(), 0u);
  EXPECT_EQ(first.exits, 1);
  EXPECT_EQ(second.exits, 1);
}

TEST_F(ProcessTest, ACallbackMayStartTheNextChild) {
  Outcome second;
  ProcessCallbacks callbacks;
  callbacks.on_exit = [&](const ProcessExit&) {
    EXPECT_EQ(runner_->running(), 0u);
    ASSERT_TRUE(runner_->start(shell("echo second"), record_into(second)).ok());
  };
  ASSERT_TRUE(runner_->start(shell("echo first"), std::move(callbacks)).ok());
  loop_.run();
  EXPECT_THAT(second.lines, ElementsAre("second"));
  EXPECT_EQ(second.exits, 1);
}

TEST_F(ProcessTest, TheChildLeadsItsOwnProcessGroupAndSession) {
  Outcome outcome;
  ProcessCallbacks callbacks = record_into(outcome);
  std::optional<ProcessId> id;
  callbacks.on_line = [&](std::string_view line) {
    int pid = std::stoi(std::string(line));
    EXPECT_EQ(getpgid(pid), pid);
    EXPECT_EQ(getsid(pid), pid);
    EXPECT_NE(getpgid(pid), getpgrp());
    runner_->terminate(*id, std::chrono::milliseconds(5000));
  };
  Result<ProcessId> started = runner_->start(shell("echo $$; exec sleep 10"), std::move(callbacks));
  ASSERT_TRUE(started.ok()) << started.error();
  id = started.value();
  loop_.run();
  EXPECT_EQ(outcome.exits, 1);
}

// Collects the pids a script prints (one a line), terminates the child once it has printed
// `count` of them, and runs the loop to the end.
struct TerminateRun {
  std::vector<int> pids;
  std::optional<ProcessExit> exit;
  double seconds_to_exit = 0;  // from terminate() to on_exit
};

TerminateRun terminate_after_pids(uv_loop_t* loop, ProcessRunner& runner, const std::string& script, std::size_t count,
                                  std::chrono::milliseconds grace) {
  TerminateRun run;
  Clock::time_point terminated_at;
  ProcessId id = 0;
  ProcessCallbacks callbacks;
  callbacks.on_line = [&](std::string_view line) {
    run.pids.push_back(std::stoi(std::string(line)));
    if (run.pids.size() == count) {
      terminated_at = Clock::now();
      runner.terminate(id, grace);
    }
  };
  callbacks.on_exit = [&](const ProcessExit& exit) {
    run.exit = exit;
    run.seconds_to_exit = seconds_since(terminated_at);
  };
  ProcessSpec spec;
  spec.argv = {"sh", "-c", script};
  Result<ProcessId> started = runner.start(spec, std::move(callbacks));
  EXPECT_TRUE(started.ok()) << started.error();
  if (started.ok()) id = started.value();
  uv_run(loop, UV_RUN_DEFAULT);
  return run;
}

TEST_F(ProcessTest, TerminateKillsTheChildAndItsGrandchildren) {
  TerminateRun run =
      terminate_after_pids(loop_.get(), *runner_, "echo $$; sleep 10 & echo $!; sleep 10 & echo $!; wait", 3,
                           std::chrono::milliseconds(5000));
  ASSERT_TRUE(run.exit);
  EXPECT_EQ(run.exit->term_signal, SIGTERM);
  EXPECT_LT(run.seconds_to_exit, 1.0) << "SIGTERM should have ended it well within the grace";
  ASSERT_EQ(run.pids.size(), 3u);
  for (int pid : run.pids) EXPECT_TRUE(process_gone_soon(pid)) << "pid " << pid << " survived";
}

TEST_F(ProcessTest, TerminateSendsSigkillAfterTheGraceToAGroupThatIgnoresSigterm) {
  TerminateRun run = terminate_after_pids(loop_.get(), *runner_, "trap '' TERM; echo $$; sleep 10 & echo $!; wait", 2,
                                          std::chrono::milliseconds(300));
  ASSERT_TRUE(run.exit);
  EXPECT_EQ(run.exit->term_signal, SIGKILL);
  EXPECT_GE(run.seconds_to_exit, 0.29);
  EXPECT_LT(run.seconds_to_exit, 1.5);
  for (int pid : run.pids) EXPECT_TRUE(process_gone_soon(pid)) << "pid " << pid << " survived";
}

TEST_F(ProcessTest, AGrandchildThatIgnoresSigtermDiesWithItsLeader) {
  TerminateRun run =
      terminate_after_pids(loop_.get(), *runner_, "echo $$; (trap '' TERM; exec sleep 10) & echo $!; wait", 2,
                           std::chrono::milliseconds(5000));
  ASSERT_TRUE(run.exit);
  EXPECT_EQ(run.exit->term_signal, SIGTERM);
  EXPECT_LT(run.seconds_to_exit, 1.0) << "the grandchild outlived its leader until the grace ran out";
  for (int pid : run.pids) EXPECT_TRUE(process_gone_soon(pid)) << "pid " << pid << " survived";
}

TEST_F(ProcessTest, ABackgroundProcessLeftBehindEndsWithItsLeader) {
  // Without the group kill at the leader's exit, the sleeper would hold the pipes for 10 s.
  Clock::time_point start = Clock::now();
  Outcome outcome = run(shell("sleep 10 & echo $!; echo started"));
  EXPECT_LT(seconds_since(start), 5.0);
  ASSERT_TRUE(outcome.exit);
  EXPECT_TRUE(outcome.exit->success());
  ASSERT_EQ(outcome.lines.size(), 2u);
  EXPECT_TRUE(process_gone_soon(std::stoi(outcome.lines[0])));
}

TEST_F(ProcessTest, TerminateIgnoresUnknownAndFinishedChildren) {
  runner_->terminate(12345, std::chrono::milliseconds(0));
  Outcome outcome;
  Result<ProcessId> id = runner_->start(shell("exit 4"), record_into(outcome));
  ASSERT_TRUE(id.ok());
  loop_.run();
  runner_->terminate(id.value(), std::chrono::milliseconds(0));
  loop_.run();
  EXPECT_EQ(outcome.exits, 1);
  EXPECT_EQ(outcome.exit->exit_status, 4);
}

}  // namespace
}  // namespace xb

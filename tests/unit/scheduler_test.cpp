// Tests for scheduler: the order and the stopping rules with a fake runner, and the whole run
// (logs, prefixes, limits, timeouts, cancellation) with real processes.
#include "run/scheduler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "support/fake_process_runner.h"
#include "support/scratch_dir.h"
#include "util/fs.h"
#include "util/strings.h"
#include "util/uv_loop.h"

namespace xb {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;
using Clock = std::chrono::steady_clock;
using testing::FakeProcessRunner;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// A small world: two target platforms, jobs added by hand, logs and a source directory in a
// scratch directory, a terminal that records.
class SchedulerTest : public ::testing::Test {
 protected:
  static constexpr std::size_t arm64 = 0;
  static constexpr std::size_t amd64 = 1;

  void SetUp() override {
    plan_.state_dir = scratch_ / ".xbuild";
    plan_.targets.resize(2);
    plan_.targets[arm64].platform = Platform{"linux", "arm64", "", ""};
    plan_.targets[amd64].platform = Platform{"linux", "amd64", "", ""};
    std::filesystem::create_directories(source_dir());
  }

  void TearDown() override {
    EXPECT_TRUE(loop_.all_closed());
    EXPECT_EQ(loop_.close(), 0);
  }

  std::filesystem::path source_dir() const { return scratch_ / "src"; }

  std::size_t add_job(std::size_t target, const std::string& stage, const std::string& command,
                      std::vector<std::size_t> needs = {}, int timeout_seconds = 0) {
    const std::string platform = plan_.targets[target].platform.str();
    std::string slug = platform;
    std::replace(slug.begin(), slug.end(), '/', '-');
    JobPlan job;
    job.target = target;
    job.platform = platform;
    job.stage = stage;
    job.command = command;
    job.env = {{"XBUILD_PLATFORM", platform}, {"XBUILD_SRC", source_dir().string()}};
    job.working_directory = source_dir();
    job.needs = std::move(needs);
    job.timeout_seconds = timeout_seconds;
    job.log_file = plan_.state_dir / "logs" / slug / (stage + ".log");
    plan_.jobs.push_back(job);
    return plan_.jobs.size() - 1;
  }

  RunResult run_real(SchedulerOptions options) {
    std::unique_ptr<ProcessRunner> runner = make_uv_process_runner(loop_.get());
    RunResult result = run_jobs(loop_.get(), plan_, *runner, terminal_, options);
    EXPECT_EQ(runner->running(), 0u);
    return result;
  }

  RunResult run_fake(FakeProcessRunner& runner, SchedulerOptions options) {
    RunResult result = run_jobs(loop_.get(), plan_, runner, terminal_, options);
    EXPECT_EQ(runner.running(), 0u);
    return result;
  }

  static SchedulerOptions with_jobs(unsigned jobs, bool keep_going = false) {
    SchedulerOptions options;
    options.jobs = jobs;
    options.keep_going = keep_going;
    options.kill_grace = std::chrono::milliseconds(5000);
    return options;
  }

  std::vector<std::string> status_lines() const {
    std::vector<std::string> lines;
    for (const std::string& line : terminal_.lines) {
      if (starts_with(line, "xbuild: ")) lines.push_back(line);
    }
    return lines;
  }

  std::vector<JobState> states(const RunResult& result) const {
    std::vector<JobState> all;
    for (const JobResult& job : result.jobs) all.push_back(job.state);
    return all;
  }

  UvLoop loop_;
  testing::ScratchDir scratch_;
  RecordingTerminal terminal_;
  Plan plan_;
};

// ---- order and stopping rules, with the fake runner ----

TEST_F(SchedulerTest, StartsEachJobOnceEverythingItNeedsSucceeded) {
  add_job(arm64, "build", "build");
  add_job(arm64, "test", "test", {0});
  add_job(arm64, "lint", "lint", {0});
  add_job(arm64, "package", "package", {1, 2});
  FakeProcessRunner runner(loop_.get());
  RunResult result = run_fake(runner, with_jobs(4));
  EXPECT_THAT(runner.started, ElementsAre("build", "test", "lint", "package"));
  EXPECT_EQ(runner.max_running, 2u);
  EXPECT_TRUE(result.ok());
  EXPECT_EQ(result.failure_message(plan_), "");
  EXPECT_THAT(states(result),
              ElementsAre(JobState::succeeded, JobState::succeeded, JobState::succeeded, JobState::succeeded));
  EXPECT_THAT(status_lines(), IsEmpty());
}

TEST_F(SchedulerTest, StartsReadyJobsInPlanOrderUpToTheLimit) {
  for (const char* name : {"a", "b", "c", "d", "e"}) add_job(amd64, name, name);
  FakeProcessRunner runner(loop_.get());
  RunResult result = run_fake(runner, with_jobs(2));
  EXPECT_THAT(runner.started, ElementsAre("a", "b", "c", "d", "e"));
  EXPECT_EQ(runner.max_running, 2u);
  EXPECT_TRUE(result.ok());
}

// The longest chain of jobs first: with two slots, every build starts before any test, so the
// last build does not run alone after the others' tests took their turns.
TEST_F(SchedulerTest, StartsTheJobsHeadingTheLongestChainsFirst) {
  for (const char* name : {"one", "two", "three"}) {
    std::size_t build = add_job(arm64, std::string("build ") + name, std::string("build ") + name);
    add_job(arm64, std::string("test ") + name, std::string("test ") + name, {build});
  }
  add_job(amd64, "lint", "lint");
  FakeProcessRunner runner(loop_.get());
  RunResult result = run_fake(runner, with_jobs(2));
  // In plan order the tests of one and two would have started before "build three".
  EXPECT_THAT(runner.started,
              ElementsAre("build one", "build two", "build three", "test one", "test two", "test three", "lint"));
  EXPECT_EQ(runner.max_running, 2u);
  EXPECT_TRUE(result.ok());
}

TEST_F(SchedulerTest, ZeroJobsMeansNoLimit) {
  for (const char* name : {"a", "b", "c", "d", "e"}) add_job(amd64, name, name);
  FakeProcessRunner runner(loop_.get());
  RunResult result = run_fake(runner, with_jobs(0));
  EXPECT_EQ(runner.max_running, 5u);
  EXPECT_TRUE(result.ok());
}

TEST_F(SchedulerTest, RunsTheJobInItsWorkingDirectoryWithItsEnvironment) {
  add_job(arm64, "build", "make");
  FakeProcessRunner runner(loop_.get());
  RunResult result = run_fake(runner, with_jobs(1));
  ASSERT_EQ(runner.specs.size(), 1u);
  EXPECT_THAT(runner.specs[0].argv, ElementsAre("/bin/sh", "-e", "-c", "make"));
  EXPECT_EQ(runner.specs[0].env, plan_.jobs[0].env);
  EXPECT_EQ(runner.specs[0].working_directory, source_dir());
}

TEST_F(SchedulerTest, JobsMarkedDoneCountAsSucceededAndAreNotStarted) {
  std::size_t build = add_job(arm64, "build", "make");
  std::size_t test = add_job(arm64, "test", "make check", {build});
  add_job(amd64, "build", "make");
  FakeProcessRunner runner(loop_.get());
  SchedulerOptions options = with_jobs(2);
  options.done = {true, false, true};
  std::vector<std::size_t> hooked;
  options.hooks.started = [&](std::size_t job) { hooked.push_back(job); };
  RunResult result = run_fake(runner, options);
  ASSERT_EQ(runner.specs.size(), 1u);  // only the test, whose need is done
  EXPECT_THAT(runner.specs[0].argv, ElementsAre("/bin/sh", "-e", "-c", "make check"));
  EXPECT_EQ(hooked, std::vector<std::size_t>{test});
  EXPECT_TRUE(result.ok());
  EXPECT_EQ(result.jobs[build].state, JobState::succeeded);
  EXPECT_EQ(result.jobs[2].state, JobState::succeeded);
}

TEST_F(SchedulerTest, AnEmptyPlanSucceedsAtOnce) {
  FakeProcessRunner runner(loop_.get());
  RunResult result = run_fake(runner, with_jobs(1));
  EXPECT_TRUE(result.ok());
  EXPECT_THAT(result.jobs, IsEmpty());
  EXPECT_THAT(terminal_.lines, IsEmpty());
}

TEST_F(SchedulerTest, TheFirstFailureCancelsRunningJobsAndStartsNothingNew) {
  add_job(amd64, "build", "forever");
  add_job(arm64, "build", "fails");
  add_job(arm64, "test", "after", {1});
  add_job(amd64, "test", "later");
  FakeProcessRunner runner(loop_.get());
  runner.script("forever", {{}, {}, true, ""});
  runner.script("fails", {{"error: boom"}, ProcessExit{2, 0}, false, ""});
  RunResult result = run_fake(runner, with_jobs(2));
  // "fails" first: a job needs it, so it heads a longer chain than "forever".
  EXPECT_THAT(runner.started, ElementsAre("fails", "forever"));
  EXPECT_THAT(runner.terminated, ElementsAre("forever"));
  EXPECT_THAT(states(result),
              ElementsAre(JobState::cancelled, JobState::failed, JobState::cancelled, JobState::cancelled));
  for (std::size_t job : {0, 2, 3}) EXPECT_EQ(result.jobs[job].reason, "because linux/arm64 build failed") << job;
  EXPECT_EQ(result.jobs[1].reason, "");
  EXPECT_EQ(result.jobs[0].exit.term_signal, SIGTERM);
  ASSERT_EQ(result.first_failure, 1u);
  EXPECT_EQ(result.failure_message(plan_),
            "stage \"build\" failed on linux/arm64 (exit status 2); its log is " + plan_.jobs[1].log_file.string());
  EXPECT_THAT(status_lines(), ElementsAre("xbuild: stage \"build\" failed on linux/arm64 (exit status 2)",
                                          "xbuild: cancelling stage \"build\" on linux/amd64"));
}

TEST_F(SchedulerTest, KeepGoingRunsEverythingThatDoesNotNeedTheFailedJob) {
  add_job(arm64, "build", "arm64 build");
  add_job(arm64, "test", "arm64 test", {0});
  add_job(arm64, "package", "arm64 package", {1});
  add_job(amd64, "build", "amd64 build");
  add_job(amd64, "test", "amd64 test", {3});
  FakeProcessRunner runner(loop_.get());
  runner.script("arm64 build", {{}, ProcessExit{1, 0}, false, ""});
  RunResult result = run_fake(runner, with_jobs(1, /*keep_going=*/true));
  EXPECT_THAT(runner.started, ElementsAre("arm64 build", "amd64 build", "amd64 test"));
  EXPECT_THAT(states(result), ElementsAre(JobState::failed, JobState::skipped, JobState::skipped, JobState::succeeded,
                                          JobState::succeeded));
  EXPECT_EQ(result.jobs[1].reason, "because linux/arm64 build, which it needs, failed");
  EXPECT_EQ(result.jobs[2].reason, "because linux/arm64 build, which it needs, failed") << "the cause, not the skip";
  EXPECT_EQ(result.first_failure, 0u);
  EXPECT_THAT(status_lines(), ElementsAre("xbuild: stage \"build\" failed on linux/arm64 (exit status 1)",
                                          "xbuild: skipping stage \"test\" on linux/arm64: it needs stage \"build\" "
                                          "on linux/arm64, which failed",
                                          "xbuild: skipping stage \"package\" on linux/arm64: it needs stage \"build\" "
                                          "on linux/arm64, which failed"));
}

TEST_F(SchedulerTest, KeepGoingRecordsTheFirstOfSeveralFailures) {
  add_job(arm64, "build", "first");
  add_job(amd64, "build", "second");
  FakeProcessRunner runner(loop_.get());
  runner.script("first", {{}, ProcessExit{0, SIGKILL}, false, ""});
  runner.script("second", {{}, ProcessExit{7, 0}, false, ""});
  RunResult result = run_fake(runner, with_jobs(2, /*keep_going=*/true));
  EXPECT_THAT(states(result), ElementsAre(JobState::failed, JobState::failed));
  EXPECT_EQ(result.first_failure, 0u);
  // Every failure is named, not only the first.
  EXPECT_EQ(result.failure_message(plan_),
            "2 stages failed: linux/arm64 build (killed by signal 9), linux/amd64 "
            "build (exit status 7); logs: " +
                plan_.jobs[0].log_file.string() + ", " + plan_.jobs[1].log_file.string());
  EXPECT_THAT(status_lines(), ElementsAre("xbuild: stage \"build\" failed on linux/arm64 (killed by signal 9)",
                                          "xbuild: stage \"build\" failed on linux/amd64 (exit status 7)"));
}

TEST_F(SchedulerTest, AJobThatCannotStartFailsTheRun) {
  add_job(arm64, "build", "make");
  add_job(amd64, "build", "other");
  FakeProcessRunner runner(loop_.get());
  runner.script("make", {{}, {}, false, "could not start \"/bin/sh\": no such file or directory"});
  RunResult result = run_fake(runner, with_jobs(1));
  EXPECT_THAT(runner.started, IsEmpty());
  EXPECT_THAT(states(result), ElementsAre(JobState::failed, JobState::cancelled));
  EXPECT_EQ(result.jobs[0].start_error, "could not start \"/bin/sh\": no such file or directory");
  EXPECT_EQ(result.failure_message(plan_),
            "stage \"build\" failed on linux/arm64 (could not start \"/bin/sh\": no such file or "
            "directory)");
  EXPECT_THAT(status_lines(), ElementsAre("xbuild: stage \"build\" failed on linux/arm64 (could not "
                                          "start \"/bin/sh\": no such file or directory)"));
}

TEST_F(SchedulerTest, AJobWhoseLogCannotBeOpenedFails) {
  add_job(arm64, "build", "make");
  scratch_.write(".xbuild/logs", "a file where the log directory should be");
  FakeProcessRunner runner(loop_.get());
  RunResult result = run_fake(runner, with_jobs(1));
  EXPECT_THAT(runner.started, IsEmpty());
  EXPECT_EQ(result.failure_message(plan_), "stage \"build\" failed on linux/arm64 (could not open its log " +
                                               plan_.jobs[0].log_file.string() + ": Not a directory)");
}

TEST_F(SchedulerTest, AJobWithAnUnsatisfiableNeedDoesNotRun) {
  add_job(arm64, "build", "build", {5});
  FakeProcessRunner runner(loop_.get());
  RunResult result = run_fake(runner, with_jobs(1));
  EXPECT_THAT(runner.started, IsEmpty());
  EXPECT_THAT(states(result), ElementsAre(JobState::cancelled));
  EXPECT_EQ(result.jobs[0].reason, "because the run stopped");
}

// Every job gets one job_finished, in the words of every output: the cached ones first, the ones
// that ran as they end, the ones that never started at the end with why.
TEST_F(SchedulerTest, EveryJobEndsWithItsStateWordAndReason) {
  struct Finished : RecordingTerminal {
    void run_started(std::size_t jobs) override { events.push_back("run of " + std::to_string(jobs)); }
    void job_finished(const JobInfo& job, std::string_view state, double, std::int64_t,
                      std::string_view detail) override {
      events.push_back(job.label + " " + std::string(state) + (detail.empty() ? "" : " " + std::string(detail)));
    }
    void run_finished() override { events.push_back("end"); }
    std::vector<std::string> events;
  } terminal;
  add_job(arm64, "build", "cached");
  add_job(arm64, "test", "fails", {0});
  add_job(amd64, "build", "slow");
  add_job(amd64, "test", "never", {2});
  FakeProcessRunner runner(loop_.get());
  runner.script("fails", {{}, ProcessExit{1, 0}, false, ""});
  runner.script("slow", {{}, {}, true, ""});
  SchedulerOptions options = with_jobs(2);
  options.done = {true, false, false, false};
  RunResult result = run_jobs(loop_.get(), plan_, runner, terminal, options);
  EXPECT_THAT(terminal.events, ElementsAre("run of 4", "linux/arm64 build cached", "linux/arm64 test failed",
                                           "linux/amd64 build cancelled because linux/arm64 test failed",
                                           "linux/amd64 test cancelled because linux/arm64 test failed", "end"));
}

TEST_F(SchedulerTest, ATimeoutCancelsTheOthersSayingSo) {
  add_job(arm64, "test", "hangs", {}, /*timeout_seconds=*/1);
  add_job(amd64, "test", "waits");
  FakeProcessRunner runner(loop_.get());
  runner.script("hangs", {{}, {}, true, ""});
  runner.script("waits", {{}, {}, true, ""});
  RunResult result = run_fake(runner, with_jobs(2));
  EXPECT_THAT(states(result), ElementsAre(JobState::timed_out, JobState::cancelled));
  EXPECT_EQ(result.jobs[1].reason, "because linux/arm64 test timed out");
}

TEST_F(SchedulerTest, NamesEveryJobState) {
  EXPECT_STREQ(job_state_name(JobState::pending), "pending");
  EXPECT_STREQ(job_state_name(JobState::skipped), "skipped");
  EXPECT_STREQ(job_state_name(JobState::succeeded), "ok");
  EXPECT_STREQ(job_state_name(JobState::failed), "failed");
  EXPECT_STREQ(job_state_name(JobState::timed_out), "timed out");
  EXPECT_STREQ(job_state_name(JobState::cancelled), "cancelled");
}

// ---- the whole run, with real processes ----

TEST_F(SchedulerTest, RealJobsRunInDependencyOrder) {
  add_job(arm64, "build", "sleep 0.2; echo build >> order");
  add_job(arm64, "test", "echo test >> order", {0});
  add_job(arm64, "package", "echo package >> order", {1});
  RunResult result = run_real(with_jobs(4));
  EXPECT_TRUE(result.ok()) << result.failure_message(plan_);
  EXPECT_EQ(read_text(source_dir() / "order"), "build\ntest\npackage\n");
}

TEST_F(SchedulerTest, RealHooksSeeEachJobStartAndEndBeforeWhatNeedsItStarts) {
  add_job(arm64, "build", "echo build >> order");
  add_job(arm64, "test", "echo test >> order", {0});
  add_job(arm64, "broken", "echo broken >> order; exit 3", {1});
  SchedulerOptions options = with_jobs(4);
  std::vector<std::string> events;
  // What the job wrote is there when it ends, and nothing that needs it has started.
  options.hooks.started = [&](std::size_t job) { events.push_back("start " + plan_.jobs[job].stage); };
  options.hooks.finished = [&](std::size_t job, const JobResult& result) {
    events.push_back("end " + plan_.jobs[job].stage + " " + job_state_name(result.state) + " after " +
                     std::string(trim(read_text(source_dir() / "order"))));
  };
  RunResult result = run_real(options);
  EXPECT_FALSE(result.ok());
  EXPECT_THAT(events,
              ElementsAre("start build", "end build ok after build", "start test", "end test ok after build\ntest",
                          "start broken", "end broken failed after build\ntest\nbroken"));
}

// A job that prints nothing for a while still moves the terminal's clock.
TEST_F(SchedulerTest, RealSilentJobStillTicksTheTerminalsClock) {
  struct TickCounter : RecordingTerminal {
    void tick() override { ++ticks; }
    int ticks = 0;
  } counter;
  add_job(arm64, "build", "sleep 1.3");
  std::unique_ptr<ProcessRunner> runner = make_uv_process_runner(loop_.get());
  RunResult result = run_jobs(loop_.get(), plan_, *runner, counter, with_jobs(1));
  EXPECT_TRUE(result.ok()) << result.failure_message(plan_);
  EXPECT_GE(counter.ticks, 2);   // 1.3 s at one tick every 500 ms
  EXPECT_LE(counter.ticks, 10);  // and the clock does not spin
}

TEST_F(SchedulerTest, RealJobsHonourTheConcurrencyLimit) {
  for (int i = 0; i < 6; ++i) {
    add_job(i % 2 == 0 ? arm64 : amd64, "stage" + std::to_string(i),
            "echo start >> events; sleep 0.3; echo end >> events");
  }
  Clock::time_point start = Clock::now();
  RunResult result = run_real(with_jobs(2));
  double seconds = seconds_since(start);
  EXPECT_TRUE(result.ok()) << result.failure_message(plan_);
  int running = 0;
  int most = 0;
  for (const std::string& event : split(read_text(source_dir() / "events"), '\n')) {
    if (event == "start") most = std::max(most, ++running);
    if (event == "end") --running;
  }
  EXPECT_EQ(most, 2);
  EXPECT_GE(seconds, 0.85) << "six 0.3 s jobs, two at a time, take three rounds";
}

TEST_F(SchedulerTest, RealFirstFailureCancelsALongSleeperQuickly) {
  add_job(amd64, "build", "echo building; sleep 100 & sleep 100; wait");
  add_job(arm64, "test", "echo running tests; sleep 0.3; echo 'FAIL: hello' >&2; exit 1");
  add_job(amd64, "test", "echo never", {0});
  add_job(arm64, "package", "echo never either");
  Clock::time_point start = Clock::now();
  RunResult result = run_real(with_jobs(2));
  double seconds = seconds_since(start);
  EXPECT_LT(seconds, 2.0) << "the sleeper was not stopped by SIGTERM";
  EXPECT_THAT(states(result),
              ElementsAre(JobState::cancelled, JobState::failed, JobState::cancelled, JobState::cancelled));
  EXPECT_EQ(result.jobs[0].exit.term_signal, SIGTERM);
  EXPECT_EQ(result.jobs[1].exit.exit_status, 1);
  ASSERT_EQ(result.first_failure, 1u);
  EXPECT_EQ(result.failure_message(plan_), "stage \"test\" failed on linux/arm64 (exit status 1); its log is " +
                                               (scratch_ / ".xbuild/logs/linux-arm64/test.log").string());
  EXPECT_THAT(status_lines(), ElementsAre("xbuild: stage \"test\" failed on linux/arm64 (exit status 1)",
                                          "xbuild: cancelling stage \"build\" on linux/amd64"));
  EXPECT_EQ(read_text(plan_.jobs[1].log_file), "running tests\nFAIL: hello\n");
  EXPECT_EQ(read_text(plan_.jobs[0].log_file), "building\n");
  EXPECT_FALSE(std::filesystem::exists(plan_.jobs[3].log_file));
}

TEST_F(SchedulerTest, RealKeepGoingFinishesTheIndependentJobs) {
  add_job(arm64, "build", "exit 2");
  add_job(arm64, "test", "echo no", {0});
  add_job(amd64, "build", "sleep 0.3; echo amd64 built");
  add_job(amd64, "test", "echo amd64 tested", {2});
  RunResult result = run_real(with_jobs(2, /*keep_going=*/true));
  EXPECT_THAT(states(result),
              ElementsAre(JobState::failed, JobState::skipped, JobState::succeeded, JobState::succeeded));
  EXPECT_EQ(result.failure_message(plan_),
            "stage \"build\" failed on linux/arm64 (exit status 2); its log is " + plan_.jobs[0].log_file.string());
  EXPECT_EQ(read_text(plan_.jobs[3].log_file), "amd64 tested\n");
}

TEST_F(SchedulerTest, RealTimeoutTerminatesTheJob) {
  add_job(arm64, "test", "echo waiting; sleep 100", {}, /*timeout_seconds=*/1);
  Clock::time_point start = Clock::now();
  RunResult result = run_real(with_jobs(1));
  double seconds = seconds_since(start);
  EXPECT_GE(seconds, 0.95);
  EXPECT_LT(seconds, 2.5);
  EXPECT_THAT(states(result), ElementsAre(JobState::timed_out));
  EXPECT_EQ(result.jobs[0].exit.term_signal, SIGTERM);
  EXPECT_EQ(result.failure_message(plan_),
            "stage \"test\" failed on linux/arm64 (timed out after 1s); its log is " + plan_.jobs[0].log_file.string());
  EXPECT_THAT(status_lines(), ElementsAre("xbuild: stage \"test\" failed on linux/arm64 (timed out after 1s)"));
  EXPECT_EQ(read_text(plan_.jobs[0].log_file), "waiting\n");
}

TEST_F(SchedulerTest, RealAJobThatFinishesInTimeIsNotTimedOut) {
  add_job(arm64, "test", "echo quick", {}, /*timeout_seconds=*/30);
  RunResult result = run_real(with_jobs(1));
  EXPECT_THAT(states(result), ElementsAre(JobState::succeeded));
}

TEST_F(SchedulerTest, RealSignalDeathIsAFailure) {
  add_job(amd64, "test", "kill -9 $$");
  RunResult result = run_real(with_jobs(1));
  EXPECT_THAT(states(result), ElementsAre(JobState::failed));
  EXPECT_EQ(result.failure_message(plan_),
            "stage \"test\" failed on linux/amd64 (killed by signal 9); its log is " + plan_.jobs[0].log_file.string());
}

TEST_F(SchedulerTest, RealOutputIsPrefixedOnTheTerminalAndPlainInTheLog) {
  add_job(arm64, "build", "echo one; echo two; printf 'three'");
  add_job(amd64, "build", "echo \"in $(pwd) for $XBUILD_PLATFORM\"", {0});
  scratch_.write(".xbuild/logs/linux-arm64/build.log", "stale lines of an earlier run\n");
  RunResult result = run_real(with_jobs(1));
  EXPECT_TRUE(result.ok()) << result.failure_message(plan_);
  EXPECT_THAT(terminal_.lines,
              ElementsAre("[linux/arm64 build] one", "[linux/arm64 build] two", "[linux/arm64 build] three",
                          "[linux/amd64 build] in " + source_dir().string() + " for linux/amd64"));
  EXPECT_EQ(read_text(plan_.jobs[0].log_file), "one\ntwo\nthree\n");
  EXPECT_EQ(read_text(plan_.jobs[1].log_file), "in " + source_dir().string() + " for linux/amd64\n");
  EXPECT_GT(result.jobs[0].seconds, 0.0);
}

TEST_F(SchedulerTest, RealLogHoldsStdoutAndStderrCompletely) {
  add_job(arm64, "build", "seq 1 20000; seq 1 20000 >&2");
  RunResult result = run_real(with_jobs(1));
  EXPECT_TRUE(result.ok());
  std::vector<std::string> lines = split(read_text(plan_.jobs[0].log_file), '\n');
  EXPECT_EQ(lines.size(), 40001u);  // the last, after the final newline, is empty
  EXPECT_EQ(terminal_.lines.size(), 40000u);
}

}  // namespace
}  // namespace xb

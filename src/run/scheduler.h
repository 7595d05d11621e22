// Runs the plan's jobs as a dependency graph on one uv loop: at most `jobs` children at once,
// a job starts when every job it needs has succeeded; the first failure stops the rest (their
// whole process groups) unless keep_going is set. Output is prefixed "[platform stage] " and
// also written, unprefixed, to the job's log file.
#pragma once

#include <uv.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "exec/process.h"
#include "plan/plan.h"
#include "run/terminal.h"

namespace xb {

// How a job ended. `pending` only until run_jobs returns: a job that never started ends as
// `cancelled` when a failure or an interruption stopped the run, as `skipped` when something it
// needs did not succeed and the others went on (keep_going). `cached` is never the scheduler's:
// the report says it of the jobs the cache restored.
enum class JobState { pending, succeeded, failed, timed_out, cancelled, skipped };
// "pending", "ok", "failed", "timed out", "cancelled", "skipped": the words of every output
const char* job_state_name(JobState state);

struct JobResult {
  JobState state = JobState::pending;
  ProcessExit exit;
  double seconds = 0;
  double start_offset = 0;  // when it started, in seconds after the run began (jobs that started)
  std::string start_error;  // why the job could not be started (state failed), else empty
  // Why a cancelled or skipped job did not run to its end: "because linux/arm64 build failed",
  // "because linux/arm64 build, which it needs, failed", "because the run was interrupted (SIGINT)".
  std::string reason;
};

struct RunResult {
  std::vector<JobResult> jobs;  // parallel to Plan::jobs
  std::optional<std::size_t> first_failure;
  int interrupted = 0;                               // SIGINT or SIGTERM when the run was interrupted, else 0
  std::chrono::system_clock::time_point started_at;  // when run_jobs began
  double wall_seconds = 0;                           // how long run_jobs took
  bool ok() const { return !first_failure.has_value() && interrupted == 0; }
  // One failure: "stage "test" failed on linux/arm64 (exit status 1); its log is
  // .xbuild/logs/linux-arm64/test.log". More (keep_going): every one named, in plan order, "2 stages
  // failed: linux/arm64 test (exit status 1), linux/riscv64 build (exit status 2); logs: A, B".
  std::string failure_message(const Plan& plan) const;
};

// Called on the loop thread with the job's index in the plan: `started` just before its process
// starts, `finished` once it has ended (any state, its log closed) and before any job that
// needs it can start. The cache uses them to see what each job wrote.
struct JobHooks {
  std::function<void(std::size_t job)> started;
  std::function<void(std::size_t job, const JobResult& result)> finished;
};

struct SchedulerOptions {
  unsigned jobs = 1;        // concurrency limit (-j)
  bool keep_going = false;  // let independent jobs finish after a failure
  std::chrono::milliseconds kill_grace{2000};
  // Catch SIGINT and SIGTERM on the loop while jobs run: terminate every running job's process
  // group (children run in their own sessions, so a terminal's Ctrl-C does not reach them),
  // start nothing new, and report the signal in RunResult::interrupted.
  bool handle_interrupts = false;
  JobHooks hooks;
  // Parallel to Plan::jobs (empty: none): jobs whose results are in place already (restored from
  // the cache). They count as succeeded from the start; they are neither started nor hooked.
  std::vector<bool> done;
};

// Runs the loop until every job has finished or been skipped. The terminal hears run_started with
// the number of jobs, job_finished "cached" for each job the options mark done, every start and
// end, job_finished for each job that never started (cancelled or skipped, with its reason), and
// run_finished.
RunResult run_jobs(uv_loop_t* loop, const Plan& plan, ProcessRunner& runner, Terminal& terminal,
                   const SchedulerOptions& options);

}  // namespace xb

// How the scheduler works.
//
// The plan's jobs form a dependency graph (JobPlan::needs). A job is ready when every job it
// needs has succeeded. Whenever something changes (at the start, and each time a job ends) the
// scheduler walks the jobs in priority order and starts ready ones until `jobs` children run;
// then it turns the uv loop one iteration at a time until no job is running. The process
// runner is passive: it reports each child's lines and its end, and everything else is
// decided here.
//
// Priority is the critical path counted in jobs, as ninja orders its edges (ninja weighs them
// with durations from its log; a cold run has none): a job heading a longer chain of jobs that
// wait on each other starts first, and plan order breaks ties. So every platform's build starts
// before any platform's test. In plan order, five builds on two cores left the fifth alone on
// one core at the end, after the short tests of the others had taken their turns.
//
// Jobs the options mark as done (restored from the cache) count as succeeded from the start.
// Each other job is its launcher and shell with its command (`/bin/sh -e -c <command>`), with the
// variables it inherits and its own environment, in its working directory.
// Its lines go to the terminal prefixed "[platform stage] " and, as they are, to its log file,
// which is truncated when the job starts and closed when it ends.
// A job with a timeout gets a uv timer that terminates it (state timed_out).
//
// The first failure (nonzero exit, a signal, a timeout, or a job that could not start) is
// recorded. Without keep_going it stops the run: every running job's process group is
// terminated and nothing new starts; those jobs, and the ones never started, end as cancelled
// "because <the failed job> failed". With keep_going the other jobs go on; the ones that need a
// failed job, directly or through others, never become ready and end as skipped "because <it>,
// which it needs, failed". Either way each gets its job_finished, so every output names it.
//
// With handle_interrupts, SIGINT and SIGTERM are caught (util/interrupt.h: the run's catcher, or
// one of the scheduler's own) and wake the loop through a uv_async_t: the run stops as on a
// first failure (every running job's group gets SIGTERM, then SIGKILL after kill_grace) and
// RunResult::interrupted records the signal. A signal caught before the loop started (while the
// run prepared) stops it before any job starts. Not uv_signal_t: closing its last handle resets
// the signal to its default action, and the run must keep catching it while it packs.
#include "run/scheduler.h"

#include <csignal>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <system_error>

#include "util/interrupt.h"

namespace xb {
namespace {

using Clock = std::chrono::steady_clock;

class Scheduler;

struct TimeoutTimer {
  uv_timer_t handle;
  Scheduler* scheduler = nullptr;
  std::size_t job = 0;
};

struct JobRun {
  bool started = false;
  bool finished = false;
  bool timed_out = false;
  bool cancelled = false;  // terminated because another job failed
  ProcessId process = 0;
  JobInfo info;  // platform, stage, and "linux/arm64 build" for the "[...] " prefix
  std::ofstream log;
  TimeoutTimer* timeout = nullptr;
  Clock::time_point started_at;
};

// `stage "test" failed on linux/arm64`, or without a verb `stage "test" on linux/arm64`: how
// every message names a job.
std::string stage_on(const JobPlan& job, std::string_view verb) {
  std::string text = "stage \"" + job.stage + "\" ";
  if (!verb.empty()) text += std::string(verb) + " ";
  return text + "on " + job.platform;
}

// Why a failed job failed, as shown in parentheses: "exit status 1", "killed by signal 9",
// "timed out after 30s", or why it could not start.
std::string failure_reason(const JobPlan& job, const JobResult& result) {
  if (result.state == JobState::timed_out) {
    return "timed out after " + std::to_string(job.timeout_seconds) + "s";
  }
  if (!result.start_error.empty()) return result.start_error;
  if (result.exit.term_signal != 0) {
    return "killed by signal " + std::to_string(result.exit.term_signal);
  }
  return "exit status " + std::to_string(result.exit.exit_status);
}

// The jobs, most urgent first: by the length of the longest chain of jobs that starts with the
// job and follows what needs it (1 for a job nothing needs), then in plan order.
std::vector<std::size_t> priority_order(const Plan& plan) {
  std::size_t count = plan.jobs.size();
  std::vector<std::vector<std::size_t>> needed_by(count);
  for (std::size_t index = 0; index < count; ++index)
    for (std::size_t need : plan.jobs[index].needs)
      if (need < count) needed_by[need].push_back(index);
  std::vector<std::size_t> chain(count, 0);  // 0: not computed yet (the plan has no cycles)
  std::function<std::size_t(std::size_t)> length = [&](std::size_t index) {
    if (chain[index] == 0) {
      std::size_t longest = 0;
      for (std::size_t next : needed_by[index]) longest = std::max(longest, length(next));
      chain[index] = longest + 1;
    }
    return chain[index];
  };
  std::vector<std::size_t> order(count);
  for (std::size_t index = 0; index < count; ++index) {
    order[index] = index;
    length(index);
  }
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return chain[a] > chain[b]; });
  return order;
}

class Scheduler {
 public:
  Scheduler(uv_loop_t* loop, const Plan& plan, ProcessRunner& runner, Terminal& terminal,
            const SchedulerOptions& options)
      : loop_(loop),
        plan_(plan),
        runner_(runner),
        terminal_(terminal),
        options_(options),
        runs_(plan.jobs.size()),
        order_(priority_order(plan)) {
    result_.jobs.resize(plan.jobs.size());
    for (std::size_t index = 0; index < options.done.size() && index < runs_.size(); ++index) {
      if (!options.done[index]) continue;
      runs_[index].started = runs_[index].finished = true;
      result_.jobs[index].state = JobState::succeeded;
    }
  }

  RunResult run() {
    result_.started_at = std::chrono::system_clock::now();
    run_began_ = Clock::now();
    terminal_.run_started(plan_.jobs.size());
    for (std::size_t index = 0; index < options_.done.size() && index < runs_.size(); ++index)
      if (options_.done[index]) terminal_.job_finished(info(index), "cached", 0, -1, "");
    std::optional<InterruptCatcher> catcher;
    if (options_.handle_interrupts) {
      catcher.emplace();
      watch_signals();
      if (int signum = interrupt_signal()) interrupt(signum);  // caught while the run prepared
    }
    // The terminal's clock. Unreferenced: it alone does not keep the loop alive.
    uv_timer_t clock{};
    uv_timer_init(loop_, &clock);
    clock.data = this;
    uv_timer_start(
        &clock, [](uv_timer_t* handle) { static_cast<Scheduler*>(handle->data)->terminal_.tick(); },
        Terminal::kTickIntervalMs, Terminal::kTickIntervalMs);
    uv_unref(reinterpret_cast<uv_handle_t*>(&clock));
    start_ready_jobs();
    while (running_ > 0) {
      // Zero means nothing on the loop can end a running job any more: do not spin.
      if (uv_run(loop_, UV_RUN_ONCE) == 0 && running_ > 0) break;
    }
    uv_close(reinterpret_cast<uv_handle_t*>(&clock), nullptr);
    if (wakeup_.data) {
      set_interrupt_wakeup(nullptr);
      uv_close(reinterpret_cast<uv_handle_t*>(&wakeup_), nullptr);
    }
    uv_run(loop_, UV_RUN_NOWAIT);  // let any handle closed in the last iteration finish
    end_jobs_never_started();
    terminal_.run_finished();
    result_.wall_seconds = std::chrono::duration<double>(Clock::now() - run_began_).count();
    return std::move(result_);
  }

 private:
  bool ready(std::size_t index) const {
    for (std::size_t need : plan_.jobs[index].needs) {
      if (need >= result_.jobs.size() || result_.jobs[need].state != JobState::succeeded) {
        return false;
      }
    }
    return true;
  }

  bool below_limit() const { return options_.jobs == 0 || running_ < options_.jobs; }

  void start_ready_jobs() {
    for (std::size_t k = 0; k < order_.size() && !stopping_ && below_limit(); ++k) {
      std::size_t i = order_[k];
      if (!runs_[i].started && ready(i)) start_job(i);
    }
  }

  void start_job(std::size_t index) {
    const JobPlan& job = plan_.jobs[index];
    JobRun& run = runs_[index];
    run.started = true;
    run.started_at = Clock::now();
    result_.jobs[index].start_offset = std::chrono::duration<double>(run.started_at - run_began_).count();
    run.info = info(index);
    terminal_.job_started(run.info);

    if (!job.log_file.empty()) {
      std::error_code ec;
      std::filesystem::create_directories(job.log_file.parent_path(), ec);
      run.log.open(job.log_file, std::ios::binary | std::ios::trunc);
      if (!run.log) {
        int error = errno;
        fail_to_start(
            index, "could not open its log " + job.log_file.string() + ": " + std::strerror(ec ? ec.value() : error));
        return;
      }
    }

    ProcessSpec spec;
    spec.argv = job.argv();
    spec.inherit = job.inherit;
    spec.env = job.env;
    spec.working_directory = job.working_directory;
    if (options_.hooks.started) options_.hooks.started(index);
    ProcessCallbacks callbacks;
    callbacks.on_line = [this, index](std::string_view line) { on_line(index, line); };
    callbacks.on_exit = [this, index](const ProcessExit& exit) { on_exit(index, exit); };

    Result<ProcessId> started = runner_.start(spec, std::move(callbacks));
    if (!started) {
      run.log.close();
      fail_to_start(index, started.error());
      return;
    }
    run.process = started.value();
    ++running_;

    if (job.timeout_seconds > 0) {
      run.timeout = new TimeoutTimer;
      run.timeout->scheduler = this;
      run.timeout->job = index;
      run.timeout->handle.data = run.timeout;
      uv_timer_init(loop_, &run.timeout->handle);
      uv_timer_start(&run.timeout->handle, &Scheduler::on_timeout_timer,
                     static_cast<std::uint64_t>(job.timeout_seconds) * 1000, 0);
    }
  }

  void fail_to_start(std::size_t index, std::string error) {
    JobResult& result = result_.jobs[index];
    result.state = JobState::failed;
    result.start_error = std::move(error);
    runs_[index].finished = true;
    terminal_.job_finished(runs_[index].info, job_state_name(result.state), 0, -1, "");
    record_failure(index);
    if (options_.hooks.finished) options_.hooks.finished(index, result);
  }

  void on_line(std::size_t index, std::string_view line) {
    JobRun& run = runs_[index];
    terminal_.job_line(run.info, line);
    if (run.log.is_open()) run.log.write(line.data(), static_cast<std::streamsize>(line.size())).put('\n');
  }

  void on_exit(std::size_t index, const ProcessExit& exit) {
    JobRun& run = runs_[index];
    JobResult& result = result_.jobs[index];
    run.finished = true;
    --running_;
    close_timeout_timer(run);
    run.log.close();
    result.exit = exit;
    result.seconds = std::chrono::duration<double>(Clock::now() - run.started_at).count();
    if (run.timed_out) {
      result.state = JobState::timed_out;  // already reported when the timer fired
    } else if (run.cancelled) {
      result.state = JobState::cancelled;
      result.reason = stop_reason_;
    } else if (exit.success()) {
      result.state = JobState::succeeded;
    } else {
      result.state = JobState::failed;
    }
    terminal_.job_finished(run.info, job_state_name(result.state), result.seconds,
                           exit.term_signal ? -1 : exit.exit_status, result.reason);
    if (result.state == JobState::failed) record_failure(index);
    if (options_.hooks.finished) options_.hooks.finished(index, result);
    start_ready_jobs();
  }

  static void on_timeout_timer(uv_timer_t* handle) {
    auto* timer = static_cast<TimeoutTimer*>(handle->data);
    timer->scheduler->on_timeout(timer->job);
  }

  void on_timeout(std::size_t index) {
    JobRun& run = runs_[index];
    if (run.finished || run.cancelled) return;
    run.timed_out = true;
    result_.jobs[index].state = JobState::timed_out;  // its final state; the exit comes later
    runner_.terminate(run.process, options_.kill_grace);
    record_failure(index);
  }

  void close_timeout_timer(JobRun& run) {
    if (run.timeout == nullptr) return;
    uv_timer_stop(&run.timeout->handle);
    uv_close(reinterpret_cast<uv_handle_t*>(&run.timeout->handle),
             [](uv_handle_t* handle) { delete static_cast<TimeoutTimer*>(handle->data); });
    run.timeout = nullptr;
  }

  // A job has failed (its state says how): say so, remember the first, and unless keep_going
  // stop the run.
  void record_failure(std::size_t index) {
    const JobPlan& job = plan_.jobs[index];
    terminal_.status_line("xbuild: " + stage_on(job, "failed") + " (" + failure_reason(job, result_.jobs[index]) + ")");
    if (!result_.first_failure) result_.first_failure = index;
    if (options_.keep_going || stopping_) return;
    stopping_ = true;
    stop_reason_ =
        "because " + job.label() + (result_.jobs[index].state == JobState::timed_out ? " timed out" : " failed");
    for (std::size_t i = 0; i < runs_.size(); ++i) {
      JobRun& run = runs_[i];
      if (!run.started || run.finished || run.timed_out) continue;
      run.cancelled = true;
      close_timeout_timer(run);
      terminal_.status_line("xbuild: cancelling " + stage_on(plan_.jobs[i], ""));
      runner_.terminate(run.process, options_.kill_grace);
    }
  }

  void watch_signals() {
    uv_async_init(loop_, &wakeup_, &Scheduler::on_wakeup);
    wakeup_.data = this;
    set_interrupt_wakeup(&wakeup_);
  }

  static void on_wakeup(uv_async_t* handle) {
    if (int signum = interrupt_signal()) static_cast<Scheduler*>(handle->data)->interrupt(signum);
  }

  void interrupt(int signum) {
    if (result_.interrupted) return;
    result_.interrupted = signum;
    terminal_.status_line(std::string("xbuild: interrupted (") + (signum == SIGINT ? "SIGINT" : "SIGTERM") +
                          "): stopping " + std::to_string(running_) + " running job" + (running_ == 1 ? "" : "s"));
    if (!stopping_)
      stop_reason_ = std::string("because the run was interrupted (") + (signum == SIGINT ? "SIGINT" : "SIGTERM") + ")";
    stopping_ = true;
    for (std::size_t i = 0; i < runs_.size(); ++i) {
      JobRun& run = runs_[i];
      if (!run.started || run.finished || run.timed_out || run.cancelled) continue;
      run.cancelled = true;
      close_timeout_timer(run);
      runner_.terminate(run.process, options_.kill_grace);
    }
  }

  JobInfo info(std::size_t index) const {
    const JobPlan& job = plan_.jobs[index];
    return JobInfo{job.platform, job.stage, job.label()};
  }

  // The job that keeps `index` from running: the first job it needs, directly or through others,
  // that failed, timed out or was cancelled (a job skipped in between passes it on), or null.
  std::optional<std::size_t> blocking_need(std::size_t index) const {
    for (std::size_t need : plan_.jobs[index].needs) {
      if (need >= plan_.jobs.size()) continue;
      JobState state = result_.jobs[need].state;
      if (state == JobState::failed || state == JobState::timed_out || state == JobState::cancelled) return need;
      if (state != JobState::succeeded)
        if (std::optional<std::size_t> deeper = blocking_need(need)) return deeper;
    }
    return std::nullopt;
  }

  // Every job that never started gets its final state and its reason, in plan order (a job's
  // needs come before it): skipped when something it needs did not succeed and the run went on
  // (keep_going), else cancelled, because the run stopped.
  void end_jobs_never_started() {
    for (std::size_t i = 0; i < plan_.jobs.size(); ++i) {
      if (runs_[i].started) continue;
      JobResult& result = result_.jobs[i];
      std::optional<std::size_t> need = stopping_ ? std::nullopt : blocking_need(i);
      if (need) {
        JobState state = result_.jobs[*need].state;
        result.state = JobState::skipped;
        result.reason = "because " + plan_.jobs[*need].label() + ", which it needs, " +
                        (state == JobState::timed_out   ? "timed out"
                         : state == JobState::cancelled ? "was cancelled"
                                                        : "failed");
        terminal_.status_line("xbuild: skipping " + stage_on(plan_.jobs[i], "") + ": it needs " +
                              stage_on(plan_.jobs[*need], "") + ", which " +
                              (state == JobState::timed_out   ? "timed out"
                               : state == JobState::cancelled ? "was cancelled"
                                                              : "failed"));
      } else {
        result.state = JobState::cancelled;
        result.reason = stop_reason_.empty() ? "because the run stopped" : stop_reason_;
      }
      terminal_.job_finished(info(i), job_state_name(result.state), 0, -1, result.reason);
    }
  }

  uv_loop_t* loop_;
  const Plan& plan_;
  ProcessRunner& runner_;
  Terminal& terminal_;
  const SchedulerOptions& options_;
  std::vector<JobRun> runs_;
  std::vector<std::size_t> order_;  // job indices, highest priority first
  RunResult result_;
  std::size_t running_ = 0;
  bool stopping_ = false;
  std::string stop_reason_;  // why the run stopped: "because linux/arm64 build failed"
  Clock::time_point run_began_;
  uv_async_t wakeup_ = {};  // sent by the interrupt handler (data is null when not watched)
};

}  // namespace

RunResult run_jobs(uv_loop_t* loop, const Plan& plan, ProcessRunner& runner, Terminal& terminal,
                   const SchedulerOptions& options) {
  Scheduler scheduler(loop, plan, runner, terminal, options);
  return scheduler.run();
}

const char* job_state_name(JobState state) {
  static constexpr const char* kNames[] = {"pending",   "ok",        "failed",
                                           "timed out", "cancelled", "skipped"};  // JobState's order
  return kNames[static_cast<std::size_t>(state)];
}

std::string RunResult::failure_message(const Plan& plan) const {
  if (!first_failure || *first_failure >= plan.jobs.size() || *first_failure >= jobs.size()) {
    return "";
  }
  std::vector<std::size_t> failed;
  for (std::size_t index = 0; index < jobs.size() && index < plan.jobs.size(); ++index)
    if (jobs[index].state == JobState::failed || jobs[index].state == JobState::timed_out) failed.push_back(index);
  if (failed.size() > 1) {
    std::string names, logs;
    for (std::size_t index : failed) {
      names += (names.empty() ? "" : ", ") + plan.jobs[index].label() + " (" +
               failure_reason(plan.jobs[index], jobs[index]) + ")";
      if (jobs[index].start_error.empty() && !plan.jobs[index].log_file.empty())
        logs += (logs.empty() ? "" : ", ") + plan.jobs[index].log_file.string();
    }
    return std::to_string(failed.size()) + " stages failed: " + names + (logs.empty() ? "" : "; logs: " + logs);
  }
  const JobPlan& job = plan.jobs[*first_failure];
  const JobResult& result = jobs[*first_failure];
  std::string message = stage_on(job, "failed") + " (" + failure_reason(job, result) + ")";
  // A job that never started wrote nothing worth reading.
  if (result.start_error.empty() && !job.log_file.empty()) {
    message += "; its log is " + job.log_file.string();
  }
  return message;
}

}  // namespace xb

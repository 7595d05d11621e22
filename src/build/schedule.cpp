#include "build/schedule.h"

#include <algorithm>
#include <memory>

#include "util/uv_loop.h"

namespace xb {

namespace {

// Starts packing a target's layer once its last job has succeeded (at once for a target whose
// jobs are all done already).
JobHooks pack_when_done(const Plan& plan, const std::vector<bool>& done, JobHooks hooks, LayerPacker& packer) {
  auto left = std::make_shared<std::vector<std::size_t>>(plan.targets.size(), 0);
  for (std::size_t index = 0; index < plan.jobs.size(); ++index)
    if (index >= done.size() || !done[index]) ++(*left)[plan.jobs[index].target];
  for (std::size_t target = 0; target < left->size(); ++target)
    if ((*left)[target] == 0) packer.start(target);
  hooks.finished = [&plan, &packer, left, inner = std::move(hooks.finished)](std::size_t job, const JobResult& result) {
    if (inner) inner(job, result);
    if (result.state == JobState::succeeded && --(*left)[plan.jobs[job].target] == 0)
      packer.start(plan.jobs[job].target);
  };
  return hooks;
}

}  // namespace

RunResult schedule(const Plan& plan, const ScheduleOptions& options, LayerPacker* packer, Services& services,
                   Terminal& terminal) {
  RunResult result;
  result.jobs.assign(plan.jobs.size(), JobResult{});
  bool any_to_run = false;
  for (std::size_t index = 0; index < plan.jobs.size(); ++index) {
    if (index < options.done.size() && options.done[index])
      result.jobs[index].state = JobState::succeeded;
    else
      any_to_run = true;
  }
  // Nothing to run: nothing to pack early either (packaging may find the last run's images).
  if (!any_to_run) {
    for (const JobPlan& job : plan.jobs)
      terminal.job_finished({job.platform, job.stage, job.label()}, "cached", 0, -1, "");
    return result;
  }
  SchedulerOptions scheduler;
  scheduler.jobs = options.jobs ? options.jobs : std::max(1u, uv_available_parallelism());
  scheduler.keep_going = options.keep_going;
  scheduler.handle_interrupts = true;
  scheduler.done = options.done;
  scheduler.hooks = packer ? pack_when_done(plan, options.done, options.hooks, *packer) : options.hooks;
  UvLoop loop;
  std::unique_ptr<ProcessRunner> runner = services.process_runner(loop.get(), options.containment);
  result = run_jobs(loop.get(), plan, *runner, terminal, scheduler);
  runner.reset();
  loop.run();
  return result;
}

}  // namespace xb

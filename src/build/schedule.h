// The schedule pass: the jobs not restored from the cache run on one uv loop, and each target's
// layer is packed as soon as its last job has succeeded, while the other targets still build.
#pragma once

#include <vector>

#include "build/run.h"
#include "package/package.h"
#include "run/scheduler.h"

namespace xb {

struct ScheduleOptions {
  unsigned jobs = 0;  // 0: the number of cores
  bool keep_going = false;
  std::vector<bool> done;                   // parallel to Plan::jobs: restored from the cache, not run
  JobHooks hooks;                           // the cache's
  StageContainment* containment = nullptr;  // the run's (exec/containment.h): stages die with it
};

// Catches SIGINT and SIGTERM while the jobs run (RunResult::interrupted says which). `packer`
// may be null (nothing packed early). With every job done, nothing runs and nothing is packed.
RunResult schedule(const Plan& plan, const ScheduleOptions& options, LayerPacker* packer, Services& services,
                   Terminal& terminal);

}  // namespace xb

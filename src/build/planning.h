// The plan pass: the catalogs, this machine's compilers and builders, and make_plan().
#pragma once

#include <map>
#include <string>

#include "build/run.h"
#include "plan/plan.h"

namespace xb {

struct RunInputs;

struct PlanRequest {
  const Config& config;
  std::filesystem::path state_dir;
  long long source_date_epoch = 0;
  std::map<std::string, std::string> index_annotations;
  std::map<std::string, std::string> unreachable_builders;  // reach_builders()
};

// Asks the compilers of every platform that may cross or build natively their version at once
// (each answer costs a process start; the finder remembers them for the plan's discovery, which
// asks one platform after another), then plans.
Plan plan_targets(const PlanRequest& request, Services& services, ToolFinder& finder);

// `xbuild run`'s plan: reaches the builders first (a line for each that cannot be reached, and
// whether its platforms build here instead), then plans.
Plan plan_run(const RunInputs& inputs, Services& services, ToolFinder& finder, Terminal& terminal);

// Throws (exit status 2) with the plan's matrix and what is missing, unless every target is ready.
void require_ready(const Plan& plan);

}  // namespace xb

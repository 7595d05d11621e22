// The plan pass: the catalogs, this machine's compilers and builders, and make_plan().
#pragma once

#include <map>
#include <string>

#include "build/run.h"
#include "build/trees.h"
#include "plan/plan.h"
#include "report/build_report.h"

namespace xb {

struct RunInputs;

struct PlanRequest {
  const Config& config;
  std::filesystem::path state_dir;
  long long source_date_epoch = 0;
  std::map<std::string, std::string> index_annotations;
  std::map<std::string, std::string> unreachable_builders;  // reach_builders()
  // Where the trees a config declares are resolved (tree_options()); null: none are.
  const TreeOptions* trees = nullptr;
  std::map<std::string, std::string> layout_annotations;  // the run's identity (build/shard.h)
};

// The trees' options of this run: the cache directory, the state directory, this machine's
// suite, mirror and registry settings, and the services' hooks.
TreeOptions tree_options(const std::filesystem::path& cache_dir, const std::filesystem::path& state_dir,
                         const registry::RegistryOptions& registry, const Services& services);

// Asks the compilers of every platform that may cross or build natively their version at once
// (each answer costs a process start; the finder remembers them for the plan's discovery, which
// asks one platform after another), then plans. When the config declares trees (packages, a
// rootfs made or pulled), the first plan says which targets need which, they are resolved into
// `*trees` (build/trees.h), and the targets are planned again with them.
Plan plan_targets(const PlanRequest& request, Services& services, ToolFinder& finder, ResolvedTrees* trees = nullptr);

// `xbuild run`'s plan: reaches the builders first (a line for each that cannot be reached, and
// whether its platforms build here instead), then plans; the trees' warnings are printed.
Plan plan_run(const RunInputs& inputs, const TreeOptions& tree_options, Services& services, ToolFinder& finder,
              Terminal& terminal, ResolvedTrees& trees);

// Throws (exit status 2) with the plan's matrix and what is missing, unless every target is ready.
void require_ready(const Plan& plan);

// --skip-unavailable: the targets this machine cannot build (a missing cross compiler, QEMU, a
// package, ...) leave the plan with their jobs; each is returned with its stages and why, to be
// reported skipped. Throws (exit status 2, the matrix) when no target is left.
std::vector<SkippedPlatform> leave_out_unavailable(Plan& plan);

// Each stage of the skipped platforms as a job that ended "skipped", in every --progress.
void say_skipped(const std::vector<SkippedPlatform>& skipped, Terminal& terminal);

}  // namespace xb

#include "build/planning.h"

#include <algorithm>

#include "build/inputs.h"
#include "debian/archive.h"
#include "emulate/qemu_catalog.h"
#include "emulate/rootfs.h"
#include "remote/builder.h"
#include "run/terminal.h"
#include "util/strings.h"
#include "util/thread_pool.h"

namespace xb {

namespace fs = std::filesystem;

namespace {

// The compilers not known yet, asked side by side.
void probe_compilers(const Config& config, const ToolchainCatalog& catalog, ToolFinder& finder) {
  std::vector<fs::path> unknown;
  for (const Platform& platform : config.platforms) {
    auto override_spec = config.overrides.find(platform.str());
    if (override_spec != config.overrides.end() && override_spec->second.strategy == Strategy::emulate) continue;
    const Toolchain* toolchain = catalog.find(platform);
    if (!toolchain || !toolchain->tools.count("CC")) continue;
    // A version the finder knows without asking (remembered from the last run) needs no thread:
    // starting one costs more than the lookup.
    std::optional<fs::path> compiler = finder.find_program(toolchain->tools.at("CC"));
    if (compiler && !finder.known_compiler_version(*compiler) &&
        std::find(unknown.begin(), unknown.end(), *compiler) == unknown.end())
      unknown.push_back(*compiler);
  }
  parallel_for(unknown.size(), unknown.size(), [&](std::size_t index) { finder.compiler_version(unknown[index]); });
}

// Whether a platform may cross with a toolchain whose binaries run under QEMU: only then is it
// worth asking whether stages can have binfmt_misc handlers of their own.
bool runs_binaries_under_qemu(const Config& config, const ToolchainCatalog& catalog) {
  return std::any_of(config.platforms.begin(), config.platforms.end(), [&](const Platform& platform) {
    const Toolchain* toolchain = catalog.find(platform);
    return toolchain && !toolchain->qemu_arch.empty() && !toolchain->runner.empty() &&
           starts_with(toolchain->runner.front(), "qemu-");
  });
}

// Whether the config declares anything build/trees.h resolves.
bool declares_trees(const Config& config) {
  if (!config.packages.packages.empty()) return true;
  return std::any_of(config.overrides.begin(), config.overrides.end(), [&](const auto& entry) {
    const PlatformOverride& override_spec = entry.second;
    return !override_spec.packages.empty() ||
           (override_spec.rootfs && (override_spec.rootfs->made_from_packages() ||
                                     is_rootfs_reference(override_spec.rootfs->location, config.directory)));
  });
}

}  // namespace

TreeOptions tree_options(const fs::path& cache_dir, const fs::path& state_dir,
                         const registry::RegistryOptions& registry, const Services& services) {
  TreeOptions options;
  options.cache_dir = cache_dir;
  options.state_dir = state_dir;
  options.host_suite = services.debian_suite.empty() ? debian::host_suite() : services.debian_suite;
  options.mirror = services.debian_mirror.empty() ? debian::default_mirror() : services.debian_mirror;
  options.http.http_client = services.http_client;
  options.registry = registry;
  options.missing_host_packages = services.missing_host_packages;
  options.make_command = services.make_tree_command;
  return options;
}

Plan plan_targets(const PlanRequest& request, Services& services, ToolFinder& finder, ResolvedTrees* trees) {
  Result<ToolchainCatalog> catalog = ToolchainCatalog::load(services.data_dir / "toolchains");
  if (!catalog) throw Error(catalog.error());
  Result<QemuCatalog> qemu = QemuCatalog::load(services.data_dir / "qemu");
  if (!qemu) throw Error(qemu.error());
  probe_compilers(request.config, catalog.value(), finder);
  PlanOptions options;
  options.state_dir = request.state_dir;
  options.source_date_epoch = request.source_date_epoch;
  options.host = services.host;
  options.qemu = &qemu.value();
  options.xbuild_binary = services.xbuild_binary;
  options.stage_binary = services.stage_program();
  options.root = services.root;
  options.firmware_dir = services.data_dir / "toolchains" / "firmware";
  options.index_annotations = request.index_annotations;
  options.layout_annotations = request.layout_annotations;
  options.unreachable_builders = request.unreachable_builders;
  if (request.trees) options.ccache_root = request.trees->cache_dir / "ccache";
  options.private_binfmt =
      services.private_binfmt && runs_binaries_under_qemu(request.config, catalog.value()) && services.private_binfmt();
  Plan plan = make_plan(request.config, catalog.value(), finder, options);
  if (!request.trees || !declares_trees(request.config)) return plan;
  ResolvedTrees resolved = resolve_trees(request.config, plan, *request.trees);
  add_trees(resolved, options);
  if (trees) *trees = std::move(resolved);
  return make_plan(request.config, catalog.value(), finder, options);
}

Plan plan_run(const RunInputs& inputs, const TreeOptions& tree_options, Services& services, ToolFinder& finder,
              Terminal& terminal, ResolvedTrees& trees) {
  PlanRequest request{inputs.config, inputs.state_dir, inputs.source_date_epoch, inputs.index_annotations, {}};
  request.unreachable_builders = reach_builders(inputs.config);
  request.trees = &tree_options;
  request.layout_annotations = inputs.layout_annotations;
  Plan plan = plan_targets(request, services, finder, &trees);
  for (const auto& [name, error] : request.unreachable_builders) {
    for (const TargetPlan& target : plan.targets) {
      const BuilderSpec* builder = builder_for(inputs.config, target.platform);
      if (!builder || builder->name != name) continue;
      std::string line = "xbuild: " + describe_builder(*builder) + " is unreachable: " + error + "; ";
      if (!builder->fallback_local) {
        line += target.platform.str() + " fails (fallback = \"local\" in [builder." + name +
                "] would build it here instead)";
      } else {
        line += "building " + target.platform.str() + " here instead (fallback = \"local\")";
        if (!target.problems.empty()) line += "; but here it cannot: " + join(target.problems, "; ");
      }
      terminal.output_line(line);
    }
  }
  return plan;
}

void require_ready(const Plan& plan) {
  if (plan.ready()) return;
  std::string message = "cannot build every platform:\n" + render_plan(plan);
  while (!message.empty() && message.back() == '\n') message.pop_back();
  throw Error(message, 2);
}

std::vector<SkippedPlatform> leave_out_unavailable(Plan& plan) {
  std::vector<SkippedPlatform> skipped;
  if (plan.ready()) return skipped;
  if (std::all_of(plan.targets.begin(), plan.targets.end(), [](const TargetPlan& t) { return !t.problems.empty(); })) {
    std::string message =
        "cannot build any platform here, so --skip-unavailable leaves nothing to build:\n" + render_plan(plan);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    throw Error(message, 2);
  }
  // The targets kept, renumbered; jobs only ever need jobs of their own target.
  std::vector<std::size_t> new_target(plan.targets.size(), SIZE_MAX);
  std::vector<TargetPlan> targets;
  for (std::size_t index = 0; index < plan.targets.size(); ++index) {
    TargetPlan& target = plan.targets[index];
    if (target.problems.empty()) {
      new_target[index] = targets.size();
      targets.push_back(std::move(target));
      continue;
    }
    SkippedPlatform skip{target.platform.str(),
                         strategy_name(target.strategy),
                         {},
                         join(target.problems, "; ") + "; left out by --skip-unavailable"};
    for (const JobPlan& job : plan.jobs)
      if (job.target == index) skip.stages.push_back(job.stage);
    skipped.push_back(std::move(skip));
  }
  std::vector<std::size_t> new_job(plan.jobs.size(), SIZE_MAX);
  std::vector<JobPlan> jobs;
  for (std::size_t index = 0; index < plan.jobs.size(); ++index) {
    if (new_target[plan.jobs[index].target] == SIZE_MAX) continue;
    new_job[index] = jobs.size();
    jobs.push_back(std::move(plan.jobs[index]));
    jobs.back().target = new_target[jobs.back().target];
  }
  for (JobPlan& job : jobs)
    for (std::size_t& need : job.needs) need = new_job[need];
  plan.targets = std::move(targets);
  plan.jobs = std::move(jobs);
  return skipped;
}

void say_skipped(const std::vector<SkippedPlatform>& skipped, Terminal& terminal) {
  for (const SkippedPlatform& platform : skipped)
    for (const std::string& stage : platform.stages)
      terminal.job_finished({platform.platform, stage, platform.platform + " " + stage}, "skipped", 0, -1,
                            platform.reason);
}

}  // namespace xb

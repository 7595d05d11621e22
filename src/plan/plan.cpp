// Planning picks, for every target platform, how it builds and what runs its binaries:
//   native  - the target is the host: the host's own toolchain, binaries run directly;
//   cross   - a toolchain file in toolchains/ names the target: its compilers in the stage
//             environment, binaries run through its runner (qemu-user with -L sysroot);
//   emulate - the stage runs chrooted inside a root filesystem of the target (`rootfs`), its
//             binaries run by QEMU through binfmt_misc;
//   bare metal (none/arm/<name>) - always crosses, with toolchains/firmware/<name>.toml;
//   a [builder.NAME] that declares the platform - native on that machine, over ssh.
// "auto" takes the first of native, cross, emulate that applies, and records why. Each of these
// is a planner (planner.h): make_plan() gives every target to its planner, then makes every
// stage of every target a job whose environment is the planner's base environment with the
// config's env layered on top (target-wide < platform override < stage < stage override), and
// lets the planner finish the job (wrap its command, say where it starts). Discovery results
// that stop a target are collected as problems naming the Debian packages to install.
#include "plan/plan.h"

#include <algorithm>

#include "plan/planner.h"
#include "remote/builder.h"

namespace xb {

namespace fs = std::filesystem;

std::vector<std::string> JobPlan::argv() const {
  std::vector<std::string> words = launcher;
  words.insert(words.end(), shell.begin(), shell.end());
  words.push_back(command);
  return words;
}

const std::vector<std::string>& base_environment() {
  static const std::vector<std::string> kNames = {
      "PATH",       "HOME",        "USER",      "LOGNAME",    "SHELL",       "TMPDIR",       "TERM",     "LANG",
      "LANGUAGE",   "LC_*",        "TZ",        "http_proxy", "https_proxy", "ftp_proxy",    "no_proxy", "all_proxy",
      "HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY",   "ALL_PROXY",   "SSH_AUTH_SOCK"};
  return kNames;
}

bool Plan::ready() const {
  return std::all_of(targets.begin(), targets.end(), [](const TargetPlan& t) { return t.problems.empty(); });
}

const PlatformOverride* override_of(const Config& config, const Platform& platform) {
  auto found = config.overrides.find(platform.str());
  return found == config.overrides.end() ? nullptr : &found->second;
}

fs::path meson_cross_path(const fs::path& state_dir, const Platform& platform) {
  return state_dir / "toolchains" / (platform.slug() + ".meson.ini");
}

fs::path cmake_toolchain_path(const fs::path& state_dir, const Platform& platform) {
  return state_dir / "toolchains" / (platform.slug() + ".cmake");
}

std::map<std::string, std::string> layer_environment(std::map<std::string, std::string> base, const Config& config,
                                                     const Platform& platform, const StageSpec& stage) {
  const PlatformOverride* override_spec = override_of(config, platform);
  if (override_spec)
    for (const auto& [key, value] : override_spec->env) base[key] = value;
  for (const auto& [key, value] : stage.env) base[key] = value;
  if (override_spec)
    if (auto it = override_spec->stages.find(stage.name); it != override_spec->stages.end())
      for (const auto& [key, value] : it->second.env) base[key] = value;
  return base;
}

namespace {

struct Resolution {
  Strategy strategy = Strategy::native;
  std::string reason;
  std::vector<std::string> problems;
};

Resolution resolve_strategy(const Platform& platform, Strategy requested, const Platform& host,
                            const Toolchain* toolchain) {
  bool is_host = platform == host;
  std::string name = platform.str();
  switch (requested) {
    case Strategy::automatic:
      if (is_host && toolchain) return {Strategy::native, "auto: the target is the host platform", {}};
      if (toolchain)
        return {Strategy::cross,
                "auto: cross toolchain " + toolchain->triple + " (toolchains/" + toolchain->id + ".toml)",
                {}};
      return {Strategy::emulate, "auto: no cross toolchain for " + name, {}};
    case Strategy::native: {
      Resolution native{Strategy::native, "requested in [platform.\"" + name + "\"]", {}};
      if (!is_host)
        native.problems.push_back("strategy \"native\" needs the target to be the host platform " + host.str() +
                                  "; use \"cross\" or \"auto\"");
      else if (!toolchain)
        native.problems.push_back("no toolchain in toolchains/ describes the host platform " + name);
      return native;
    }
    case Strategy::cross: {
      Resolution cross{Strategy::cross, "requested in [platform.\"" + name + "\"]", {}};
      if (!toolchain) cross.problems.push_back("no toolchain in toolchains/ builds " + name + "; use \"auto\"");
      return cross;
    }
    case Strategy::emulate:
      return {Strategy::emulate, "requested in [platform.\"" + name + "\"]", {}};
  }
  return {};
}

std::unique_ptr<TargetPlanner> choose_planner(PlanContext& context, const Platform& platform) {
  const Config& config = context.config;
  if (is_bare_metal(platform)) return make_bare_metal_planner(context);
  if (const BuilderSpec* builder = builder_for(config, platform)) {
    auto unreachable = context.options.unreachable_builders.find(builder->name);
    if (unreachable == context.options.unreachable_builders.end()) return make_remote_planner(context, *builder, {});
    if (!builder->fallback_local) return make_remote_planner(context, *builder, unreachable->second);
    // fallback = "local": planned as if no builder declared it
  }
  const PlatformOverride* override_spec = override_of(config, platform);
  Strategy requested = override_spec && override_spec->strategy ? *override_spec->strategy : Strategy::automatic;
  Resolution resolved = resolve_strategy(platform, requested, context.options.host, context.catalog.find(platform));
  if (resolved.strategy == Strategy::emulate) return make_emulate_planner(context, std::move(resolved.reason));
  return make_toolchain_planner(context, resolved.strategy, std::move(resolved.reason), std::move(resolved.problems));
}

}  // namespace

Plan make_plan(const Config& config, const ToolchainCatalog& catalog, ToolFinder& finder, const PlanOptions& options) {
  Plan plan;
  plan.state_dir = options.state_dir.empty() ? config.directory / ".xbuild" : options.state_dir;
  plan.source_date_epoch = options.source_date_epoch;
  plan.host = options.host;
  plan.index_annotations = options.index_annotations;
  plan.layout_annotations = options.layout_annotations;
  PlanContext context{config, catalog, finder, options, plan.state_dir, std::nullopt, std::nullopt};

  for (const Platform& platform : config.platforms) {
    TargetPlan target;
    target.platform = platform;
    target.output_dir = plan.state_dir / "out" / platform.slug();
    target.work_dir = plan.state_dir / "work" / platform.slug();
    if (const PlatformOverride* override_spec = override_of(config, platform)) {
      target.os_version = override_spec->os_version.value_or("");
      target.entrypoint = override_spec->entrypoint;
    }
    std::unique_ptr<TargetPlanner> planner = choose_planner(context, platform);
    planner->plan(target);
    if (auto found = options.problems.find(platform.str()); found != options.problems.end())
      target.problems.insert(target.problems.end(), found->second.begin(), found->second.end());
    std::map<std::string, std::string> base = planner->base_environment(target);

    std::size_t first_job = plan.jobs.size();
    const PlatformOverride* override_spec = override_of(config, platform);
    for (const StageSpec& stage : config.stages) {
      JobPlan job;
      job.target = plan.targets.size();
      job.platform = platform.str();
      job.stage = stage.name;
      job.command = stage.run;
      if (!stage.shell.empty()) job.shell = stage.shell;
      job.pass_env = stage.pass_env;
      job.inherit = base_environment();
      job.inherit.insert(job.inherit.end(), stage.pass_env.begin(), stage.pass_env.end());
      if (override_spec)
        if (auto it = override_spec->stages.find(stage.name); it != override_spec->stages.end() && it->second.run)
          job.command = *it->second.run;
      job.env = layer_environment(base, config, platform, stage);
      job.timeout_seconds = stage.timeout_seconds;
      job.keep = stage.keep;
      job.reports = stage.reports;
      job.log_file = plan.state_dir / "logs" / platform.slug() / (stage.name + ".log");
      job.working_directory = config.directory;
      for (const std::string& need : stage.needs)
        for (std::size_t s = 0; s < config.stages.size(); ++s)
          if (config.stages[s].name == need) job.needs.push_back(first_job + s);
      planner->finish_job(target, job);
      plan.jobs.push_back(std::move(job));
    }
    plan.targets.push_back(std::move(target));
  }
  return plan;
}

}  // namespace xb

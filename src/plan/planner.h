// Inside plan/: one planner per way of building a target (native or cross with a toolchain,
// emulate, bare metal, remote builder), behind one small interface. make_plan() picks the
// planner of each target, lets it fill in the target, layers the config's environment over the
// environment the planner starts from, and lets it finish each job.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "plan/plan.h"

namespace xb {

// What every planner reads: the config, the catalogs, this machine, the options.
struct PlanContext {
  const Config& config;
  const ToolchainCatalog& catalog;
  ToolFinder& finder;
  const PlanOptions& options;
  std::filesystem::path state_dir;
  // toolchains/firmware/, read when the first bare-metal target is planned.
  std::optional<Result<std::vector<firmware::Target>>> firmware_targets;
  // Whether the project compiles C++ (requirements.cpp), found out when first asked.
  std::optional<bool> compiles_cxx;
};

class TargetPlanner {
 public:
  virtual ~TargetPlanner() = default;
  // Everything about the target but its jobs: strategy, reason, toolchain, problems, files.
  // `target` comes with its platform, output directory and image settings filled in.
  virtual void plan(TargetPlan& target) = 0;
  // The environment the target's stages start from; the config's env goes on top of it.
  virtual std::map<std::string, std::string> base_environment(const TargetPlan& target) const = 0;
  // The job as it runs on this machine: `job` comes with the stage's command and its layered
  // environment; the planner wraps the command (in the sandbox, over ssh) and says where it starts.
  virtual void finish_job(const TargetPlan& target, JobPlan& job) const = 0;
};

// native or cross with the toolchain of toolchains/: `strategy` is resolved already (plan.cpp:
// auto takes native > cross > emulate), `reason` says why, `problems` what resolving found wrong.
std::unique_ptr<TargetPlanner> make_toolchain_planner(PlanContext& context, Strategy strategy, std::string reason,
                                                      std::vector<std::string> problems);
std::unique_ptr<TargetPlanner> make_emulate_planner(PlanContext& context, std::string reason);
std::unique_ptr<TargetPlanner> make_bare_metal_planner(PlanContext& context);
// `unreachable`: why the builder could not be reached (its jobs then fail saying so).
std::unique_ptr<TargetPlanner> make_remote_planner(PlanContext& context, const BuilderSpec& builder,
                                                   std::optional<std::string> unreachable);

// The config's environment of `stage` on `platform` over `base`: base < [platform.X] env <
// [stage.S] env < [platform.X.stage.S] env.
std::map<std::string, std::string> layer_environment(std::map<std::string, std::string> base, const Config& config,
                                                     const Platform& platform, const StageSpec& stage);

// Where a crossing target's generated files go: <state dir>/toolchains/<slug>.meson.ini, .cmake.
std::filesystem::path meson_cross_path(const std::filesystem::path& state_dir, const Platform& platform);
std::filesystem::path cmake_toolchain_path(const std::filesystem::path& state_dir, const Platform& platform);

// What the target's stages need of this machine besides the toolchain's C compiler
// (requirements.cpp): the C++ compiler when the project compiles C++, and the build tools the
// stages' commands name. What is missing becomes a problem that names its package.
void check_requirements(PlanContext& context, const Toolchain& toolchain, TargetPlan& target);

// [targets] ccache for the target (requirements.cpp): its ccache directory and remote storage
// when ccache is on for it; `host_tool`: the compiles run on this machine, whose ccache must
// then be there (a problem naming the package when it is not).
void plan_ccache(PlanContext& context, TargetPlan& target, bool host_tool = true);
// The words in front of the target's compilers in its cross files: ccache, or none.
std::vector<std::string> compiler_launcher(const TargetPlan& target);

// The binary a stage's `__sandbox` or `__binfmt` launcher starts: PlanOptions::stage_binary, else
// "xbuild" (found on PATH).
std::filesystem::path stage_binary(const PlanOptions& options);

// [platform.X] of `platform`, or nullptr.
const PlatformOverride* override_of(const Config& config, const Platform& platform);

}  // namespace xb

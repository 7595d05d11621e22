// native and cross: the target's toolchain file from toolchains/, discovered on this machine (a
// missing compiler, C library or runner is a problem naming its package). A cross target runs
// its binaries through the toolchain's runner (XBUILD_EXEC), gets a Meson cross file and a CMake
// toolchain file, and the runner's one-time setup when the toolchain declares one (wine).
#include "plan/planner.h"
#include "toolchain/cross_files.h"
#include "toolchain/environment.h"

namespace xb {

namespace fs = std::filesystem;

namespace {

class ToolchainPlanner final : public TargetPlanner {
 public:
  ToolchainPlanner(PlanContext& context, Strategy strategy, std::string reason, std::vector<std::string> problems)
      : context_(context), strategy_(strategy), reason_(std::move(reason)), problems_(std::move(problems)) {}

  void plan(TargetPlan& target) override {
    target.strategy = strategy_;
    target.reason = reason_;
    target.problems = problems_;
    const Toolchain* toolchain = context_.catalog.find(target.platform);
    if (!toolchain) return;
    target.toolchain = *toolchain;
    target.status = discover(*toolchain, context_.finder);
    for (const std::string& missing : target.status.missing) target.problems.push_back("missing " + missing);
    target.exec_prefix = exec_prefix(*toolchain, strategy_);
    if (strategy_ != Strategy::cross) return;
    target.files.push_back(
        {meson_cross_path(context_.state_dir, target.platform), meson_cross_file(*toolchain, target.exec_prefix)});
    target.files.push_back({cmake_toolchain_path(context_.state_dir, target.platform),
                            cmake_toolchain_file(*toolchain, target.exec_prefix)});
    if (!toolchain->runner_setup.command.empty())
      target.runner_setup = RunnerSetup{toolchain->runner_setup.command,
                                        expand_state_dir(toolchain->runner_setup.creates, context_.state_dir)};
  }

  std::map<std::string, std::string> base_environment(const TargetPlan& target) const override {
    const Config& config = context_.config;
    if (!target.toolchain)
      return {{"XBUILD_PLATFORM", target.platform.str()},
              {"XBUILD_SRC", config.directory.string()},
              {"XBUILD_OUT", target.output_dir.string()}};
    StageEnvironmentInput input;
    input.target = target.platform;
    input.build = context_.options.host;
    input.strategy = target.strategy;
    input.toolchain = &*target.toolchain;
    input.source_dir = config.directory;
    input.output_dir = target.output_dir;
    if (target.strategy == Strategy::cross) {
      input.meson_cross_file = meson_cross_path(context_.state_dir, target.platform);
      input.cmake_toolchain_file = cmake_toolchain_path(context_.state_dir, target.platform);
    }
    input.state_dir = context_.state_dir;
    input.source_date_epoch = context_.options.source_date_epoch;
    return stage_environment(input);
  }

  void finish_job(const TargetPlan&, JobPlan&) const override {}

 private:
  PlanContext& context_;
  Strategy strategy_;
  std::string reason_;
  std::vector<std::string> problems_;
};

}  // namespace

std::unique_ptr<TargetPlanner> make_toolchain_planner(PlanContext& context, Strategy strategy, std::string reason,
                                                      std::vector<std::string> problems) {
  return std::make_unique<ToolchainPlanner>(context, strategy, std::move(reason), std::move(problems));
}

}  // namespace xb

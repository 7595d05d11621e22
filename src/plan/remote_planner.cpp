// A platform that a [builder.NAME] declares is built natively on that machine (remote/builder.h
// says how): no toolchain here and nothing to discover. The stage's environment on the builder
// is the config's env over a native build's (CC=cc, CXX=c++, no XBUILD_EXEC), layered like every
// other target's; the job that runs here is the script that copies, runs over ssh and copies
// back, with only what that script reads in its own environment. A builder that could not be
// reached (and has no fallback) makes each job fail with a message naming it.
#include "plan/planner.h"
#include "remote/builder.h"

namespace xb {

namespace {

class RemotePlanner final : public TargetPlanner {
 public:
  RemotePlanner(PlanContext& context, const BuilderSpec& builder, std::optional<std::string> unreachable)
      : context_(context), builder_(builder), unreachable_(std::move(unreachable)) {}

  void plan(TargetPlan& target) override {
    target.builder = builder_.name;
    target.builder_unreachable = unreachable_.value_or("");
    target.strategy = Strategy::native;
    target.reason = "[builder." + builder_.name + "] declares it: native on " + builder_.ssh;
  }

  // The environment on the builder.
  std::map<std::string, std::string> base_environment(const TargetPlan& target) const override {
    return {{"XBUILD_PLATFORM", target.platform.str()},
            {"SOURCE_DATE_EPOCH", std::to_string(context_.options.source_date_epoch)},
            {"XBUILD_EXEC", ""},
            {"CC", "cc"},
            {"CXX", "c++"}};
  }

  void finish_job(const TargetPlan& target, JobPlan& job) const override {
    if (unreachable_) {
      job.command = failing_script("xbuild: " + describe_builder(builder_) + " is unreachable: " + *unreachable_);
    } else {
      job.command = remote_stage_script(context_.config, builder_, target.platform, job.env, job.shell, job.command,
                                        context_.state_dir / "builders" / builder_.name);
    }
    job.shell = {"/bin/sh", "-c"};  // the script checks each step's status itself
    job.env = {{"XBUILD_PLATFORM", target.platform.str()},
               {"XBUILD_SRC", context_.config.directory.string()},
               {"XBUILD_OUT", target.output_dir.string()}};
  }

 private:
  PlanContext& context_;
  const BuilderSpec& builder_;
  std::optional<std::string> unreachable_;
};

}  // namespace

std::unique_ptr<TargetPlanner> make_remote_planner(PlanContext& context, const BuilderSpec& builder,
                                                   std::optional<std::string> unreachable) {
  return std::make_unique<RemotePlanner>(context, builder, std::move(unreachable));
}

}  // namespace xb

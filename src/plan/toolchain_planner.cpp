// native and cross: the target's toolchain file from toolchains/, discovered on this machine (a
// missing compiler, C library or runner is a problem naming its package), and the tools its
// stages name (requirements.cpp). A cross target gets a Meson cross file and a CMake toolchain
// file, the runner's one-time setup when the toolchain declares one (wine), its sysroot when the
// config names Debian packages for it, and, when the runner is QEMU, a way for its binaries to
// run by their path:
//   - a binfmt_misc instance of the stage's own (`xbuild-stage __binfmt`, Linux >= 6.7): nothing on the
//     host changes, no root needed;
//   - else the host's handler, which the run registers (root) - but not for linux/386, whose
//     handler would take every i386 program of the machine;
//   - else none: only $XBUILD_EXEC runs them, and the plan says how to change that.
// Either way QEMU loads the binaries' libraries from the target's own (QEMU_LD_PREFIX): its
// sysroot, or a prefix over its cross C library with an empty ld.so.cache (else an i386 guest
// reads the host's cache and loads the host's 32-bit libc).
#include "emulate/binfmt.h"
#include "emulate/private_binfmt.h"
#include "emulate/qemu_catalog.h"
#include "plan/planner.h"
#include "toolchain/ccache.h"
#include "toolchain/cross_files.h"
#include "toolchain/environment.h"
#include "util/strings.h"

namespace xb {

namespace fs = std::filesystem;

namespace {

bool runs_under_qemu(const Toolchain& toolchain) {
  return !toolchain.qemu_arch.empty() && !toolchain.runner.empty() && starts_with(toolchain.runner[0], "qemu-");
}

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
    check_requirements(context_, *toolchain, target);
    plan_ccache(context_, target);
    if (auto missing = context_.options.missing_host_packages.find(target.platform.str());
        missing != context_.options.missing_host_packages.end() && !missing->second.empty()) {
      // A native build uses this machine's own libraries: the packages must be installed here.
      target.problems.push_back("builds natively with this machine's libraries, which lack " +
                                join(missing->second, ", ") + " (declared in [targets] or [platform.\"" +
                                target.platform.str() + "\"] packages)");
      for (const std::string& package : missing->second) target.status.missing_packages.push_back(package);
    }
    if (strategy_ != Strategy::cross) {
      target.exec_prefix = exec_prefix(*toolchain, strategy_);
      return;
    }
    if (auto sysroot = context_.options.sysroots.find(target.platform.str());
        sysroot != context_.options.sysroots.end()) {
      target.sysroot = sysroot->second.dir;
      target.sysroot_description = sysroot->second.description;
    }
    if (runs_under_qemu(*toolchain)) plan_binaries(*toolchain, target);
    target.exec_prefix = exec_prefix(*toolchain, strategy_, ld_prefix(target));
    target.files.push_back({meson_cross_path(context_.state_dir, target.platform),
                            meson_cross_file(*toolchain, target.exec_prefix, target.sysroot, compiler_launcher(target)),
                            {}});
    target.files.push_back(
        {cmake_toolchain_path(context_.state_dir, target.platform),
         cmake_toolchain_file(*toolchain, target.exec_prefix, target.sysroot, compiler_launcher(target)),
         {}});
    if (target.binaries && target.sysroot.empty()) {
      // The prefix over the cross C library: its lib/ and an empty ld.so.cache.
      const fs::path& prefix = target.binaries->ld_prefix;
      target.files.push_back({prefix / "lib", "", fs::path(toolchain->sysroot) / "lib"});
      target.files.push_back({prefix / "etc" / "ld.so.cache", "", {}});
    }
    if (!toolchain->runner_setup.command.empty())
      target.runner_setup = RunnerSetup{toolchain->runner_setup.command,
                                        expand_state_dir(toolchain->runner_setup.creates, context_.state_dir)};
  }

  std::map<std::string, std::string> base_environment(const TargetPlan& target) const override {
    const Config& config = context_.config;
    if (!target.toolchain)
      return {{"XBUILD_PLATFORM", target.platform.str()},
              {"XBUILD_SRC", config.directory.string()},
              {"XBUILD_OUT", target.output_dir.string()},
              {"XBUILD_WORK", target.work_dir.string()}};
    StageEnvironmentInput input;
    input.target = target.platform;
    input.build = context_.options.host;
    if (const Toolchain* host = context_.catalog.find(context_.options.host)) input.build_triple = host->triple;
    input.strategy = target.strategy;
    input.toolchain = &*target.toolchain;
    input.roots = {target.sysroot, ld_prefix(target)};
    input.source_dir = config.directory;
    input.output_dir = target.output_dir;
    input.work_dir = target.work_dir;
    if (target.strategy == Strategy::cross) {
      input.meson_cross_file = meson_cross_path(context_.state_dir, target.platform);
      input.cmake_toolchain_file = cmake_toolchain_path(context_.state_dir, target.platform);
    }
    input.state_dir = context_.state_dir;
    input.source_date_epoch = context_.options.source_date_epoch;
    std::map<std::string, std::string> env = stage_environment(input);
    if (target.ccache) add_ccache_environment(env, {target.ccache->dir, config.directory, target.ccache->remote});
    return env;
  }

  // With a binfmt_misc instance of the stage's own, the stage runs as `xbuild-stage __binfmt ... --`.
  void finish_job(const TargetPlan& target, JobPlan& job) const override {
    if (!target.binaries || target.binaries->handler != TargetBinaries::Handler::private_instance) return;
    job.launcher = private_binfmt_launcher(stage_binary(context_.options), {target.binaries->register_line});
  }

 private:
  // A handler on the host that runs `arch`'s binaries inside chroots and namespaces too (F flag).
  static bool host_handler(const QemuArch& arch) {
    BinfmtOptions binfmt;
    std::vector<BinfmtEntry> handlers = list_handlers(binfmt);
    std::optional<BinfmtEntry> handler = own_handler(arch, handlers, binfmt);
    if (!handler) handler = foreign_handler(arch, handlers, binfmt);
    return handler && handler->enabled && handler->flags.find('F') != std::string::npos;
  }

  static fs::path ld_prefix(const TargetPlan& target) {
    return target.binaries ? target.binaries->ld_prefix : fs::path();
  }

  void plan_binaries(const Toolchain& toolchain, TargetPlan& target) {
    TargetBinaries binaries;
    binaries.qemu_arch = toolchain.qemu_arch;
    binaries.ld_prefix =
        target.sysroot.empty() ? context_.state_dir / "qemu-prefix" / target.platform.slug() : target.sysroot;
    const QemuArch* arch = context_.options.qemu ? context_.options.qemu->find_arch(toolchain.qemu_arch) : nullptr;
    const std::string name = target.platform.str();
    if (!arch) {
      target.notes.push_back("no qemu/" + toolchain.qemu_arch + ".toml: " + name +
                             " binaries run only through $XBUILD_EXEC, not by their path");
    } else if (context_.options.private_binfmt) {
      binaries.handler = TargetBinaries::Handler::private_instance;
      binaries.register_line = register_line(*arch, "qemu-" + arch->arch);
    } else if (target.platform.architecture == "386") {
      target.notes.push_back(name +
                             " binaries run natively, with the host's i386 libraries: this kernel cannot give a "
                             "stage binfmt_misc handlers of its own (Linux 6.7 or later can), and a host handler "
                             "for i386 would take every i386 program on this machine");
    } else if (context_.options.root || host_handler(*arch)) {
      binaries.handler = TargetBinaries::Handler::host;  // registered by the run, or there already
    } else {
      target.notes.push_back(name +
                             " binaries run only through $XBUILD_EXEC, not by their path (ctest, make check): "
                             "this kernel cannot give a stage binfmt_misc handlers of its own (Linux 6.7 or later "
                             "can) and xbuild is not root; register the handler once: sudo xbuild binfmt install "
                             "--persistent --arch " +
                             toolchain.qemu_arch);
    }
    target.binaries = std::move(binaries);
  }

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

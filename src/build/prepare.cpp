#include "build/prepare.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <set>

#include "emulate/binfmt.h"
#include "emulate/qemu_catalog.h"
#include "emulate/rootfs.h"
#include "remote/builder.h"
#include "run/terminal.h"
#include "util/probe.h"
#include "util/strings.h"
#include "util/thread_pool.h"

namespace xb {

namespace fs = std::filesystem;

std::set<std::string> running_platforms(const Plan& plan, const std::vector<bool>& cached) {
  std::set<std::string> running;
  for (std::size_t index = 0; index < plan.jobs.size(); ++index)
    if (index >= cached.size() || !cached[index]) running.insert(plan.targets[plan.jobs[index].target].platform.str());
  return running;
}

void unpack_root_filesystems(const Plan& plan, const std::set<std::string>& running, Terminal& terminal) {
  std::set<fs::path> unpacked;
  for (const TargetPlan& target : plan.targets) {
    if (!target.emulation || !running.count(target.platform.str())) continue;
    const EmulationPlan& emulation = *target.emulation;
    if (emulation.rootfs_layers.empty() || unpacked.count(emulation.rootfs)) continue;
    unpacked.insert(emulation.rootfs);
    RootfsPlan rootfs{emulation.rootfs, emulation.rootfs_image, emulation.rootfs_layers};
    Result<bool> done = ensure_rootfs(rootfs);
    if (!done) throw Error("cannot unpack the root filesystem of " + target.platform.str() + ": " + done.error());
    terminal.output_line("xbuild: rootfs of " + target.platform.str() + ": " +
                         (done.value() ? "unpacked " : "reusing ") + emulation.rootfs_image + " in " +
                         emulation.rootfs.string());
  }
}

void register_handlers(const Plan& plan, const fs::path& data_dir, Terminal& terminal) {
  std::set<std::string> needed;
  for (const TargetPlan& target : plan.targets) {
    // A crossing target whose binaries run by their path through the host's handler.
    if (target.binaries && target.binaries->handler == TargetBinaries::Handler::host)
      needed.insert(target.binaries->qemu_arch);
    if (target.emulation && !target.emulation->qemu_arch.empty()) needed.insert(target.emulation->qemu_arch);
  }
  if (needed.empty()) return;
  Result<QemuCatalog> catalog = QemuCatalog::load(data_dir / "qemu");
  if (!catalog) throw Error(catalog.error());
  BinfmtOptions binfmt;
  for (const std::string& name : needed) {
    const QemuArch* arch = catalog.value().find_arch(name);
    if (!arch) throw Error("no qemu/" + name + ".toml");
    Result<std::string> done = install_handler(*arch, false, binfmt);
    if (!done) throw Error("cannot register the binfmt_misc handler the build needs: " + done.error());
    terminal.output_line("xbuild: binfmt_misc: " + done.value());
    std::optional<BinfmtEntry> theirs = foreign_handler(*arch, list_handlers(binfmt), binfmt);
    if (theirs && !own_handler(*arch, list_handlers(binfmt), binfmt) && theirs->flags.find('F') == std::string::npos)
      throw Error(
          "the binfmt_misc handler " + theirs->name + " (not xbuild's) runs " + name +
          " binaries without the F flag, so they cannot run inside a chroot or namespace; remove it (echo -1 > " +
          (binfmt.root / theirs->name).string() + ") and run again: xbuild then registers its own");
  }
}

void reset_builders(const Config& config, const Plan& plan, const KeptState& state, Terminal& terminal) {
  for (std::size_t target = 0; target < plan.targets.size(); ++target) {
    if (plan.targets[target].builder.empty() || !plan.targets[target].builder_unreachable.empty()) continue;
    std::vector<const KeptDirectory*> running;
    std::vector<RemoteKept> kept;
    std::set<std::string> names;
    for (const KeptDirectory& directory : state.kept) {
      if (plan.jobs[directory.job].target != target) continue;
      names.insert(fs::path(directory.path).begin()->string());
      if (directory.job < state.cached.size() && state.cached[directory.job]) continue;
      running.push_back(&directory);
      kept.push_back(
          {directory.path, directory.record.filename().string(), record_text(directory), !state.clean.empty()});
    }
    Result<std::map<std::string, std::optional<std::string>>> wiped =
        reset_builder(config, plan.targets[target].platform, kept, names);
    if (!wiped) throw Error(wiped.error());
    for (const KeptDirectory* directory : running) {
      auto found = wiped.value().find(directory->record.filename().string());
      if (found == wiped.value().end()) continue;
      KeepDecision decision = decide(*directory, true, found->second, state.clean);
      terminal.output_line(fmt::format("xbuild: {}: $XBUILD_WORK/{} wiped on builder {}: {}",
                                       plan.jobs[directory->job].label(), directory->path, plan.targets[target].builder,
                                       decision.why));
    }
  }
}

void set_up_runners(const Plan& plan, const std::vector<bool>& done, Terminal& terminal) {
  struct Setup {
    const TargetPlan* target = nullptr;
    const JobPlan* job = nullptr;  // its first job to run: the setup gets its environment
    fs::path log;
    Result<CommandExit> exit = fail("not run");
  };
  std::vector<Setup> setups;
  std::vector<bool> chosen(plan.targets.size(), false);
  for (std::size_t index = 0; index < plan.jobs.size(); ++index) {
    const JobPlan& job = plan.jobs[index];
    const TargetPlan& target = plan.targets[job.target];
    std::error_code error;
    if ((index < done.size() && done[index]) || chosen[job.target] || !target.runner_setup ||
        fs::exists(target.runner_setup->creates, error))
      continue;
    chosen[job.target] = true;
    setups.push_back({&target, &job, job.log_file.parent_path() / "runner-setup.log"});
  }
  for (const Setup& setup : setups)
    terminal.output_line(fmt::format("xbuild: {}: setting up {} once for this state directory: {} (log: {})",
                                     setup.target->platform.str(),
                                     setup.target->exec_prefix.empty() ? "the runner" : setup.target->exec_prefix[0],
                                     shell_join(setup.target->runner_setup->command), setup.log.string()));
  parallel_for(setups.size(), setups.size(), [&](std::size_t index) {
    Setup& setup = setups[index];
    std::error_code error;
    fs::create_directories(setup.log.parent_path(), error);
    fs::create_directories(setup.target->runner_setup->creates.parent_path(), error);  // wine wants it to exist
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> log(std::fopen(setup.log.c_str(), "w"), &std::fclose);
    if (!log) {
      setup.exit = fail(fmt::format("cannot write {}: {}", setup.log.string(), std::strerror(errno)));
      return;
    }
    CommandOptions options;
    options.env = setup.job->env;
    options.on_line = [&log](std::string_view line) {
      std::fprintf(log.get(), "%.*s\n", static_cast<int>(line.size()), line.data());
    };
    setup.exit = run_sync(setup.target->runner_setup->command, options);
  });
  for (const Setup& setup : setups) {
    const std::string platform = setup.target->platform.str();
    if (!setup.exit) throw Error(fmt::format("{}: cannot set up the runner: {}", platform, setup.exit.error()));
    const CommandExit& exit = setup.exit.value();
    if (exit.success()) continue;
    throw Error(fmt::format(
        "{}: {} failed ({}); its output is in {}", platform, shell_join(setup.target->runner_setup->command),
        exit.term_signal ? fmt::format("signal {}", exit.term_signal) : fmt::format("exit status {}", exit.exit_status),
        setup.log.string()));
  }
}

}  // namespace xb

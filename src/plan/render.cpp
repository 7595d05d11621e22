// `xbuild plan`: the matrix (platform, strategy, toolchain, what runs its binaries), why each
// strategy was chosen, the stages, and what is missing with the packages to install.
#include <algorithm>

#include "plan/plan.h"
#include "util/strings.h"

namespace xb {

std::string toolchain_cell(const TargetPlan& target) {
  if (!target.builder.empty()) return "builder " + target.builder;
  if (target.emulation) return target.emulation->rootfs.empty() ? "-" : "rootfs " + target.emulation->rootfs.string();
  if (!target.toolchain) return "-";
  std::string cell = target.toolchain->tools.count("CC") ? target.toolchain->tools.at("CC") : target.toolchain->triple;
  if (!target.status.compiler_version.empty()) cell += " " + target.status.compiler_version;
  return cell;
}

std::string runner_cell(const TargetPlan& target) {
  if (!target.builder.empty()) return "builder " + target.builder;
  if (target.emulation)
    return target.emulation->qemu_interpreter.empty()
               ? "-"
               : "QEMU via binfmt_misc (" + target.emulation->qemu_interpreter.filename().string() + ")";
  if (target.firmware)
    return "qemu-system-arm -M " + target.firmware->target.machine + " -cpu " + target.firmware->target.cpu +
           " (xbuild firmware test)";
  if (!target.exec_prefix.empty()) return shell_join(target.exec_prefix);
  return target.toolchain ? "the host (directly)" : "-";
}

std::string render_plan(const Plan& plan) {
  std::vector<std::vector<std::string>> rows = {{"PLATFORM", "STRATEGY", "TOOLCHAIN", "RUNS TARGET BINARIES WITH"}};
  for (const TargetPlan& target : plan.targets)
    rows.push_back(
        {target.platform.str(), strategy_name(target.strategy), toolchain_cell(target), runner_cell(target)});
  std::string out = render_columns(rows);

  out += "\nwhy:\n";
  for (const TargetPlan& target : plan.targets) out += "  " + target.platform.str() + ": " + target.reason + "\n";

  std::string by_path, notes, libraries, roots;
  for (const TargetPlan& target : plan.targets) {
    for (const std::string& note : target.notes) notes += "  " + target.platform.str() + ": " + note + "\n";
    if (!target.sysroot_description.empty())
      libraries +=
          "  " + target.platform.str() + ": " + target.sysroot_description + ", in " + target.sysroot.string() + "\n";
    if (target.emulation && !target.emulation->rootfs_description.empty())
      roots += "  " + target.platform.str() + ": " + target.emulation->rootfs_description + ", in " +
               target.emulation->rootfs.string() + "\n";
    if (!target.binaries || target.binaries->handler == TargetBinaries::Handler::none) continue;
    by_path += "  " + target.platform.str() + ": QEMU through " +
               (target.binaries->handler == TargetBinaries::Handler::private_instance
                    ? "a binfmt_misc handler of the stage's own"
                    : "the host's binfmt_misc handler") +
               ", libraries from " + target.binaries->ld_prefix.string() + "\n";
  }
  if (!libraries.empty()) out += "\ntarget libraries (a sysroot of Debian packages):\n" + libraries;
  if (!roots.empty())
    out += "\nroot filesystems (never written: each emulated stage runs on an overlay of its own):\n" + roots;
  if (!by_path.empty()) out += "\ntarget binaries run by their path (ctest, make check):\n" + by_path;
  if (!notes.empty()) out += "\nnotes:\n" + notes;

  std::string stages;
  for (const JobPlan& job : plan.jobs) {
    if (job.target != 0) break;
    std::vector<std::string> needs;
    for (std::size_t n : job.needs) needs.push_back(plan.jobs[n].stage);
    stages += "  " + job.stage + (needs.empty() ? "" : " (needs " + join(needs, ", ") + ")") +
              (job.keep.empty() ? "" : " keeps $XBUILD_WORK/" + join(job.keep, ", $XBUILD_WORK/")) + "\n";
  }
  if (!stages.empty()) out += "\nstages, on every platform:\n" + stages;

  std::vector<std::string> packages;
  std::string problems;
  for (const TargetPlan& target : plan.targets) {
    for (const std::string& problem : target.problems) problems += "  " + target.platform.str() + ": " + problem + "\n";
    for (const std::string& package : target.status.missing_packages)
      if (std::find(packages.begin(), packages.end(), package) == packages.end()) packages.push_back(package);
  }
  if (!problems.empty()) {
    out += "\nmissing:\n" + problems;
    if (!packages.empty()) out += "  to install: apt-get install --no-install-recommends " + join(packages, " ") + "\n";
  }
  return out;
}

}  // namespace xb

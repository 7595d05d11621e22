// `xbuild binfmt status|install|uninstall`, and the step of `xbuild run` that registers the
// binfmt_misc handlers an emulated build needs before any job starts.
#include <cstdio>
#include <set>

#include "cli/commands.h"
#include "emulate/binfmt.h"
#include "emulate/qemu_catalog.h"
#include "emulate/rootfs.h"
#include "plan/plan.h"
#include "run/terminal.h"
#include "toolchain/toolchain.h"
#include "util/strings.h"

namespace xb {

namespace {

// The catalog entries named by "--arch aarch64,riscv64" or "all".
std::vector<const QemuArch*> select_arches(const QemuCatalog& catalog, const std::string& list) {
  std::vector<const QemuArch*> selected;
  if (list == "all") {
    for (const QemuArch& arch : catalog.all()) selected.push_back(&arch);
    return selected;
  }
  std::vector<std::string> known;
  for (const QemuArch& arch : catalog.all()) known.push_back(arch.arch);
  for (const std::string& raw : split(list, ',')) {
    std::string name(trim(raw));
    const QemuArch* arch = catalog.find_arch(name);
    if (!arch) {
      std::string hint = closest_match(name, known);
      throw Error("unknown architecture \"" + name + "\" in --arch" +
                      (hint.empty() ? "" : "; did you mean \"" + hint + "\"?") + " (known: " + join(known, ", ") +
                      ", or all)",
                  2);
    }
    selected.push_back(arch);
  }
  return selected;
}

}  // namespace

QemuCatalog load_qemu_catalog() {
  Result<QemuCatalog> catalog = QemuCatalog::load(data_directory() / "qemu");
  if (!catalog) throw Error(catalog.error());
  return std::move(catalog).value();
}

int binfmt_command(const BinfmtCommandOptions& options) {
  QemuCatalog catalog = load_qemu_catalog();
  BinfmtOptions binfmt;
  if (options.action == "status") {
    std::fputs(render_binfmt_status(catalog, binfmt).c_str(), stdout);
    return 0;
  }
  std::vector<const QemuArch*> arches = select_arches(catalog, options.arches);
  if (root_problem("binfmt_misc"))
    throw Error("xbuild binfmt " + options.action +
                    " needs root (binfmt_misc handlers are system-wide); run: sudo xbuild binfmt " + options.action +
                    " --arch " + options.arches,
                1);
  int status = 0;
  for (const QemuArch* arch : arches) {
    Result<std::string> done = options.action == "install" ? install_handler(*arch, options.persistent, binfmt)
                                                           : uninstall_handler(*arch, binfmt);
    if (done) {
      std::printf("%s\n", done.value().c_str());
    } else {
      std::fprintf(stderr, "xbuild: error: %s\n", done.error().c_str());
      status = 1;
    }
  }
  return status;
}

void prepare_emulation(const Plan& plan, Terminal& terminal) {
  std::set<std::string> needed;
  std::set<std::filesystem::path> unpacked;
  for (const TargetPlan& target : plan.targets) {
    if (target.strategy != Strategy::emulate) continue;
    if (!target.qemu_arch.empty()) needed.insert(target.qemu_arch);
    if (target.rootfs_layers.empty() || unpacked.count(target.rootfs)) continue;
    unpacked.insert(target.rootfs);
    RootfsPlan rootfs{target.rootfs, target.rootfs_image, target.rootfs_layers};
    Result<bool> done = ensure_rootfs(rootfs);
    if (!done) throw Error("cannot unpack the root filesystem of " + target.platform.str() + ": " + done.error());
    terminal.output_line("xbuild: rootfs of " + target.platform.str() + ": " +
                         (done.value() ? "unpacked " : "reusing ") + target.rootfs_image + " in " +
                         target.rootfs.string());
  }
  if (needed.empty()) return;
  QemuCatalog catalog = load_qemu_catalog();
  BinfmtOptions binfmt;
  for (const std::string& name : needed) {
    const QemuArch* arch = catalog.find_arch(name);
    if (!arch) throw Error("no qemu/" + name + ".toml");
    Result<std::string> done = install_handler(*arch, false, binfmt);
    if (!done) throw Error("cannot register the binfmt_misc handler an emulated build needs: " + done.error());
    terminal.output_line("xbuild: binfmt_misc: " + done.value());
    std::optional<BinfmtEntry> theirs = foreign_handler(*arch, list_handlers(binfmt), binfmt);
    if (theirs && !own_handler(*arch, list_handlers(binfmt), binfmt) && theirs->flags.find('F') == std::string::npos)
      throw Error("the binfmt_misc handler " + theirs->name + " (not xbuild's) runs " + name +
                  " binaries without the F flag, so they cannot run inside the chroot; remove it (echo -1 > " +
                  (binfmt.root / theirs->name).string() + ") and run again: xbuild then registers its own");
  }
}

}  // namespace xb

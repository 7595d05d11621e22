// `xbuild binfmt status|install|uninstall`.
#include <cstdio>

#include "cli/commands.h"
#include "emulate/binfmt.h"
#include "emulate/qemu_catalog.h"
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

int binfmt_command(const BinfmtCommandOptions& options) {
  Result<QemuCatalog> loaded = QemuCatalog::load(data_directory() / "qemu");
  if (!loaded) throw Error(loaded.error());
  const QemuCatalog& catalog = loaded.value();
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

}  // namespace xb

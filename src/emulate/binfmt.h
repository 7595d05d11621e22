// binfmt_misc handlers for QEMU user mode: what is registered, registering ours, removing ours.
//
// Ours are told apart by name: xbuild registers "xbuild-qemu-<arch>" (BinfmtOptions::prefix),
// never the "qemu-<arch>" that Debian's qemu-user-binfmt, docker's tonistiigi/binfmt or
// systemd-binfmt use, so uninstall removes only what xbuild registered and a handler of the
// same architecture registered by someone else is reported and left alone.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "emulate/qemu_catalog.h"
#include "util/error.h"

namespace xb {

struct BinfmtOptions {
  std::filesystem::path root = "/proc/sys/fs/binfmt_misc";
  std::filesystem::path persistent_dir = "/etc/binfmt.d";
  std::string prefix = "xbuild-";  // tests use their own, to never meet a user's handlers
};

// One registered handler as /proc/sys/fs/binfmt_misc/<name> describes it.
struct BinfmtEntry {
  std::string name;
  bool enabled = false;
  std::string interpreter;
  std::string flags;      // "F", "OCF", "" ...
  std::string magic_hex;  // as the kernel prints it: "7f454c46..."
  std::string mask_hex;
};

// "xbuild-qemu-aarch64".
std::string handler_name(const QemuArch& arch, const BinfmtOptions& options);
// ":xbuild-qemu-aarch64:M:0:<magic>:<mask>:/usr/bin/qemu-aarch64-static:F"
std::string register_line(const QemuArch& arch, const std::string& name);
// The text of a handler's file parsed ("enabled", "interpreter ...", "flags: F", ...).
BinfmtEntry parse_entry(const std::string& name, const std::string& text);

// Mounts binfmt_misc on options.root when its "status" file is missing.
Status ensure_binfmt_mounted(const BinfmtOptions& options);
// Every registered handler (empty when binfmt_misc is not mounted).
std::vector<BinfmtEntry> list_handlers(const BinfmtOptions& options);
// The handler of ours for `arch`, or one of anyone else's that matches the same binaries.
std::optional<BinfmtEntry> own_handler(const QemuArch& arch, const std::vector<BinfmtEntry>& all,
                                       const BinfmtOptions& options);
std::optional<BinfmtEntry> foreign_handler(const QemuArch& arch, const std::vector<BinfmtEntry>& all,
                                           const BinfmtOptions& options);

// Registers our handler for `arch` (idempotent; with `persistent` also writes
// <persistent_dir>/<name>.conf) and returns the line to tell the user. A foreign handler of
// the same architecture is left alone (the result says so); a missing interpreter or no root
// is a failure that says what to do.
Result<std::string> install_handler(const QemuArch& arch, bool persistent, const BinfmtOptions& options);
// Removes our handler for `arch` and our persistent file, if there; never anyone else's.
Result<std::string> uninstall_handler(const QemuArch& arch, const BinfmtOptions& options);

// The table `xbuild binfmt status` prints, probing each architecture.
std::string render_binfmt_status(const QemuCatalog& catalog, const BinfmtOptions& options);

// "binfmt_misc needs root: ..." when this process is not root, else nothing.
std::optional<std::string> root_problem(const std::string& what);

}  // namespace xb

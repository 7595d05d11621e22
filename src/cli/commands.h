// The commands of cli/ that have no file of their own: binfmt and the hidden __sandbox and __binfmt.
#pragma once

#include <string>
#include <vector>

namespace xb {

struct BinfmtCommandOptions {
  std::string action;          // "status", "install", "uninstall"
  std::string arches = "all";  // "aarch64,riscv64" or "all"
  bool persistent = false;     // install: also write /etc/binfmt.d/xbuild-qemu-<arch>.conf
};

int binfmt_command(const BinfmtCommandOptions& options);
// The hidden `xbuild __sandbox ARGS...` (emulated stages); returns only by throwing.
int sandbox_command(const std::vector<std::string>& args);
// The hidden `xbuild __binfmt ARGS...` (crossing stages); returns only by throwing.
int private_binfmt_command(const std::vector<std::string>& args);

}  // namespace xb

// The commands of cli/ that have no file of their own: binfmt. (The hidden __sandbox and __binfmt
// are src/stage_commands.h's.)
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

}  // namespace xb

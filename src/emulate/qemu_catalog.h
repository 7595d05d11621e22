// The QEMU catalog: one qemu/<arch>.toml per architecture QEMU user mode emulates, with the
// binfmt_misc magic and mask that recognise its ELF binaries and the interpreter that runs them.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "platform/platform.h"
#include "util/error.h"

namespace xb {

struct QemuArch {
  std::string arch;                   // "aarch64": QEMU's name, the handler's suffix
  Platform platform;                  // linux/arm64
  std::filesystem::path interpreter;  // /usr/bin/qemu-aarch64-static
  std::string package;                // the Debian package that provides it
  std::string magic;                  // as the register file takes it: "\x7fELF..."
  std::string mask;
  std::filesystem::path source;  // the data file it came from
};

class QemuCatalog {
 public:
  // Reads every *.toml of `directory` in name order. Every problem in every file is reported
  // at once, as "file:line:col: error: message" lines.
  static Result<QemuCatalog> load(const std::filesystem::path& directory);
  const std::vector<QemuArch>& all() const { return arches_; }
  const QemuArch* find_arch(const std::string& arch) const;
  // The entry whose platform is `platform` (arm/v7 and arm/v6 both map to "arm"), or nullptr.
  const QemuArch* find(const Platform& platform) const;

 private:
  std::vector<QemuArch> arches_;
};

// Decodes "\xNN" escapes (the register file's notation) into bytes; fails on anything else
// that is not a printable character other than ':' and '\'.
Result<std::string> decode_binfmt_bytes(const std::string& escaped);

}  // namespace xb

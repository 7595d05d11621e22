// Bare-metal firmware targets: one data file per CPU in toolchains/firmware/ (triple, CPU,
// QEMU machine, compiler and linker flags, packages). A target's stage environment is in
// toolchain/environment.h, its Meson cross file and CMake toolchain file in
// toolchain/cross_files.h.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "util/error.h"

namespace xb::firmware {

struct Target {
  std::string name;     // "cortex-m3" (the data file's stem)
  std::string triple;   // "arm-none-eabi"
  std::string cpu;      // "cortex-m3": -mcpu and qemu-system-arm -cpu
  std::string machine;  // "mps2-an385": qemu-system-arm -M
  std::vector<std::string> cflags;
  std::vector<std::string> ldflags;
  std::map<std::string, std::vector<std::string>> packages;  // "compiler", "runner"
};

// Every *.toml of `directory`, in name order. Every problem in every file (a missing, unknown
// or mistyped key, a name that is not the file's) is reported at once, as
// "file:line:col: error: message" lines with the source line and a caret.
Result<std::vector<Target>> load_targets(const std::filesystem::path& directory);
// The target called `name`, or an error listing the known ones.
Result<Target> find_target(const std::filesystem::path& directory, const std::string& name);

}  // namespace xb::firmware

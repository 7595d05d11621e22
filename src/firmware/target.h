// Bare-metal firmware targets: one data file per CPU in toolchains/firmware/ (triple, CPU,
// QEMU machine, compiler and linker flags, packages), the environment a firmware stage sees,
// and its generated Meson cross file and CMake toolchain file.
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

// Every *.toml of `directory`, in name order. A missing, unknown or mistyped key is an error
// naming the file, the key and what to write.
Result<std::vector<Target>> load_targets(const std::filesystem::path& directory);
// The target called `name`, or an error listing the known ones.
Result<Target> find_target(const std::filesystem::path& directory, const std::string& name);

// CC, AR, OBJCOPY, SIZE..., CFLAGS, LDFLAGS, XBUILD_FIRMWARE_{TARGET,CPU,MACHINE}, XBUILD_EXEC
// (`<xbuild> firmware test --target NAME`), and the cross files when their paths are given.
std::map<std::string, std::string> stage_environment(const Target& target, const std::filesystem::path& xbuild,
                                                     const std::filesystem::path& meson_cross_file,
                                                     const std::filesystem::path& cmake_toolchain_file);
std::string meson_cross_file(const Target& target, const std::vector<std::string>& exe_wrapper);
std::string cmake_toolchain_file(const Target& target, const std::vector<std::string>& emulator);

}  // namespace xb::firmware

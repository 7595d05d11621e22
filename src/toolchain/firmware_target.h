// Bare-metal firmware targets: one data file per CPU in toolchains/firmware/ (triple, CPU,
// QEMU machine, compiler and linker flags, initial stack pointer, packages), and the startup
// every executable of a project's target links (xbuild's toolchains/firmware/startup.S, the
// project's own, or none). A target's stage environment is in toolchain/environment.h, its Meson
// cross file and CMake toolchain file in toolchain/cross_files.h; firmware/startup.h compiles
// the startup.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "util/error.h"

namespace xb::firmware {

// The startup object linked into every executable of a target: its vector table (in .vectors,
// named __xbuild_vectors in xbuild's own) and reset handler.
struct Startup {
  std::filesystem::path source;  // toolchains/firmware/startup.S, or the project's [firmware] startup
  std::filesystem::path object;  // <state dir>/firmware/<target>/startup.o
  std::string digest;            // the source's "sha256:...": in the stage environment, so in cache keys
};

struct Target {
  std::string name;                    // "cortex-m3" (the data file's stem)
  std::string triple;                  // "arm-none-eabi"
  std::string cpu;                     // "cortex-m3": Meson's cpu, XBUILD_FIRMWARE_CPU
  std::string qemu_cpu;                // qemu-system-arm -cpu (the data file's qemu_cpu, else cpu)
  std::string machine;                 // "mps2-an385": qemu-system-arm -M
  std::vector<std::string> qemu_args;  // more qemu-system-arm options for the machine (-global ...)
  std::vector<std::string> cflags;
  std::vector<std::string> ldflags;
  std::uint32_t stack_top = 0;  // the initial SP of the startup's vector table: the top of a RAM
  std::map<std::string, std::vector<std::string>> packages;  // "compiler", "runner"
  // Not in the data file: what a project's [firmware] startup makes of it (none: the project
  // links its own vector table).
  std::optional<Startup> startup;
};

// The name of xbuild's own startup source in the firmware targets' directory.
inline constexpr const char* kDefaultStartup = "startup.S";

// The ldflags, then the startup object and -Wl,--undefined=__xbuild_vectors (which keeps its
// vector table under --gc-sections) when the target has a startup: what LDFLAGS, the CMake
// toolchain file and the Meson cross file hand the linker.
std::vector<std::string> link_flags(const Target& target);

// The startup of `target` in a project: `source` (empty: xbuild's own, `directory`/startup.S)
// compiled to <state_dir>/firmware/<name>/startup.o, with the source's digest; an unreadable
// source is an error.
Result<Startup> resolve_startup(const Target& target, const std::filesystem::path& directory,
                                const std::filesystem::path& source, const std::filesystem::path& state_dir);

// Every *.toml of `directory`, in name order. Every problem in every file (a missing, unknown
// or mistyped key, a name that is not the file's) is reported at once, as
// "file:line:col: error: message" lines with the source line and a caret.
Result<std::vector<Target>> load_targets(const std::filesystem::path& directory);
// The target called `name`, or an error listing the known ones.
Result<Target> find_target(const std::filesystem::path& directory, const std::string& name);

}  // namespace xb::firmware

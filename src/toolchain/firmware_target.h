// Bare-metal firmware targets: one data file per CPU in toolchains/firmware/ (triple, CPU,
// QEMU machine, compiler and linker flags, initial stack pointer, packages), a project's own
// targets (xbuild.toml [firmware.target.NAME]: a board with its linker script), and the startup
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

#include "config/model.h"
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
  // Where the reset reads the vector table: a project target's vector_table; none for a bundled
  // one, whose ldflags say (-Wl,--section-start=.vectors=ADDR).
  std::optional<std::uint32_t> vector_table;
  // Where the target is defined: "toolchains/firmware/cortex-m4.toml", or
  // "xbuild.toml [firmware.target.stm32f405]" (base cortex-m4f) for a project's own.
  std::string definition;
  std::filesystem::path config;  // the xbuild.toml of a project's own target (absolute); empty: bundled
  // Which link the images have: the project's linker script as written ("board/stm32f405.ld"),
  // or "xbuild:<target>" for a bundled target's layout.
  std::string link;
  std::filesystem::path linker_script;  // absolute; empty: none
  std::string linker_script_digest;     // "sha256:..." of the script
  // "sha256:..." over every field above that decides what a stage builds and runs (a project
  // target's definition, its script's content included); empty for a bundled target.
  std::string definition_digest;
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

// A project's own target ([firmware.target.NAME], config/model.h) on top of its base among
// `bundled`: each key given replaces the base's (without a base: arm-none-eabi, ldflags
// --specs=rdimon.specs, the bundled targets' packages). With a linker script, the link is
// -Wl,-T,<script> after the base's ldflags less their layout flags (-Wl,--section-start=...,
// -Wl,-T...), or after the target's own ldflags when it gives them. A base that is not among
// `bundled`, a name that is one of theirs, or an unreadable script is an error that says where
// the config wrote it ("xbuild.toml:7:8: ...").
Result<Target> project_target(const FirmwareTargetSpec& spec, const std::filesystem::path& config_file,
                              const std::vector<Target>& bundled);

// The target called `name`: the project's own first (`project`: its config, may be null), then
// the bundled ones in `directory`; an unknown name is an error listing both.
Result<Target> resolve_target(const std::filesystem::path& directory, const std::string& name, const Config* project);

// The words of `xbuild firmware <command> --target <name>` for this target, with --config
// <its xbuild.toml> for a project's own (so it is found from any directory).
std::vector<std::string> firmware_command(const Target& target, const std::filesystem::path& xbuild,
                                          const std::string& command);

}  // namespace xb::firmware

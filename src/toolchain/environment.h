// The environment a stage sees (DESIGN.md "The environment a stage sees"): for a target of a
// toolchains/*.toml entry (or none, when it runs the target's own tools) and for a bare-metal
// target of toolchains/firmware/. The cross files it names are toolchain/cross_files.h's.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "config/model.h"
#include "toolchain/firmware_target.h"
#include "toolchain/toolchain.h"

namespace xb {

// Where a crossing target's libraries are: a sysroot made from Debian packages ([targets]
// packages; empty: none, only the cross C library), and the directory QEMU loads a target
// binary's libraries from (QEMU_LD_PREFIX, the runner's "{ld_prefix}"; empty: the toolchain's
// own sysroot, its cross C library).
struct TargetRoots {
  std::filesystem::path sysroot;
  std::filesystem::path ld_prefix;
};

struct StageEnvironmentInput {
  Platform target;
  Platform build;                        // the host (BUILDPLATFORM)
  std::string build_triple;              // the host's GNU triple, for configure's --build
  TargetRoots roots;                     // cross: where the target's libraries are
  Strategy strategy = Strategy::native;  // the resolved strategy (never automatic)
  const Toolchain* toolchain = nullptr;
  std::filesystem::path source_dir;            // XBUILD_SRC
  std::filesystem::path output_dir;            // XBUILD_OUT
  std::filesystem::path work_dir;              // XBUILD_WORK: the stages' kept directories
  std::filesystem::path meson_cross_file;      // empty: none (native builds)
  std::filesystem::path cmake_toolchain_file;  // empty: none
  std::filesystem::path state_dir;             // replaces "{state_dir}" in the runner's variables
  long long source_date_epoch = 0;
};

// Variables set for every stage of a target; the caller adds the config's env on top.
std::map<std::string, std::string> stage_environment(const StageEnvironmentInput& input);

// The words that run a target binary on this host (XBUILD_EXEC), empty unless crossing: the
// toolchain's runner, "{ld_prefix}" in it replaced by `ld_prefix` (empty: the toolchain's own
// sysroot).
std::vector<std::string> exec_prefix(const Toolchain& toolchain, Strategy strategy,
                                     const std::filesystem::path& ld_prefix = {});

// The target's pkg-config directories inside `sysroot` (toolchain.pkg_config_libdir moved
// there, and <sysroot>/usr/lib/pkgconfig).
std::vector<std::string> sysroot_pkg_config_dirs(const Toolchain& toolchain, const std::filesystem::path& sysroot);

// The runner's own variables (toolchain.runner_env) with "{state_dir}" replaced; empty unless
// the strategy is cross, the only one that runs binaries through the runner.
std::map<std::string, std::string> runner_environment(const Toolchain& toolchain, Strategy strategy,
                                                      const std::filesystem::path& state_dir);
// "{state_dir}" in `text` replaced by `state_dir`.
std::string expand_state_dir(const std::string& text, const std::filesystem::path& state_dir);

// True when every PKG_CONFIG_LIBDIR entry is inside the sysroot: the target's .pc files then
// name paths under it (PKG_CONFIG_SYSROOT_DIR, Meson's sys_root).
bool pkg_config_files_in_sysroot(const Toolchain& toolchain);

}  // namespace xb

namespace xb::firmware {

// CC, AR, OBJCOPY, SIZE..., CFLAGS, LDFLAGS (link_flags: with the startup object),
// XBUILD_FIRMWARE_{TARGET,CPU,MACHINE}, XBUILD_FIRMWARE_STARTUP (the object) and
// XBUILD_FIRMWARE_STARTUP_SHA256 (its source's digest) when the target has a startup,
// XBUILD_EXEC (`<xbuild> firmware test --target NAME`), and the cross files when their paths
// are given.
std::map<std::string, std::string> stage_environment(const Target& target, const std::filesystem::path& xbuild,
                                                     const std::filesystem::path& meson_cross_file,
                                                     const std::filesystem::path& cmake_toolchain_file);

}  // namespace xb::firmware

// Toolchains: one data file per target in toolchains/ (triple, tool names, sysroot, Meson and
// CMake machine descriptions, the Debian packages that provide it, the runner for its binaries),
// and discovery of what is installed on this machine.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "platform/platform.h"
#include "util/error.h"

namespace xb {

struct Toolchain {
  std::string id;       // the data file's stem: "linux-arm64"
  Platform platform;    // the target it compiles for
  std::string triple;   // "aarch64-linux-gnu"
  std::string sysroot;  // "/usr/aarch64-linux-gnu"; empty for the host's own
  // Environment variable -> program: CC, CXX, AR, RANLIB, STRIP, LD, OBJCOPY, NM.
  std::map<std::string, std::string> tools;
  std::string pkg_config_libdir;  // PKG_CONFIG_LIBDIR for the target's .pc files
  // How a target binary runs on an amd64 host: {"qemu-aarch64-static", "-L", sysroot}; empty
  // when the host runs it directly.
  std::vector<std::string> runner;
  std::string qemu_arch;  // "aarch64": the name QEMU and binfmt_misc use
  // Variables the runner needs in every cross stage (wine: WINEPREFIX, WINEDEBUG). "{state_dir}"
  // in a value stands for the run's state directory.
  std::map<std::string, std::string> runner_env;
  // Run once, before the first stage that may use the runner, when `creates` does not exist yet
  // (wine: `wineboot --init` fills WINEPREFIX); the directory that holds `creates` is made
  // first. Empty command: nothing to set up.
  struct {
    std::vector<std::string> command;
    std::string creates;
  } runner_setup;
  struct {
    std::string system, cpu_family, cpu, endian;
  } meson;
  struct {
    std::string system_name, system_processor;
  } cmake;
  // Debian packages: "compiler" (CC and the C library), "cxx", "runner".
  std::map<std::string, std::vector<std::string>> packages;
  std::filesystem::path source;  // the data file it came from
};

// Looks things up on this machine. The real one searches PATH and asks compilers their
// version (a synchronous probe, off the loop); tests use a fake that answers from a table.
class ToolFinder {
 public:
  virtual ~ToolFinder() = default;
  virtual std::optional<std::filesystem::path> find_program(const std::string& name) = 0;
  virtual bool exists(const std::filesystem::path& path) = 0;
  // The compiler's version ("12.2.0"), or "" when it cannot say.
  virtual std::string compiler_version(const std::filesystem::path& compiler) = 0;
  // The version when compiler_version() can answer without starting the compiler (asked
  // already, or remembered from an earlier run); nullopt when it would have to ask it.
  virtual std::optional<std::string> known_compiler_version(const std::filesystem::path& compiler) {
    (void)compiler;
    return std::nullopt;
  }
};

std::unique_ptr<ToolFinder> make_system_tool_finder();
// The same with another limit on how long a compiler may take to answer (the one above: 5 s).
std::unique_ptr<ToolFinder> make_system_tool_finder(std::chrono::milliseconds probe_timeout);
// The same, remembering compiler versions in `memo_file` from one run to the next, keyed by the
// compiler's path, inode, size and mtime: a rerun starts no compiler to ask its version (and a
// probe slowed down by a busy machine cannot change a cache key). Written when it changed.
std::unique_ptr<ToolFinder> make_system_tool_finder(std::chrono::milliseconds probe_timeout,
                                                    const std::filesystem::path& memo_file);
std::unique_ptr<ToolFinder> make_remembering_tool_finder(const std::filesystem::path& memo_file);
// The same, but compiler_version() answers "" without starting the compiler: for a run that
// computes no cache key (--no-cache), where the version is needed for nothing.
std::unique_ptr<ToolFinder> make_versionless_tool_finder();

struct ToolchainStatus {
  std::optional<std::filesystem::path> compiler;  // CC resolved on PATH
  std::string compiler_version;
  bool libc_present = false;                    // the sysroot's headers are there
  std::optional<std::filesystem::path> runner;  // the runner's program resolved on PATH
  std::vector<std::string> missing;             // "aarch64-linux-gnu-gcc (install gcc-aarch64-linux-gnu)"
  std::vector<std::string> missing_packages;    // the packages that would fix `missing`
  bool usable() const { return missing.empty(); }
};

ToolchainStatus discover(const Toolchain& toolchain, ToolFinder& finder);

// The toolchain files of a directory, read once.
class ToolchainCatalog {
 public:
  static Result<ToolchainCatalog> load(const std::filesystem::path& directory);
  // The toolchain for a target platform (exact match after normalization), or nullptr.
  const Toolchain* find(const Platform& platform) const;
  const std::vector<Toolchain>& all() const { return toolchains_; }

 private:
  std::vector<Toolchain> toolchains_;
};

// Where xbuild's data (toolchains/, qemu/) lives: $XBUILD_DATA_DIR, else <prefix>/share/xbuild
// for the binary's <prefix>/bin (an install, wherever it was moved), else the `xbuild-data` link
// next to the binary (a build tree: meson makes it, pointing at the checkout).
std::filesystem::path data_directory();

}  // namespace xb

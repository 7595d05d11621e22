// The validated model of an xbuild.toml: plain data handed from the config step to the plan.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "platform/platform.h"

namespace xb {

struct SourceLocation {
  std::string file;
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;  // 1-based
};

enum class Strategy { automatic, native, cross, emulate };
const char* strategy_name(Strategy strategy);  // "auto", "native", "cross", "emulate"

struct StageSpec {
  std::string name;
  std::string run;                         // a /bin/sh command line
  std::vector<std::string> needs;          // names of stages that must finish first
  std::map<std::string, std::string> env;  // extra environment for this stage
  int timeout_seconds = 0;                 // 0: no timeout
  // Globs relative to the project directory naming the files the stage reads (its cache key
  // covers them). Absent: every project file (less .xbuildignore); empty: none.
  std::optional<std::vector<std::string>> inputs;
  // The shell the command runs in, the command appended as its last argument (empty: the
  // default, /bin/sh -e -c: a failing line fails the stage).
  std::vector<std::string> shell;
  // Variables of xbuild's own environment the stage reads: they reach it and its cache key
  // (other inherited variables reach it only when they are in the base set, unkeyed).
  std::vector<std::string> pass_env;
  // Directories under $XBUILD_WORK that survive between runs (a build system's own tree, for
  // incremental builds), relative, normalized ("build", "deps/zlib"), none inside another's.
  std::vector<std::string> keep;
  // Globs of the test reports (JUnit XML) its framework writes, "$XBUILD_OUT/..." or
  // "$XBUILD_WORK/...": merged into the --junit file after it ran.
  std::vector<std::string> reports;
  SourceLocation location;
};

// Per-platform overrides: the "one recipe per OS/arch" of the product sketch.
struct StageOverride {
  std::optional<std::string> run;
  std::map<std::string, std::string> env;
};

// `rootfs` of an emulated platform: a directory, "oci:DIR[:TAG]", a registry reference, or
// Debian packages that xbuild installs into a root filesystem it makes ({ suite, packages }).
struct RootfsSpec {
  std::string location;               // DIR, oci:DIR[:TAG] or REF; empty when made from packages
  std::optional<std::string> suite;   // made from packages: the Debian suite (default: the platform's)
  std::vector<std::string> packages;  // made from packages: what it holds
  bool made_from_packages() const { return location.empty(); }
};

struct PlatformOverride {
  std::optional<Strategy> strategy;
  std::map<std::string, std::string> env;              // added to every stage of this platform
  std::map<std::string, StageOverride> stages;         // by stage name
  std::optional<RootfsSpec> rootfs;                    // for the emulate strategy
  std::vector<std::string> packages;                   // the platform's libraries, besides [targets] packages
  std::optional<std::string> suite;                    // their Debian suite, over [targets] suite
  std::optional<std::string> os_version;               // Windows: the image's os.version ("10.0.20348.2582")
  std::optional<std::vector<std::string>> entrypoint;  // replaces [image] entrypoint for this platform
  std::optional<bool> ccache;                          // ccache in front of its compilers, over [targets] ccache
  SourceLocation location;
};

struct CopySpec {
  std::string from;  // relative to the platform's output directory ($XBUILD_OUT)
  std::string to;    // absolute path in the image
};

// `[image] from = "oci:DIR[:TAG]"`: a base image from an OCI image layout on disk.
struct LayoutBase {
  std::filesystem::path directory;  // absolute: a relative DIR is the project directory's
  std::string tag;                  // org.opencontainers.image.ref.name; empty: the layout's only image
  // "oci:DIR[:TAG]" with DIR absolute: the name the derived image's base.name annotation records.
  std::string str() const { return "oci:" + directory.string() + (tag.empty() ? "" : ":" + tag); }
};

struct ImageSpec {
  std::string name;                       // repository, e.g. "localhost:5000/demo/hello"
  std::vector<std::string> tags;          // default ["latest"]
  std::string from = "scratch";           // as written: "scratch", an image reference, or "oci:DIR[:TAG]"
  std::optional<LayoutBase> from_layout;  // set for "oci:DIR[:TAG]"
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::map<std::string, std::string> env;
  std::string workdir;
  std::string user;
  std::map<std::string, std::string> labels;
  std::vector<CopySpec> copy;            // empty: the whole output directory at "/"
  std::optional<int> compression_level;  // gzip level of the layers (absent: oci::kDefaultGzipLevel)
};

struct ProjectSpec {
  std::string name;
  std::string version;
};

// [builder.NAME]: a remote machine, reached with OpenSSH, that builds the platforms it declares
// natively. Host keys and credentials stay OpenSSH's business (known_hosts, keys, agent).
struct BuilderSpec {
  std::string name;
  std::string ssh;                           // "user@host", or a Host of the ssh configuration
  int port = 0;                              // 0: ssh's default (or the ssh configuration's)
  std::vector<Platform> platforms;           // in the order written
  bool fallback_local = false;               // fallback = "local": build locally when unreachable
  unsigned jobs = 0;                         // stages at once on it (0: only -j limits them)
  std::filesystem::path ssh_config;          // ssh -F FILE (absolute); empty: the user's own
  std::string dir = ".cache/xbuild-remote";  // work directory on the builder (relative: to its home)
  SourceLocation location;
};

// A bare-metal target is the platform none/arm/<name>, <name> a file in toolchains/firmware/
// ([targets] firmware = ["cortex-m4"] is the short way to write "none/arm/cortex-m4").
inline bool is_bare_metal(const Platform& platform) { return platform.os == "none"; }

// [firmware.target.NAME]: a bare-metal target of the project's own (its board), resolved by
// toolchain/firmware_target.h against the bundled targets (`base`). Each key left out is the
// base's; without a base, cpu, machine, cflags, stack_top and ldflags or linker_script are needed.
struct FirmwareTargetSpec {
  std::string name;
  std::string base;  // a bundled target (toolchains/firmware/<base>.toml); empty: none
  std::optional<std::string> cpu, qemu_cpu, machine;
  std::optional<std::vector<std::string>> cflags, ldflags, qemu_args;
  // linker_script as written (project-relative, inside the project) and as an absolute path;
  // empty: the base's layout.
  std::string linker_script;
  std::filesystem::path linker_script_path;
  std::optional<std::uint32_t> vector_table;  // where the reset reads the vector table
  std::optional<std::uint32_t> stack_top;
  SourceLocation location;       // the table's header
  SourceLocation base_location;  // the base's value (the header when there is none)
};

// [firmware]: what the bare-metal targets' artifact holds and how their tests run.
struct FirmwareSpec {
  std::string elf = "firmware.elf";  // relative to $XBUILD_OUT: the image packed as the artifact
  std::string name;                  // file names in the artifact (NAME.elf, ...); empty: the ELF's stem
  int test_timeout_seconds = 0;      // `$XBUILD_EXEC test.elf` stops QEMU after this (0: xbuild's default)
  std::string pass_pattern;          // the console must match it (empty: Unity's summary line)
  // The startup linked into every executable (toolchain/firmware_target.h Startup): xbuild's own
  // (startup true, startup_source empty), the project's (startup_source: absolute), or none
  // (startup = false: the project links its own vector table).
  bool startup = true;
  std::filesystem::path startup_source;
  // max_flash / max_ram: the bytes a target's firmware may take (flash: text + data, RAM: data +
  // bss, as arm-none-eabi-size counts them), by firmware target name; "" is every target one
  // written for all. Empty: no limit.
  std::map<std::string, std::uint64_t> max_flash, max_ram;
  int hang_timeout_seconds = 0;  // a test silent this long is stopped as hung (0: xbuild's default)
  std::string icount;            // instruction counting: a shift "0".."10" or "off" (empty: xbuild's default)
  std::vector<FirmwareTargetSpec> targets;  // [firmware.target.NAME], in name order
};

// Debian packages the targets build against: a cross target gets a sysroot made from them (its
// libraries for compiling, linking and running tests); where they come from.
struct PackagesSpec {
  std::vector<std::string> packages;  // [targets] packages, for every target
  std::string suite;                  // [targets] suite (empty: the host's; riscv64: one with the port)
  std::string mirror;                 // [targets] mirror (empty: the machine's apt sources)
};

// [targets] ccache and ccache_remote: ccache in front of every target's C and C++ compilers (a
// [platform.X] ccache overrides `enabled` for that platform), each target with a ccache directory
// of its own; `remote` is ccache's remote storage (CCACHE_REMOTE_STORAGE), shared by every target.
struct CcacheSpec {
  bool enabled = false;
  std::string remote;  // "redis://HOST:PORT", "redis+unix:///PATH", "http(s)://..."; empty: none
};

// [cache]: the registry cache of `xbuild run`, as written (checked by config/cache.cpp); the
// command line's --cache-from / --cache-to replace these.
struct RegistryCacheSpec {
  std::vector<std::string> from;  // read in order, the first hit wins
  std::string to;                 // written; empty: none (may carry ",mode=...")
  std::string mode;               // "min", "max"; empty: as `to` says, else "min"
};

struct Config {
  std::filesystem::path file;       // the xbuild.toml that was read (absolute)
  std::filesystem::path directory;  // its directory: the project's source directory
  ProjectSpec project;
  std::vector<Platform> platforms;  // in the order written; [targets] firmware after platforms
  PackagesSpec packages;
  std::vector<StageSpec> stages;  // in the order written
  ImageSpec image;
  std::map<std::string, PlatformOverride> overrides;  // by normalized platform string
  std::vector<BuilderSpec> builders;                  // [builder.NAME], in the order written
  FirmwareSpec firmware;
  CcacheSpec ccache;
  RegistryCacheSpec cache;
};

// Whether `platform` compiles through ccache: its [platform.X] ccache, else [targets] ccache.
inline bool ccache_enabled(const Config& config, const Platform& platform) {
  auto found = config.overrides.find(platform.str());
  if (found != config.overrides.end() && found->second.ccache) return *found->second.ccache;
  return config.ccache.enabled;
}

}  // namespace xb

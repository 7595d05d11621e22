// The plan: for each target platform the strategy chosen and why, its toolchain and the runner
// for its binaries, and the (platform x stage) jobs with their commands, environments and
// dependencies. A value: make_plan() builds it once from the Config, what the ToolFinder sees and
// the PlanOptions, and nothing edits it afterwards. Nothing runs and nothing is written while
// planning; the files a plan needs on disk (cross files) are part of it, for the run to write.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/model.h"
#include "emulate/rootfs.h"
#include "toolchain/firmware_target.h"
#include "toolchain/toolchain.h"

namespace xb {

class QemuCatalog;

// A file the run writes before the target's first stage (a Meson cross file, a CMake toolchain
// file), or a symbolic link it makes (`link` not empty): decided by the plan.
struct GeneratedFile {
  std::filesystem::path path;
  std::string content;
  std::filesystem::path link;  // the link's target
};

// cross: how the target's binaries run when a stage runs them by their path (ctest, `make
// check`, a test runner script), as on the target: a binfmt_misc handler sends them to QEMU,
// which loads their libraries from `ld_prefix` (QEMU_LD_PREFIX), never from the host.
struct TargetBinaries {
  enum class Handler {
    private_instance,  // a binfmt_misc instance of the stage's own (Linux >= 6.7, no root needed)
    host,              // the host's handler, which the run registers (root)
    none,              // neither here: only $XBUILD_EXEC runs them (the plan's notes say why)
  };
  Handler handler = Handler::none;
  std::string qemu_arch;            // qemu/<arch>.toml: the handler's magic and interpreter
  std::string register_line;        // the handler, as binfmt_misc's register file takes it
  std::filesystem::path ld_prefix;  // the target's libraries: its sysroot, or its cross C library
};

// emulate: the target root filesystem the stages run in, and the QEMU that runs its binaries
// through binfmt_misc (qemu_arch "aarch64", interpreter /usr/bin/qemu-aarch64-static).
struct EmulationPlan {
  std::filesystem::path rootfs;
  std::string
      rootfs_image;  // what names its content: an image's manifest digest, a made tree's key; "" for a directory
  std::vector<RootfsLayer> rootfs_layers;  // ... and its layers, unpacked into `rootfs` by the run
  // The root filesystem is shared (made from packages, unpacked from an image): never written,
  // each stage sees it through an overlay of its own, mounted on `overlay` (an empty directory).
  std::filesystem::path overlay;
  std::string rootfs_description;  // made from packages or pulled: what (RootfsPlan::description)
  std::string qemu_arch;
  std::filesystem::path qemu_interpreter;
};

// cross: run once, with the target's environment, before its first stage when `creates` is
// missing (the toolchain's [runner_setup]: wine's prefix).
struct RunnerSetup {
  std::vector<std::string> command;
  std::filesystem::path creates;
};

// Bare metal (none/arm/<name>): the target of toolchains/firmware/<name>.toml, and the image
// that becomes its firmware artifact ($XBUILD_OUT/[firmware] elf).
struct FirmwarePlan {
  firmware::Target target;
  std::filesystem::path elf;
};

// [targets] ccache on for a target: its cache on this machine (<cache dir>/ccache/<slug>, which
// emulated stages see as /xbuild/ccache) and the remote storage it shares.
struct CcachePlan {
  std::filesystem::path dir;
  std::string remote;  // CCACHE_REMOTE_STORAGE; empty: none
};

struct TargetPlan {
  Platform platform;
  Strategy strategy = Strategy::native;  // resolved: never automatic
  std::string reason;                    // why this strategy ("auto: the target is the host platform", ...)
  std::vector<std::string> problems;     // what stops this target from building
  std::filesystem::path output_dir;      // XBUILD_OUT on this machine
  std::filesystem::path work_dir;        // XBUILD_WORK on this machine: the stages' kept directories
  std::optional<Toolchain> toolchain;    // native, cross and bare metal: the compiler used
  ToolchainStatus status;                // what discovery found of it
  std::vector<std::string> exec_prefix;  // XBUILD_EXEC words
  std::vector<GeneratedFile> files;      // cross: the Meson cross file and the CMake toolchain file
  std::optional<EmulationPlan> emulation;
  std::optional<RunnerSetup> runner_setup;
  std::optional<FirmwarePlan> firmware;
  std::optional<TargetBinaries> binaries;  // cross with QEMU: target binaries run by their path
  std::optional<CcachePlan> ccache;        // compiles go through ccache
  std::filesystem::path sysroot;           // the target's libraries ([targets] packages), made by the run
  std::string sysroot_description;         // SysrootPlan::description
  std::vector<std::string> notes;          // what the plan wants the user to know (not problems)
  std::string builder;                     // [builder.NAME] it is routed to (empty: local)
  std::string builder_unreachable;         // why that builder could not be reached: its jobs fail saying so
  // The image's settings of this platform: [platform.X] os_version (Windows) and entrypoint.
  std::string os_version;
  std::optional<std::vector<std::string>> entrypoint;
};

struct JobPlan {
  std::size_t target = 0;  // index into Plan::targets
  std::string platform;    // Plan::targets[target].platform.str()
  std::string stage;
  std::string command;                                       // the stage's command, the last argument of `shell`
  std::vector<std::string> shell = {"/bin/sh", "-e", "-c"};  // or the stage's `shell`
  // Words before the shell: `xbuild-stage __sandbox ...` (emulate), `xbuild-stage __binfmt ...`
  // (cross with a binfmt_misc instance of its own).
  std::vector<std::string> launcher;
  std::map<std::string, std::string> env;  // environment additions for the job
  // What the job takes from xbuild's environment: the base set (base_environment()) and the
  // stage's pass_env; only the pass_env ones are part of its cache key.
  std::vector<std::string> inherit;
  std::vector<std::string> pass_env;
  std::vector<std::size_t> needs;    // indices into Plan::jobs
  std::vector<std::string> keep;     // the stage's kept directories, relative to XBUILD_WORK
  std::vector<std::string> reports;  // the stage's test report globs ("$XBUILD_WORK/build/*.xml")
  int timeout_seconds = 0;
  std::filesystem::path log_file;
  std::filesystem::path working_directory;                      // where the job starts on this machine
  std::string label() const { return platform + " " + stage; }  // "linux/arm64 build"
  std::vector<std::string> argv() const;                        // launcher + shell + command
};

// The variables every stage gets from xbuild's environment, unkeyed: PATH, HOME, USER, LOGNAME,
// SHELL, TMPDIR, TERM, LANG, LANGUAGE, LC_*, TZ, the proxies (http_proxy ... and their upper-case
// names) and SSH_AUTH_SOCK. Anything else reaches a stage only through its pass_env.
const std::vector<std::string>& base_environment();

struct Plan {
  std::filesystem::path state_dir;
  long long source_date_epoch = 0;
  Platform host;
  std::vector<TargetPlan> targets;
  std::vector<JobPlan> jobs;                             // stages of target 0, then target 1, ...
  std::map<std::string, std::string> index_annotations;  // extra index annotations (run --shard)
  bool ready() const;                                    // no target has problems
  // On the output layout's index.json: the run's identity (build/shard.h run_identity).
  std::map<std::string, std::string> layout_annotations;
};

// A crossing target's sysroot made from Debian packages, and how `plan` describes it
// ("bookworm/arm64 with zlib1g-dev, made 2 days ago").
struct SysrootPlan {
  std::filesystem::path dir;
  std::string description;
};

struct PlanOptions {
  std::filesystem::path state_dir;  // default: <project>/.xbuild
  long long source_date_epoch = 0;
  Platform host;
  const QemuCatalog* qemu = nullptr;    // emulate: qemu/*.toml (nullptr: emulate unavailable)
  std::filesystem::path xbuild_binary;  // bare metal: the binary of `xbuild firmware test`
  // Emulated and crossing stages: the binary of `__sandbox` and `__binfmt` (empty: "xbuild").
  std::filesystem::path stage_binary;
  bool root = false;                                     // emulate: the run is root (chroot, mounts, binfmt_misc)
  std::filesystem::path firmware_dir;                    // toolchains/firmware/: read when a target is bare metal
  std::map<std::string, std::string> index_annotations;  // copied into Plan (run --shard)
  // Copied into Plan: the run's identity.
  std::map<std::string, std::string> layout_annotations;
  // [builder.NAME] that could not be reached before planning, with why: their platforms are
  // planned here instead when the builder says fallback = "local", else their jobs fail.
  std::map<std::string, std::string> unreachable_builders;
  // This machine can give a stage a binfmt_misc instance of its own (Linux >= 6.7, user
  // namespaces allowed): cross targets' binaries then run by their path, without root.
  bool private_binfmt = false;
  // The sysroot made for each cross target with packages ([targets] packages), by platform:
  // resolved before planning (the run makes it when it is not there yet).
  std::map<std::string, SysrootPlan> sysroots;
  // Native targets with packages: the ones this machine lacks, by platform (problems of the plan).
  std::map<std::string, std::vector<std::string>> missing_host_packages;
  // What stops a target found before planning (a tree that cannot be resolved), by platform.
  std::map<std::string, std::vector<std::string>> problems;
  // The root filesystems resolved before planning, by platform: made from packages (`rootfs =
  // { packages = [...] }`: the run makes it when it is not there yet) or pulled from a registry.
  std::map<std::string, RootfsPlan> rootfs;
  // <cache dir>/ccache: the ccache directory of each target with [targets] ccache on is under it
  // (empty: ccache stays off).
  std::filesystem::path ccache_root;
};

Plan make_plan(const Config& config, const ToolchainCatalog& catalog, ToolFinder& finder, const PlanOptions& options);

// The matrix `xbuild plan` prints.
std::string render_plan(const Plan& plan);
// Its cells: the target's compiler and version (or builder, root filesystem), and what runs its
// binaries here ("the host (directly)", "qemu-aarch64-static -L ...", "wine", ...).
std::string toolchain_cell(const TargetPlan& target);
std::string runner_cell(const TargetPlan& target);

}  // namespace xb

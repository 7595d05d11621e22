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
#include "toolchain/firmware_target.h"
#include "toolchain/toolchain.h"

namespace xb {

class QemuCatalog;

// A file the run writes before the target's first stage (a Meson cross file, a CMake toolchain
// file): its content is decided by the plan.
struct GeneratedFile {
  std::filesystem::path path;
  std::string content;
};

// emulate: the target root filesystem the stages run in, and the QEMU that runs its binaries
// through binfmt_misc (qemu_arch "aarch64", interpreter /usr/bin/qemu-aarch64-static).
struct EmulationPlan {
  std::filesystem::path rootfs;
  std::string rootfs_image;                          // rootfs = "oci:...": the manifest digest
  std::vector<std::filesystem::path> rootfs_layers;  // ... and its layers, unpacked into `rootfs` by the run
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

struct TargetPlan {
  Platform platform;
  Strategy strategy = Strategy::native;  // resolved: never automatic
  std::string reason;                    // why this strategy ("auto: the target is the host platform", ...)
  std::vector<std::string> problems;     // what stops this target from building
  std::filesystem::path output_dir;      // XBUILD_OUT on this machine
  std::optional<Toolchain> toolchain;    // native, cross and bare metal: the compiler used
  ToolchainStatus status;                // what discovery found of it
  std::vector<std::string> exec_prefix;  // XBUILD_EXEC words
  std::vector<GeneratedFile> files;      // cross: the Meson cross file and the CMake toolchain file
  std::optional<EmulationPlan> emulation;
  std::optional<RunnerSetup> runner_setup;
  std::optional<FirmwarePlan> firmware;
  std::string builder;              // [builder.NAME] it is routed to (empty: local)
  std::string builder_unreachable;  // why that builder could not be reached: its jobs fail saying so
  // The image's settings of this platform: [platform.X] os_version (Windows) and entrypoint.
  std::string os_version;
  std::optional<std::vector<std::string>> entrypoint;
};

struct JobPlan {
  std::size_t target = 0;  // index into Plan::targets
  std::string platform;    // Plan::targets[target].platform.str()
  std::string stage;
  std::string command;                     // run with /bin/sh -c
  std::map<std::string, std::string> env;  // environment additions for the job
  std::vector<std::size_t> needs;          // indices into Plan::jobs
  int timeout_seconds = 0;
  std::filesystem::path log_file;
  std::filesystem::path working_directory;                      // where the job starts on this machine
  std::string label() const { return platform + " " + stage; }  // "linux/arm64 build"
};

struct Plan {
  std::filesystem::path state_dir;
  long long source_date_epoch = 0;
  Platform host;
  std::vector<TargetPlan> targets;
  std::vector<JobPlan> jobs;                             // stages of target 0, then target 1, ...
  std::map<std::string, std::string> index_annotations;  // extra index annotations (run --shard)
  bool ready() const;                                    // no target has problems
};

struct PlanOptions {
  std::filesystem::path state_dir;  // default: <project>/.xbuild
  long long source_date_epoch = 0;
  Platform host;
  const QemuCatalog* qemu = nullptr;    // emulate: qemu/*.toml (nullptr: emulate unavailable)
  std::filesystem::path xbuild_binary;  // emulate and bare metal: the binary of `xbuild __sandbox` / `firmware test`
  bool root = false;                    // emulate: the run is root (chroot, mounts, binfmt_misc)
  std::filesystem::path firmware_dir;   // toolchains/firmware/: read when a target is bare metal
  std::map<std::string, std::string> index_annotations;  // copied into Plan (run --shard)
  // [builder.NAME] that could not be reached before planning, with why: their platforms are
  // planned here instead when the builder says fallback = "local", else their jobs fail.
  std::map<std::string, std::string> unreachable_builders;
};

Plan make_plan(const Config& config, const ToolchainCatalog& catalog, ToolFinder& finder, const PlanOptions& options);

// The matrix `xbuild plan` prints.
std::string render_plan(const Plan& plan);

}  // namespace xb

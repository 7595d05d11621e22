// The plan: for each target platform the strategy chosen and why, its toolchain and the runner
// for its binaries, and the (platform x stage) jobs with their commands, environments and
// dependencies. Pure data computed from the Config and what the ToolFinder sees; nothing runs.
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

struct TargetPlan {
  Platform platform;
  Strategy strategy = Strategy::native;  // resolved: never automatic
  std::string reason;                    // why this strategy ("host is linux/amd64", ...)
  std::optional<Toolchain> toolchain;
  ToolchainStatus status;
  std::vector<std::string> exec_prefix;    // XBUILD_EXEC words
  std::vector<std::string> problems;       // what stops this target from building
  std::filesystem::path output_dir;        // XBUILD_OUT
  std::filesystem::path meson_cross_file;  // generated when the strategy is cross
  std::filesystem::path cmake_toolchain_file;
  // emulate: the target root filesystem the stages run in, and the QEMU that runs its binaries
  // through binfmt_misc (qemu_arch "aarch64", interpreter /usr/bin/qemu-aarch64-static).
  std::filesystem::path rootfs;
  std::string rootfs_image;                          // rootfs = "oci:...": the manifest digest
  std::vector<std::filesystem::path> rootfs_layers;  // ... and its layers, unpacked into `rootfs` at run time
  std::string qemu_arch;
  std::filesystem::path qemu_interpreter;
  std::string builder;  // [builder.NAME] it is routed to (empty: local)
  // cross: run once, with the target's environment, before its first stage when
  // `runner_setup_creates` is missing (the toolchain's [runner_setup]: wine's prefix).
  std::vector<std::string> runner_setup;
  std::filesystem::path runner_setup_creates;
  std::string os_version;                              // Windows: the image's os.version ([platform.X] os_version)
  std::optional<std::vector<std::string>> entrypoint;  // [platform.X] entrypoint, over [image]'s
  // Bare metal (none/arm/<name>): the target of toolchains/firmware/<name>.toml. The strategy is
  // cross, `toolchain` describes its compiler for discovery and cache keys, XBUILD_EXEC is
  // `xbuild firmware test --target <name>`, and the target becomes a firmware artifact.
  std::optional<firmware::Target> firmware;
  std::filesystem::path firmware_elf;  // the image packed as the artifact ($XBUILD_OUT/[firmware] elf)
};

struct JobPlan {
  std::size_t target = 0;  // index into Plan::targets
  std::string stage;
  std::string command;                     // run with /bin/sh -c
  std::map<std::string, std::string> env;  // full environment additions for the job
  std::vector<std::size_t> needs;          // indices into Plan::jobs
  int timeout_seconds = 0;
  std::filesystem::path log_file;
  std::filesystem::path working_directory;  // where the job starts on the host (empty: $XBUILD_SRC)
  std::string label() const;                // "[linux/arm64 build]" without brackets
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
  std::filesystem::path xbuild_binary;  // emulate: the binary that runs `xbuild __sandbox`
  bool root = false;                    // emulate: the run is root (chroot, mounts, binfmt_misc)
  std::filesystem::path firmware_dir;   // toolchains/firmware/: read when a target is bare metal
};

Plan make_plan(const Config& config, const ToolchainCatalog& catalog, ToolFinder& finder, const PlanOptions& options);

// The matrix `xbuild plan` prints.
std::string render_plan(const Plan& plan);

// Writes the generated Meson cross files and CMake toolchain files of every cross target and
// creates the output directories (empties them first: each run starts from a clean $XBUILD_OUT),
// except those of the targets for which `keep_output` holds (a cached run found them intact).
Status prepare_state_dir(const Plan& plan, const std::vector<bool>& keep_output = {});

}  // namespace xb

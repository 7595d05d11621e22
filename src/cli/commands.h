// The pipelines behind each command, one function per command.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace xb {

struct RunCommandOptions {
  std::filesystem::path config_file = "xbuild.toml";
  unsigned jobs = 0;                  // 0: the number of cores
  std::optional<std::string> output;  // "oci:DIR" / "oci-archive:FILE"
  std::optional<std::filesystem::path> state_dir;
  bool keep_going = false;
  bool push = false;  // --push: to image.name, every tag
  std::vector<std::string> insecure_registries;
  bool no_cache = false;                               // --no-cache: run every stage, store nothing
  std::optional<std::filesystem::path> cache_dir;      // --cache-dir (default: default_cache_dir())
  std::optional<std::filesystem::path> metadata_file;  // --metadata-file: digests as JSON
  std::optional<std::filesystem::path> junit_file;     // --junit: one testcase per platform x stage
  std::string progress = "auto";                       // --progress auto|tty|plain|json
  std::optional<std::string> shard;                    // --shard I/N: only that shard's platforms
};

struct PlanCommandOptions {
  std::filesystem::path config_file = "xbuild.toml";
  std::optional<std::filesystem::path> state_dir;
  std::optional<std::string> shard;  // --shard I/N: the plan of that shard
};

struct BinfmtCommandOptions {
  std::string action;          // "status", "install", "uninstall"
  std::string arches = "all";  // "aarch64,riscv64" or "all"
  bool persistent = false;     // install: also write /etc/binfmt.d/xbuild-qemu-<arch>.conf
};

int run_command(const RunCommandOptions& options);
int plan_command(const PlanCommandOptions& options);
int binfmt_command(const BinfmtCommandOptions& options);
// The hidden `xbuild __sandbox ARGS...` (emulated stages); returns only by throwing.
int sandbox_command(const std::vector<std::string>& args);

// emulate (binfmt_command.cpp): qemu/*.toml, and the run step that unpacks the oci: root
// filesystems and registers the handlers the plan's emulated targets need, a line for each.
class QemuCatalog;
class Terminal;
struct Plan;
QemuCatalog load_qemu_catalog();
void prepare_emulation(const Plan& plan, Terminal& terminal);

}  // namespace xb

// `xbuild targets`: every target xbuild knows (the Linux and Windows platforms of toolchains/,
// the bare-metal targets of toolchains/firmware/) and how this machine would build each. The
// answer is the plan's own: a config naming them all is planned as `xbuild plan` plans one, so
// a target is ready here exactly when a project's plan would find it ready.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "build/run.h"

namespace xb {

struct TargetAvailability {
  std::string platform;  // "linux/arm64", "none/arm/cortex-m4"
  bool firmware = false;
  std::string strategy;               // "native", "cross", "emulate", "bare metal"
  std::string toolchain;              // the plan's TOOLCHAIN cell ("aarch64-linux-gnu-gcc 12.2.0")
  std::string runner;                 // the plan's RUNS TARGET BINARIES WITH cell
  std::string reason;                 // why that strategy
  std::vector<std::string> missing;   // the plan's problems ("missing aarch64-linux-gnu-gcc (install ...)")
  std::vector<std::string> packages;  // the Debian packages that fix them
  std::vector<std::string> notes;     // the plan's notes (target binaries that only $XBUILD_EXEC runs, ...)
  bool ready() const { return missing.empty(); }
};

// The catalog's names: the platforms of toolchains/*.toml (in the order of the files' names)
// and the bare-metal targets of toolchains/firmware/*.toml.
std::vector<std::string> catalog_platforms(const std::filesystem::path& data_dir);
std::vector<std::string> firmware_target_names(const std::filesystem::path& data_dir);

// Plans `platforms` (and bare-metal `firmware` targets) with `stages` (TOML of [stage.*] tables:
// the tools they use are required like a project's) for the project in `project_dir`, and says
// per target what the plan says. Nothing is written.
std::vector<TargetAvailability> survey_targets(const std::vector<std::string>& platforms,
                                               const std::vector<std::string>& firmware, const std::string& stages,
                                               const std::filesystem::path& project_dir, Services& services);

// The table `xbuild targets` prints, and its --json form (an array of objects).
// A TOML array of strings, ["a", "b"]: the configs `targets` plans and `init` writes.
std::string toml_list(const std::vector<std::string>& names);

std::string render_targets(const std::vector<TargetAvailability>& targets, const std::string& host);
std::string render_targets_json(const std::vector<TargetAvailability>& targets, const std::string& host);

struct TargetsOptions {
  bool json = false;
};

// `xbuild targets [--json]`: every target, planned in the current directory. Exit status 0.
int list_targets(const TargetsOptions& options, Services& services);

}  // namespace xb

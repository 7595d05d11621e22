// The pipelines behind each command, one function per command.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace xb {

struct RunCommandOptions {
  std::filesystem::path config_file = "xbuild.toml";
  unsigned jobs = 0;                      // 0: the number of cores
  std::optional<std::string> output;      // "oci:DIR" / "oci-archive:FILE"
  std::optional<std::filesystem::path> state_dir;
  bool keep_going = false;
};

struct PlanCommandOptions {
  std::filesystem::path config_file = "xbuild.toml";
  std::optional<std::filesystem::path> state_dir;
};

int run_command(const RunCommandOptions& options);
int plan_command(const PlanCommandOptions& options);

}  // namespace xb

// The environment a stage sees (DESIGN.md "The environment a stage sees") and the generated
// Meson cross file and CMake toolchain file that go with it.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "config/model.h"
#include "toolchain/toolchain.h"

namespace xb {

struct StageEnvironmentInput {
  Platform target;
  Platform build;                        // the host (BUILDPLATFORM)
  Strategy strategy = Strategy::native;  // the resolved strategy (never automatic)
  const Toolchain* toolchain = nullptr;
  std::filesystem::path source_dir;            // XBUILD_SRC
  std::filesystem::path output_dir;            // XBUILD_OUT
  std::filesystem::path meson_cross_file;      // empty: none (native builds)
  std::filesystem::path cmake_toolchain_file;  // empty: none
  std::filesystem::path state_dir;             // replaces "{state_dir}" in the runner's variables
  long long source_date_epoch = 0;
};

// Variables set for every stage of a target; the caller adds the config's env on top.
std::map<std::string, std::string> stage_environment(const StageEnvironmentInput& input);

// The words that run a target binary on this host (XBUILD_EXEC), empty for native.
std::vector<std::string> exec_prefix(const Toolchain& toolchain, Strategy strategy);

// The runner's own variables (toolchain.runner_env) with "{state_dir}" replaced; empty unless
// the strategy is cross, the only one that runs binaries through the runner.
std::map<std::string, std::string> runner_environment(const Toolchain& toolchain, Strategy strategy,
                                                      const std::filesystem::path& state_dir);
// "{state_dir}" in `text` replaced by `state_dir`.
std::string expand_state_dir(const std::string& text, const std::filesystem::path& state_dir);

std::string meson_cross_file(const Toolchain& toolchain, const std::vector<std::string>& exe_wrapper);
std::string cmake_toolchain_file(const Toolchain& toolchain, const std::vector<std::string>& emulator);

}  // namespace xb

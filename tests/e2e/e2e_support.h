// End-to-end test support: runs the real xbuild binary and real tools (skopeo, umoci, qemu),
// and copies examples into scratch directories so tests never write into the source tree.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "support/require.h"
#include "support/scratch_dir.h"

namespace xb::testing {

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs argv (argv[0] searched on PATH unless it contains a '/') and collects its output.
CommandResult run(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {},
                  const std::filesystem::path& cwd = {});

std::filesystem::path xbuild_binary();  // $XBUILD_BINARY
std::filesystem::path source_root();    // $XBUILD_SOURCE_ROOT

// Runs the xbuild binary with a pinned SOURCE_DATE_EPOCH.
CommandResult xbuild(const std::vector<std::string>& args, const std::filesystem::path& cwd = {},
                     const std::map<std::string, std::string>& env = {});

// examples/hello's build and test stages for linux/amd64 and linux/arm64 only: the small
// project that the failure, cache and report tests vary.
extern const char* const kTwoPlatformConfig;

// Copies examples/<name> into `destination` (without any state directory).
std::filesystem::path copy_example(const std::string& name, const std::filesystem::path& destination);

// The ELF e_machine of a file (0x3e x86_64, 0xb7 aarch64, 0x28 arm, 0x03 i386, 0xf3 riscv), or -1.
int elf_machine(const std::filesystem::path& file);

}  // namespace xb::testing

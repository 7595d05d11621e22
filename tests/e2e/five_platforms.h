// The five Linux platforms that end-to-end tests of real projects build at once, what such a test
// needs of the machine for them, how it runs xbuild for them (cold stages, Debian sysroots kept
// between runs), and what it reads back: `xbuild plan`'s word on how their binaries run, and each
// stage's log.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "e2e/e2e_support.h"

namespace xb::testing {

struct TargetPlatform {
  std::string name;    // "linux/arm/v7"
  std::string slug;    // "linux-arm-v7": its directories under .xbuild/
  std::string triple;  // "arm-linux-gnueabihf": its cross C library is /usr/<triple>
  std::string debian;  // "armhf": Debian's name of its architecture
  std::string suite;   // "bookworm": the suite of its sysroot of [targets] packages (trixie for riscv64)
};

// linux/amd64, linux/arm64, linux/arm/v7, linux/386, linux/riscv64, in that order.
const std::vector<TargetPlatform>& five_platforms();

// The xbuild.toml of project `name` for the five platforms: [project], [targets] (its last line
// the platforms, so `rest` may add keys to it) and `rest`.
std::string five_platform_config(const std::string& name, const std::string& rest);

// The compilers and QEMU runners of the five platforms, then `more`.
std::vector<std::string> five_platform_tools(const std::vector<std::string>& more = {});

// Where the running test's Debian sysroots are kept: $XBUILD_TEST_CACHE/trees/<Suite>.<Test>
// (created when missing), made by its first run on a machine and reused by every later one.
std::filesystem::path test_tree_cache();

// The arguments of every `xbuild run` of a real project: --no-cache (every stage runs, none is
// replayed: it turns off the stage cache, not the trees) and --cache-dir test_tree_cache().
std::vector<std::string> five_platform_run_args();

// `xbuild plan` in `project`, its trees resolved in test_tree_cache() as the runs' are.
CommandResult five_platform_plan(const std::filesystem::path& project);

// Why the four cross platforms' binaries cannot run by their path in `project`, as `xbuild plan`
// says ("" when they all can: a binfmt_misc handler of the stage's own, Linux 6.7 or later).
std::string binaries_not_run_by_path(const std::filesystem::path& project);

// .xbuild/logs/<slug>/<stage>.log of `project` ("" when there is none).
std::string stage_log(const std::filesystem::path& project, const TargetPlatform& platform, const std::string& stage);

}  // namespace xb::testing

#include "e2e/five_platforms.h"

#include <gtest/gtest.h>

#include "e2e/debian_rootfs.h"
#include "e2e/e2e_support.h"
#include "util/fs.h"

namespace xb::testing {

namespace fs = std::filesystem;

const std::vector<TargetPlatform>& five_platforms() {
  static const std::vector<TargetPlatform> platforms = {
      {"linux/amd64", "linux-amd64", "x86_64-linux-gnu", "amd64", "bookworm"},
      {"linux/arm64", "linux-arm64", "aarch64-linux-gnu", "arm64", "bookworm"},
      {"linux/arm/v7", "linux-arm-v7", "arm-linux-gnueabihf", "armhf", "bookworm"},
      {"linux/386", "linux-386", "i686-linux-gnu", "i386", "bookworm"},
      {"linux/riscv64", "linux-riscv64", "riscv64-linux-gnu", "riscv64", "trixie"},
  };
  return platforms;
}

std::string five_platform_config(const std::string& name, const std::string& rest) {
  return "[project]\nname = \"" + name +
         "\"\n\n[targets]\n"
         "platforms = [\"linux/amd64\", \"linux/arm64\", \"linux/arm/v7\", \"linux/386\", \"linux/riscv64\"]\n" +
         rest;
}

std::vector<std::string> five_platform_tools(const std::vector<std::string>& more) {
  std::vector<std::string> tools = {"x86_64-linux-gnu-gcc", "aarch64-linux-gnu-gcc", "arm-linux-gnueabihf-gcc",
                                    "i686-linux-gnu-gcc",   "riscv64-linux-gnu-gcc", "qemu-aarch64-static",
                                    "qemu-arm-static",      "qemu-i386-static",      "qemu-riscv64-static"};
  tools.insert(tools.end(), more.begin(), more.end());
  return tools;
}

fs::path test_tree_cache() {
  const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
  fs::path dir = rootfs_cache_dir() / "trees" /
                 (test ? std::string(test->test_suite_name()) + "." + test->name() : std::string("outside-a-test"));
  std::error_code ec;
  fs::create_directories(dir, ec);
  return dir;
}

std::vector<std::string> five_platform_run_args() { return {"--no-cache", "--cache-dir", test_tree_cache().string()}; }

CommandResult five_platform_plan(const fs::path& project) {
  return xbuild({"plan"}, project, {{"XBUILD_CACHE_DIR", test_tree_cache().string()}});
}

std::string binaries_not_run_by_path(const fs::path& project) {
  CommandResult plan = five_platform_plan(project);
  std::string missing;
  for (const TargetPlatform& platform : five_platforms()) {
    if (platform.name == "linux/amd64") continue;
    if (plan.out.find("  " + platform.name + ": QEMU through a binfmt_misc handler of the stage's own") ==
        std::string::npos)
      missing += (missing.empty() ? "" : ", ") + platform.name;
  }
  if (missing.empty()) return "";
  return "the binaries of " + missing + " cannot run by their path here (Linux 6.7 or later runs them):\n" + plan.out +
         plan.err;
}

std::string stage_log(const fs::path& project, const TargetPlatform& platform, const std::string& stage) {
  Result<std::string> text = read_file(project / ".xbuild" / "logs" / platform.slug / (stage + ".log"));
  return text ? text.value() : "";
}

}  // namespace xb::testing

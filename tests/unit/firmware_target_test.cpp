// toolchains/firmware/*.toml: the shipped targets, and every way a file can be wrong.
#include <gtest/gtest.h>

#include "firmware/qemu_test.h"
#include "firmware/target.h"
#include "support/scratch_dir.h"
#include "toolchain/toolchain.h"

namespace xb::firmware {
namespace {

using testing::ScratchDir;

const std::string kGood =
    "name = \"m0\"\ntriple = \"arm-none-eabi\"\ncpu = \"cortex-m0\"\nmachine = \"microbit\"\n"
    "cflags = [\"-mcpu=cortex-m0\", \"-mthumb\"]\nldflags = [\"--specs=rdimon.specs\"]\n"
    "[packages]\ncompiler = [\"gcc-arm-none-eabi\"]\nrunner = [\"qemu-system-arm\"]\n";

TEST(FirmwareTarget, ShippedTargetsNameCpuAndBoard) {
  auto targets = load_targets(data_directory() / "toolchains" / "firmware");
  ASSERT_TRUE(targets.ok()) << targets.error();
  ASSERT_EQ(targets.value().size(), 3u);
  Target m4 = find_target(data_directory() / "toolchains" / "firmware", "cortex-m4").value();
  EXPECT_EQ(m4.triple, "arm-none-eabi");
  EXPECT_EQ(m4.machine, "mps2-an386");
  EXPECT_EQ(m4.cflags, (std::vector<std::string>{"-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=soft"}));
  EXPECT_EQ(
      qemu_command(m4, "t.elf"),
      (std::vector<std::string>{"qemu-system-arm", "-M", "mps2-an386", "-cpu", "cortex-m4", "-nographic", "-monitor",
                                "none", "-semihosting-config", "enable=on,target=native", "-kernel", "t.elf"}));
}

TEST(FirmwareTarget, AGoodFileLoads) {
  ScratchDir dir;
  dir.write("m0.toml", kGood);
  Target m0 = find_target(dir.path(), "m0").value();
  EXPECT_EQ(m0.packages.at("runner"), std::vector<std::string>{"qemu-system-arm"});
  auto env = stage_environment(m0, "/usr/bin/xbuild", {}, {});
  EXPECT_EQ(env.at("CFLAGS"), "-mcpu=cortex-m0 -mthumb");
  EXPECT_EQ(env.at("SIZE"), "arm-none-eabi-size");
  EXPECT_EQ(env.at("XBUILD_EXEC"), "/usr/bin/xbuild firmware test --target m0");
  EXPECT_EQ(env.count("XBUILD_MESON_CROSS_FILE"), 0u);
}

void expect_error(const std::string& content, const std::string& message) {
  ScratchDir dir;
  dir.write("m0.toml", content);
  auto targets = load_targets(dir.path());
  ASSERT_FALSE(targets.ok());
  EXPECT_EQ(targets.error(), (dir / "m0.toml").string() + message);
}

TEST(FirmwareTarget, EveryMistakeIsNamed) {
  expect_error("flash = 1\n" + kGood,
               ":1:9: unknown key \"flash\"; known keys: name, triple, cpu, machine, cflags, ldflags, packages");
  std::string no_machine = kGood;
  no_machine.erase(no_machine.find("machine"), std::string("machine = \"microbit\"\n").size());
  expect_error(no_machine, ": missing key \"machine\"; add machine = \"...\"");
  std::string bad_cpu = kGood;
  bad_cpu.replace(bad_cpu.find("\"cortex-m0\""), 11, "3");
  expect_error(bad_cpu, ":3:7: \"cpu\" must be a string");
  std::string bad_flags = kGood;
  bad_flags.replace(bad_flags.find("[\"--specs=rdimon.specs\"]"), 24, "[1]");
  expect_error(bad_flags, ":6:12: \"ldflags\" must be an array of strings");
  std::string renamed = kGood;
  renamed.replace(renamed.find("\"m0\""), 4, "\"m1\"");
  expect_error(renamed, ":1:8: name \"m1\" must match the file name (\"m0\")");
  expect_error(kGood.substr(0, kGood.find("[packages]")),
               ": missing table [packages] (compiler = [...], runner = [...])");
  expect_error(kGood + "board = 1\n", ":10:9: unknown key \"board\" in [packages]; known keys: compiler, runner");
  expect_error("name = \n", ":1: Error while parsing key-value pair: expected value, saw '\\n'");
}

}  // namespace
}  // namespace xb::firmware

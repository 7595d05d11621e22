// toolchains/firmware/*.toml: the shipped targets, and every way a file can be wrong.
#include "toolchain/firmware_target.h"

#include <gtest/gtest.h>

#include "firmware/qemu_test.h"
#include "support/scratch_dir.h"
#include "toolchain/environment.h"
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

TEST(FirmwareTarget, AnUnknownTargetListsTheKnownOnes) {
  ScratchDir dir;
  dir.write("m0.toml", kGood);
  Result<Target> target = find_target(dir.path(), "m7");
  ASSERT_FALSE(target.ok());
  EXPECT_EQ(target.error(), "unknown firmware target \"m7\"; known targets: m0 (files in " + dir.path().string() + ")");
}

// The error of a directory holding only m0.toml with `content`, without the file's name.
std::string error_of(const std::string& content) {
  ScratchDir dir;
  dir.write("m0.toml", content);
  auto targets = load_targets(dir.path());
  if (targets.ok()) return "";
  std::string file = (dir / "m0.toml").string();
  std::string error = targets.error();
  for (std::size_t at = error.find(file); at != std::string::npos; at = error.find(file, at))
    error.replace(at, file.size(), "m0.toml");
  return error;
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  std::size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST(FirmwareTarget, EveryMistakeIsNamed) {
  EXPECT_EQ(error_of("flash = 1\n" + kGood),
            "m0.toml:1:1: error: unknown key \"flash\" at the top level; valid keys are \"name\", \"triple\", "
            "\"cpu\", \"machine\", \"cflags\", \"ldflags\" and \"packages\"\n"
            "    1 | flash = 1\n"
            "      | ^");
  EXPECT_EQ(error_of(replaced(kGood, "machine = \"microbit\"\n", "")),
            "m0.toml:1:1: error: missing required key \"machine\" at the top level\n"
            "    1 | name = \"m0\"\n"
            "      | ^");
  EXPECT_EQ(error_of(replaced(kGood, "\"cortex-m0\"", "3")),
            "m0.toml:3:7: error: \"cpu\" at the top level: expected a string, found an integer\n"
            "    3 | cpu = 3\n"
            "      |       ^");
  EXPECT_EQ(error_of(replaced(kGood, "[\"--specs=rdimon.specs\"]", "[1]")),
            "m0.toml:6:12: error: \"ldflags\" at the top level: expected an array of strings, but element 1 is an "
            "integer\n"
            "    6 | ldflags = [1]\n"
            "      |            ^");
  EXPECT_EQ(error_of(replaced(kGood, "\"m0\"", "\"m1\"")),
            "m0.toml:1:8: error: name \"m1\" must match the file name (\"m0\")\n"
            "    1 | name = \"m1\"\n"
            "      |        ^");
  EXPECT_EQ(error_of(kGood.substr(0, kGood.find("[packages]"))),
            "m0.toml:1:1: error: missing required table [packages]\n"
            "    1 | name = \"m0\"\n"
            "      | ^");
  EXPECT_EQ(error_of(kGood + "board = 1\n"),
            "m0.toml:10:1: error: unknown key \"board\" in [packages]; valid keys are \"compiler\" and \"runner\"\n"
            "   10 | board = 1\n"
            "      | ^");
  EXPECT_EQ(error_of("name = \n"),
            "m0.toml:1:8: error: TOML syntax error while parsing key-value pair: expected value, saw '\\n'\n"
            "    1 | name = \n"
            "      |        ^");
}

// Every problem of every file at once, each file's from top to bottom, the files in name order.
TEST(FirmwareTarget, EveryProblemOfEveryFileIsReportedAtOnce) {
  ScratchDir dir;
  dir.write("m0.toml", replaced(replaced(replaced(kGood, "cpu = \"cortex-m0\"\n", "cpu = \"\"\n"), "\"m0\"", "\"m3\""),
                                "runner = [\"qemu-system-arm\"]", "runer = [\"qemu-system-arm\"]"));
  dir.write("a.toml", "name = \"a\"\nflags = []\n");
  auto targets = load_targets(dir.path());
  ASSERT_FALSE(targets.ok());
  std::string a = (dir / "a.toml").string();
  std::string m0 = (dir / "m0.toml").string();
  EXPECT_EQ(targets.error(), a +
                                 ":1:1: error: missing required key \"triple\" at the top level\n"
                                 "    1 | name = \"a\"\n"
                                 "      | ^\n" +
                                 a +
                                 ":1:1: error: missing required key \"cpu\" at the top level\n"
                                 "    1 | name = \"a\"\n"
                                 "      | ^\n" +
                                 a +
                                 ":1:1: error: missing required key \"machine\" at the top level\n"
                                 "    1 | name = \"a\"\n"
                                 "      | ^\n" +
                                 a +
                                 ":1:1: error: missing required key \"cflags\" at the top level\n"
                                 "    1 | name = \"a\"\n"
                                 "      | ^\n" +
                                 a +
                                 ":1:1: error: missing required key \"ldflags\" at the top level\n"
                                 "    1 | name = \"a\"\n"
                                 "      | ^\n" +
                                 a +
                                 ":1:1: error: missing required table [packages]\n"
                                 "    1 | name = \"a\"\n"
                                 "      | ^\n" +
                                 a +
                                 ":2:1: error: unknown key \"flags\" at the top level; did you mean \"cflags\"?\n"
                                 "    2 | flags = []\n"
                                 "      | ^\n" +
                                 m0 +
                                 ":1:8: error: name \"m3\" must match the file name (\"m0\")\n"
                                 "    1 | name = \"m3\"\n"
                                 "      |        ^\n" +
                                 m0 +
                                 ":3:7: error: \"cpu\" at the top level must not be empty\n"
                                 "    3 | cpu = \"\"\n"
                                 "      |       ^\n" +
                                 m0 +
                                 ":7:1: error: missing required key \"runner\" in [packages]\n"
                                 "    7 | [packages]\n"
                                 "      | ^\n" +
                                 m0 +
                                 ":9:1: error: unknown key \"runer\" in [packages]; did you mean \"runner\"?\n"
                                 "    9 | runer = [\"qemu-system-arm\"]\n"
                                 "      | ^");
}

}  // namespace
}  // namespace xb::firmware

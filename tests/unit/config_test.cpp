// Tests for config: xbuild.toml text in, a Config or the exact diagnostics a user sees out.
#include "config/config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <variant>

#include "support/scratch_dir.h"

namespace xb {
namespace {

namespace fs = std::filesystem;

// The smallest valid file; error tests append the part they are about.
const char* const kMinimal = R"([project]
name = "hello"

[targets]
platforms = ["linux/amd64"]

[stage.build]
run = "make"
)";

// Parses `text` as "xbuild.toml" and returns the rendered errors, or "" when it is valid.
std::string errors_in(std::string_view text) {
  ConfigResult result = parse_config(text, "xbuild.toml");
  if (const ConfigErrors* errors = std::get_if<ConfigErrors>(&result)) return errors->render();
  return "";
}

// Parses `text`, failing the test with the rendered errors when it is not valid.
Config parse_valid(std::string_view text) {
  ConfigResult result = parse_config(text, "xbuild.toml");
  if (const ConfigErrors* errors = std::get_if<ConfigErrors>(&result)) {
    ADD_FAILURE() << errors->render();
    return Config{};
  }
  return std::get<Config>(std::move(result));
}

std::vector<std::string> stage_names(const Config& config) {
  std::vector<std::string> names;
  for (const StageSpec& stage : config.stages) names.push_back(stage.name);
  return names;
}

using Env = std::map<std::string, std::string>;

// ---------------------------------------------------------------------------------------------
// Good inputs

TEST(ConfigTest, ReadsEveryField) {
  Config config = parse_valid(R"(# a full file
[project]
name = "hello"
version = "1.0.0"

[targets]
platforms = ["linux/amd64", "linux/arm64", "linux/arm/v7", "linux/386", "linux/riscv64"]

[stage.build]
run = "make -C src"
env = { OPT = "-O2", DEBUG = "0" }
timeout = 600

[stage.test]
needs = ["build"]
run = "make check"
timeout = "1h30m"

[image]
name = "localhost:5000/demo/hello"
tags = ["1.0.0", "latest"]
from = "scratch"
entrypoint = ["/app/hello"]
cmd = ["--help"]
env = { LANG = "C.UTF-8" }
workdir = "/app"
user = "1000:1000"
labels = { "org.opencontainers.image.source" = "https://example.com/hello" }
copy = [{ from = "hello", to = "/app/hello" }, { from = "share/doc", to = "/usr/share/doc" }]

[platform."linux/riscv64"]
strategy = "emulate"
env = { QEMU_CPU = "rv64" }
rootfs = "oci:rootfs/riscv64"

[platform."linux/riscv64".stage.build]
run = "make -C src CFLAGS=-O1"
env = { SLOW = "1" }

[platform."linux/arm/v7"]
strategy = "cross"
)");
  EXPECT_EQ(config.file, fs::current_path() / "xbuild.toml");
  EXPECT_EQ(config.directory, fs::current_path());
  EXPECT_EQ(config.project.name, "hello");
  EXPECT_EQ(config.project.version, "1.0.0");

  ASSERT_EQ(config.platforms.size(), 5u);
  EXPECT_EQ(config.platforms[0].str(), "linux/amd64");
  EXPECT_EQ(config.platforms[1].str(), "linux/arm64");
  EXPECT_EQ(config.platforms[2].str(), "linux/arm/v7");
  EXPECT_EQ(config.platforms[3].str(), "linux/386");
  EXPECT_EQ(config.platforms[4].str(), "linux/riscv64");

  ASSERT_EQ(config.stages.size(), 2u);
  const StageSpec& build = config.stages[0];
  EXPECT_EQ(build.name, "build");
  EXPECT_EQ(build.run, "make -C src");
  EXPECT_TRUE(build.needs.empty());
  EXPECT_EQ(build.env, (Env{{"DEBUG", "0"}, {"OPT", "-O2"}}));
  EXPECT_EQ(build.timeout_seconds, 600);
  EXPECT_EQ(build.location.file, "xbuild.toml");
  EXPECT_EQ(build.location.line, 9);
  EXPECT_EQ(build.location.column, 8);
  const StageSpec& test = config.stages[1];
  EXPECT_EQ(test.name, "test");
  EXPECT_EQ(test.run, "make check");
  EXPECT_EQ(test.needs, std::vector<std::string>{"build"});
  EXPECT_TRUE(test.env.empty());
  EXPECT_EQ(test.timeout_seconds, 5400);
  EXPECT_EQ(test.location.line, 14);

  const ImageSpec& image = config.image;
  EXPECT_EQ(image.name, "localhost:5000/demo/hello");
  EXPECT_EQ(image.tags, (std::vector<std::string>{"1.0.0", "latest"}));
  EXPECT_EQ(image.from, "scratch");
  EXPECT_EQ(image.entrypoint, std::vector<std::string>{"/app/hello"});
  EXPECT_EQ(image.cmd, std::vector<std::string>{"--help"});
  EXPECT_EQ(image.env, (Env{{"LANG", "C.UTF-8"}}));
  EXPECT_EQ(image.workdir, "/app");
  EXPECT_EQ(image.user, "1000:1000");
  EXPECT_EQ(image.labels, (Env{{"org.opencontainers.image.source", "https://example.com/hello"}}));
  ASSERT_EQ(image.copy.size(), 2u);
  EXPECT_EQ(image.copy[0].from, "hello");
  EXPECT_EQ(image.copy[0].to, "/app/hello");
  EXPECT_EQ(image.copy[1].from, "share/doc");
  EXPECT_EQ(image.copy[1].to, "/usr/share/doc");

  ASSERT_EQ(config.overrides.size(), 2u);
  const PlatformOverride& riscv = config.overrides.at("linux/riscv64");
  EXPECT_EQ(riscv.strategy, Strategy::emulate);
  EXPECT_EQ(riscv.env, (Env{{"QEMU_CPU", "rv64"}}));
  EXPECT_EQ(riscv.rootfs, "oci:rootfs/riscv64");
  EXPECT_EQ(riscv.location.line, 31);
  EXPECT_EQ(riscv.location.column, 11);
  ASSERT_EQ(riscv.stages.size(), 1u);
  EXPECT_EQ(riscv.stages.at("build").run, "make -C src CFLAGS=-O1");
  EXPECT_EQ(riscv.stages.at("build").env, (Env{{"SLOW", "1"}}));
  const PlatformOverride& arm = config.overrides.at("linux/arm/v7");
  EXPECT_EQ(arm.strategy, Strategy::cross);
  EXPECT_TRUE(arm.env.empty());
  EXPECT_FALSE(arm.rootfs.has_value());
  EXPECT_TRUE(arm.stages.empty());
}

TEST(ConfigTest, DefaultsForEverythingOptional) {
  Config config = parse_valid(kMinimal);
  EXPECT_EQ(config.project.version, "");
  const StageSpec& build = config.stages.at(0);
  EXPECT_TRUE(build.needs.empty());
  EXPECT_TRUE(build.env.empty());
  EXPECT_EQ(build.timeout_seconds, 0);
  EXPECT_EQ(config.image.name, "hello");  // the project's name
  EXPECT_EQ(config.image.tags, std::vector<std::string>{"latest"});
  EXPECT_EQ(config.image.from, "scratch");
  EXPECT_TRUE(config.image.entrypoint.empty());
  EXPECT_TRUE(config.image.cmd.empty());
  EXPECT_TRUE(config.image.env.empty());
  EXPECT_EQ(config.image.workdir, "");
  EXPECT_EQ(config.image.user, "");
  EXPECT_TRUE(config.image.labels.empty());
  EXPECT_TRUE(config.image.copy.empty());
  EXPECT_FALSE(config.image.compression_level.has_value());
  EXPECT_TRUE(config.overrides.empty());
}

TEST(ConfigTest, ImageCompressionLevel) {
  for (int level : {0, 6, 9}) {
    Config config = parse_valid(std::string(kMinimal) + "[image]\ncompression_level = " + std::to_string(level) + "\n");
    EXPECT_EQ(config.image.compression_level, level);
  }
  EXPECT_EQ(
      errors_in(std::string(kMinimal) + "[image]\ncompression_level = 10\n"),
      R"(xbuild.toml:10:21: error: "compression_level" in [image] must be a gzip level from 0 (stored) to 9 (smallest)
   10 | compression_level = 10
      |                     ^
1 error in xbuild.toml
)");
  EXPECT_EQ(
      errors_in(std::string(kMinimal) + "[image]\ncompression_level = \"fast\"\n"),
      R"(xbuild.toml:10:21: error: "compression_level" in [image] must be a gzip level from 0 (stored) to 9 (smallest)
   10 | compression_level = "fast"
      |                     ^
1 error in xbuild.toml
)");
}

TEST(ConfigTest, StagesKeepTheOrderTheyWereWrittenIn) {
  Config config = parse_valid(R"([project]
name = "order"
[targets]
platforms = ["linux/amd64"]
[stage.zeta]
run = "1"
[stage.alpha]
run = "2"
[stage.mid]
run = "3"
needs = ["zeta", "alpha"]
)");
  EXPECT_EQ(stage_names(config), (std::vector<std::string>{"zeta", "alpha", "mid"}));
  EXPECT_EQ(config.stages[2].needs, (std::vector<std::string>{"zeta", "alpha"}));
}

TEST(ConfigTest, StagesWrittenAsInlineTablesKeepTheirOrderToo) {
  Config config = parse_valid(R"(stage.b = { run = "1" }
stage.a = { run = "2", needs = ["b"] }
[project]
name = "inline"
[targets]
platforms = ["linux/amd64"]
)");
  EXPECT_EQ(stage_names(config), (std::vector<std::string>{"b", "a"}));
}

TEST(ConfigTest, PlatformsAreNormalized) {
  Config config = parse_valid(R"([project]
name = "hello"
[targets]
platforms = ["linux/x86_64", "linux/aarch64", "linux/armhf", "Linux/i686"]
[stage.build]
run = "make"
[platform."linux/aarch64"]
strategy = "native"
)");
  ASSERT_EQ(config.platforms.size(), 4u);
  EXPECT_EQ(config.platforms[0].str(), "linux/amd64");
  EXPECT_EQ(config.platforms[1].str(), "linux/arm64");
  EXPECT_EQ(config.platforms[2].str(), "linux/arm/v7");
  EXPECT_EQ(config.platforms[3].str(), "linux/386");
  ASSERT_EQ(config.overrides.count("linux/arm64"), 1u);
  EXPECT_EQ(config.overrides.at("linux/arm64").strategy, Strategy::native);
}

TEST(ConfigTest, TimeoutsInSecondsOrAsDurations) {
  Config config = parse_valid(std::string(kMinimal) + R"(timeout = 1
[stage.a]
run = "a"
timeout = "90s"
[stage.b]
run = "b"
timeout = "10m"
[stage.c]
run = "c"
timeout = "1h"
[stage.d]
run = "d"
timeout = "1h30m"
[stage.e]
run = "e"
timeout = "2h0m5s"
)");
  std::vector<int> timeouts;
  for (const StageSpec& stage : config.stages) timeouts.push_back(stage.timeout_seconds);
  EXPECT_EQ(timeouts, (std::vector<int>{1, 90, 600, 3600, 5400, 7205}));
}

TEST(ConfigTest, InputGlobsAbsentEmptyOrGiven) {
  Config config = parse_valid(std::string(kMinimal) + R"(inputs = ["src/**/*.c", "Makefile", "tests/*"]
[stage.test]
run = "t"
inputs = []
[stage.lint]
run = "l"
)");
  ASSERT_EQ(config.stages.size(), 3u);
  EXPECT_EQ(config.stages[0].inputs, (std::vector<std::string>{"src/**/*.c", "Makefile", "tests/*"}));
  EXPECT_EQ(config.stages[1].inputs, std::vector<std::string>{});
  EXPECT_EQ(config.stages[2].inputs, std::nullopt) << "absent: every project file";
}

TEST(ConfigErrorsTest, InputGlobsStayInsideTheProject) {
  EXPECT_EQ(
      errors_in(std::string(kMinimal) + R"(inputs = ["/etc/*", "src/../../x", " ", 3]
[stage.test]
run = "t"
inputs = "src/*"
)"),
      R"(xbuild.toml:9:11: error: "inputs" in [stage.build] must be globs relative to the project directory, not an absolute path: "/etc/*"
    9 | inputs = ["/etc/*", "src/../../x", " ", 3]
      |           ^
xbuild.toml:9:21: error: "inputs" in [stage.build] must stay inside the project directory: "src/../../x" leaves it through ".."
    9 | inputs = ["/etc/*", "src/../../x", " ", 3]
      |                     ^
xbuild.toml:9:36: error: "inputs" in [stage.build] must not hold an empty glob
    9 | inputs = ["/etc/*", "src/../../x", " ", 3]
      |                                    ^
xbuild.toml:9:41: error: "inputs" in [stage.build]: expected an array of strings, but element 4 is an integer
    9 | inputs = ["/etc/*", "src/../../x", " ", 3]
      |                                         ^
xbuild.toml:12:10: error: "inputs" in [stage.test]: expected an array of strings, found a string
   12 | inputs = "src/*"
      |          ^
5 errors in xbuild.toml
)");
}

TEST(ConfigTest, FirmwareTargetsArePlatformsNoneArmCpu) {
  Config config = parse_valid(R"([project]
name = "fw"

[targets]
platforms = ["linux/amd64"]
firmware = ["cortex-m4", "cortex-m33"]

[stage.build]
run = "make"

[firmware]
elf = "bin/app.elf"
name = "app"
timeout = "2m"
pass_pattern = "^ALL PASS$"

[platform."none/arm/cortex-m4".stage.build]
run = "make m4"
)");
  std::vector<std::string> names;
  for (const Platform& platform : config.platforms) names.push_back(platform.str());
  EXPECT_EQ(names, (std::vector<std::string>{"linux/amd64", "none/arm/cortex-m4", "none/arm/cortex-m33"}));
  EXPECT_TRUE(is_bare_metal(config.platforms[1]));
  EXPECT_FALSE(is_bare_metal(config.platforms[0]));
  EXPECT_EQ(config.firmware.elf, "bin/app.elf");
  EXPECT_EQ(config.firmware.name, "app");
  EXPECT_EQ(config.firmware.test_timeout_seconds, 120);
  EXPECT_EQ(config.firmware.pass_pattern, "^ALL PASS$");
  EXPECT_EQ(config.overrides.at("none/arm/cortex-m4").stages.at("build").run, "make m4");

  // Firmware alone is a whole matrix; [firmware] has defaults.
  config = parse_valid("[project]\nname = \"fw\"\n[targets]\nfirmware = [\"cortex-m3\"]\n[stage.b]\nrun = \"make\"\n");
  ASSERT_EQ(config.platforms.size(), 1u);
  EXPECT_EQ(config.platforms[0].str(), "none/arm/cortex-m3");
  EXPECT_EQ(config.firmware.elf, "firmware.elf");
  EXPECT_EQ(config.firmware.test_timeout_seconds, 0);
}

TEST(ConfigErrorsTest, FirmwareTargetsAndTheirTable) {
  EXPECT_EQ(
      errors_in(R"([project]
name = "fw"

[targets]
platforms = ["linux/amd64", "none/arm/cortex-m4"]
firmware = ["cortex-m4", "arm/m3", ""]

[stage.build]
run = "make"

[firmware]
elf = "../firmware.elf"
name = "a/b"
pass_pattern = "("
timeout = 0
size = 1

[platform."none/arm/cortex-m4"]
strategy = "emulate"
rootfs = "oci:x"

[builder.pi]
ssh = "pi"
platforms = ["none/arm/cortex-m4"]
)"),
      R"(xbuild.toml:6:13: error: duplicate platform "none/arm/cortex-m4" in [targets] firmware: "none/arm/cortex-m4" and "cortex-m4" both name none/arm/cortex-m4
    6 | firmware = ["cortex-m4", "arm/m3", ""]
      |             ^
xbuild.toml:6:26: error: invalid firmware target "arm/m3" in [targets] firmware: expected the name of a file in toolchains/firmware/, such as "cortex-m4"
    6 | firmware = ["cortex-m4", "arm/m3", ""]
      |                          ^
xbuild.toml:6:36: error: invalid firmware target "" in [targets] firmware: expected the name of a file in toolchains/firmware/, such as "cortex-m4"
    6 | firmware = ["cortex-m4", "arm/m3", ""]
      |                                    ^
xbuild.toml:12:7: error: "elf" in [firmware] must stay inside the output directory: "../firmware.elf" contains ".."
   12 | elf = "../firmware.elf"
      |       ^
xbuild.toml:13:8: error: "name" in [firmware] names the artifact's files (NAME.elf, NAME.bin, ...) and must not contain "/": "a/b"
   13 | name = "a/b"
      |        ^
xbuild.toml:14:16: error: "pass_pattern" in [firmware] is not a valid regular expression (Mismatched '(' and ')' in regular expression): "("
   14 | pass_pattern = "("
      |                ^
xbuild.toml:15:11: error: "timeout" in [firmware] must be a positive number of seconds, got 0
   15 | timeout = 0
      |           ^
xbuild.toml:16:1: error: unknown key "size" in [firmware]; valid keys are "elf", "name", "timeout" and "pass_pattern"
   16 | size = 1
      | ^
xbuild.toml:19:12: error: strategy "emulate" in [platform."none/arm/cortex-m4"] cannot build none/arm/cortex-m4: bare-metal targets build with their cross toolchain; use "cross" or remove it
   19 | strategy = "emulate"
      |            ^
xbuild.toml:20:10: error: "rootfs" in [platform."none/arm/cortex-m4"] does not apply to none/arm/cortex-m4: a bare-metal target becomes a firmware artifact, not an image; remove it
   20 | rootfs = "oci:x"
      |          ^
xbuild.toml:24:14: error: [builder.pi] cannot build none/arm/cortex-m4: bare-metal targets build on this machine with their cross toolchain; remove it here
   24 | platforms = ["none/arm/cortex-m4"]
      |              ^
11 errors in xbuild.toml
)");
  EXPECT_EQ(
      errors_in("[project]\nname = \"fw\"\n[targets]\nfirmware = []\n[stage.b]\nrun = \"m\"\n[firmware]\n"),
      R"(xbuild.toml:4:12: error: "firmware" in [targets] must not be empty: list at least one bare-metal target, for example "cortex-m4" (a file name in toolchains/firmware/)
    4 | firmware = []
      |            ^
xbuild.toml:7:1: error: [firmware] describes the bare-metal targets, but [targets] names none: add firmware = ["cortex-m4"] to [targets], or remove [firmware]
    7 | [firmware]
      | ^
2 errors in xbuild.toml
)");
  EXPECT_EQ(
      errors_in("[project]\nname = \"fw\"\n[targets]\nplatforms = [\"linux/amd64\"]\n[stage.b]\nrun = "
                "\"m\"\n[firmware]\nelf = \"x.elf\"\n"),
      R"(xbuild.toml:7:1: error: [firmware] describes the bare-metal targets, but [targets] names none: add firmware = ["cortex-m4"] to [targets], or remove [firmware]
    7 | [firmware]
      | ^
1 error in xbuild.toml
)");
}

TEST(ConfigTest, PlainStringsForEntrypointAndCmdBecomeOneElementArrays) {
  Config config = parse_valid(std::string(kMinimal) + R"([image]
entrypoint = "/hello"
cmd = "--version"
)");
  EXPECT_EQ(config.image.entrypoint, std::vector<std::string>{"/hello"});
  EXPECT_EQ(config.image.cmd, std::vector<std::string>{"--version"});
}

TEST(ConfigTest, ArraysOfTablesWorkForCopy) {
  Config config = parse_valid(std::string(kMinimal) + R"([[image.copy]]
from = "bin/hello"
to = "/usr/bin/hello"
)");
  ASSERT_EQ(config.image.copy.size(), 1u);
  EXPECT_EQ(config.image.copy[0].from, "bin/hello");
  EXPECT_EQ(config.image.copy[0].to, "/usr/bin/hello");
}

TEST(ConfigTest, StrategyNames) {
  EXPECT_STREQ(strategy_name(Strategy::automatic), "auto");
  EXPECT_STREQ(strategy_name(Strategy::native), "native");
  EXPECT_STREQ(strategy_name(Strategy::cross), "cross");
  EXPECT_STREQ(strategy_name(Strategy::emulate), "emulate");
  Config config = parse_valid(std::string(kMinimal) + R"([platform."linux/amd64"]
strategy = "auto"
)");
  EXPECT_EQ(config.overrides.at("linux/amd64").strategy, Strategy::automatic);
}

TEST(ConfigTest, LoadsAFileAndRecordsWhereItIs) {
  testing::ScratchDir scratch;
  fs::path file = scratch.write("project/xbuild.toml", kMinimal);
  ConfigResult result = load_config(file);
  ASSERT_TRUE(std::holds_alternative<Config>(result)) << std::get<ConfigErrors>(result).render();
  const Config& config = std::get<Config>(result);
  EXPECT_EQ(config.file, scratch.path() / "project" / "xbuild.toml");
  EXPECT_EQ(config.directory, scratch.path() / "project");
  EXPECT_EQ(config.stages.at(0).location.file, file.string());
}

TEST(ConfigTest, TheExampleProjectIsValid) {
  ConfigResult result = load_config(fs::path(XBUILD_SOURCE_DATA_DIR) / "examples" / "hello" / "xbuild.toml");
  EXPECT_TRUE(std::holds_alternative<Config>(result)) << std::get<ConfigErrors>(result).render();
}

// ---------------------------------------------------------------------------------------------
// Bad inputs: the exact text a user sees

TEST(ConfigErrorsTest, MissingFile) {
  testing::ScratchDir scratch;
  fs::path file = scratch / "xbuild.toml";
  ConfigResult result = load_config(file);
  ASSERT_TRUE(std::holds_alternative<ConfigErrors>(result));
  EXPECT_EQ(std::get<ConfigErrors>(result).render(), file.string() + ": error: cannot read " + file.string() +
                                                         ": No such file or directory\n" + "1 error in " +
                                                         file.string() + "\n");
}

TEST(ConfigErrorsTest, FilesAreNamedAsTheCallerPassedThem) {
  ConfigResult result = load_config("no/such/dir/xbuild.toml");
  ASSERT_TRUE(std::holds_alternative<ConfigErrors>(result));
  EXPECT_EQ(std::get<ConfigErrors>(result).render(),
            "no/such/dir/xbuild.toml: error: cannot read no/such/dir/xbuild.toml: No such file or directory\n"
            "1 error in no/such/dir/xbuild.toml\n");
}

TEST(ConfigErrorsTest, SyntaxErrorStopsAtTheFirst) {
  EXPECT_EQ(
      errors_in(R"([project]
name = "hello" version = "1"
[targets
)"),
      R"(xbuild.toml:2:16: error: TOML syntax error while parsing key-value pair: expected a comment or whitespace, saw 'v'
    2 | name = "hello" version = "1"
      |                ^
1 error in xbuild.toml
)");
}

TEST(ConfigErrorsTest, RedefinedKeyIsASyntaxError) {
  EXPECT_EQ(
      errors_in(std::string(kMinimal) + "run = \"again\"\n"),
      R"(xbuild.toml:9:7: error: TOML syntax error while parsing key-value pair: cannot redefine existing string 'run'
    9 | run = "again"
      |       ^
1 error in xbuild.toml
)");
}

TEST(ConfigErrorsTest, UnknownKeyInAStageSuggestsTheClosest) {
  EXPECT_EQ(errors_in(std::string(kMinimal) + R"(
[stage.test]
nedes = ["build"]
run = "make test"
)"),
            R"(xbuild.toml:11:1: error: unknown key "nedes" in [stage.test]; did you mean "needs"?
   11 | nedes = ["build"]
      | ^
1 error in xbuild.toml
)");
}

TEST(ConfigErrorsTest, UnknownKeysAtEveryLevel) {
  EXPECT_EQ(errors_in(R"([projct]
name = "x"

[project]
name = "hello"
verison = "1"

[targets]
platform = ["linux/amd64"]
platforms = ["linux/amd64"]

[stage.build]
run = "make"
timout = 5
colour = "red"

[image]
tag = ["1"]
copy = [{ from = "a", too = "/a" }]

[platform."linux/amd64"]
strategie = "cross"

[platform."linux/amd64".stage.build]
runn = "x"
)"),
            R"(xbuild.toml:1:2: error: unknown key "projct" at the top level; did you mean "project"?
    1 | [projct]
      |  ^
xbuild.toml:6:1: error: unknown key "verison" in [project]; did you mean "version"?
    6 | verison = "1"
      | ^
xbuild.toml:9:1: error: unknown key "platform" in [targets]; did you mean "platforms"?
    9 | platform = ["linux/amd64"]
      | ^
xbuild.toml:14:1: error: unknown key "timout" in [stage.build]; did you mean "timeout"?
   14 | timout = 5
      | ^
xbuild.toml:15:1: error: unknown key "colour" in [stage.build]; valid keys are "run", "needs", "env", "timeout" and "inputs"
   15 | colour = "red"
      | ^
xbuild.toml:18:1: error: unknown key "tag" in [image]; did you mean "tags"?
   18 | tag = ["1"]
      | ^
xbuild.toml:19:9: error: missing required key "to" in [image] copy entry 1
   19 | copy = [{ from = "a", too = "/a" }]
      |         ^
xbuild.toml:19:23: error: unknown key "too" in [image] copy entry 1; did you mean "to"?
   19 | copy = [{ from = "a", too = "/a" }]
      |                       ^
xbuild.toml:22:1: error: unknown key "strategie" in [platform."linux/amd64"]; did you mean "strategy"?
   22 | strategie = "cross"
      | ^
xbuild.toml:25:1: error: unknown key "runn" in [platform."linux/amd64".stage.build]; did you mean "run"?
   25 | runn = "x"
      | ^
10 errors in xbuild.toml
)");
}

TEST(ConfigErrorsTest, WrongTypes) {
  EXPECT_EQ(errors_in(R"([project]
name = 1
version = 2

[targets]
platforms = "linux/amd64"

[stage.build]
run = ["make"]
needs = "other"
env = { CC = 1, "BAD-NAME" = "x" }

[image]
tags = ["1.0", 2]
entrypoint = 5
labels = ["a"]
copy = { from = "a", to = "/a" }
)"),
            R"(xbuild.toml:2:8: error: "name" in [project]: expected a string, found an integer
    2 | name = 1
      |        ^
xbuild.toml:3:11: error: "version" in [project]: expected a string, found an integer
    3 | version = 2
      |           ^
xbuild.toml:6:13: error: "platforms" in [targets]: expected an array of strings, found a string
    6 | platforms = "linux/amd64"
      |             ^
xbuild.toml:9:7: error: "run" in [stage.build]: expected a string, found an array
    9 | run = ["make"]
      |       ^
xbuild.toml:10:9: error: "needs" in [stage.build]: expected an array of strings, found a string
   10 | needs = "other"
      |         ^
xbuild.toml:11:14: error: "env" in [stage.build]: expected a table of strings, but "CC" is an integer
   11 | env = { CC = 1, "BAD-NAME" = "x" }
      |              ^
xbuild.toml:11:17: error: invalid environment variable name "BAD-NAME" in [stage.build] env: use letters, digits and '_', and do not start with a digit
   11 | env = { CC = 1, "BAD-NAME" = "x" }
      |                 ^
xbuild.toml:14:16: error: "tags" in [image]: expected an array of strings, but element 2 is an integer
   14 | tags = ["1.0", 2]
      |                ^
xbuild.toml:15:14: error: "entrypoint" in [image]: expected a string or an array of strings, found an integer
   15 | entrypoint = 5
      |              ^
xbuild.toml:16:10: error: "labels" in [image]: expected a table of strings, found an array
   16 | labels = ["a"]
      |          ^
xbuild.toml:17:8: error: "copy" in [image]: expected an array of tables such as { from = "app", to = "/app" }, found a table
   17 | copy = { from = "a", to = "/a" }
      |        ^
11 errors in xbuild.toml
)");
}

TEST(ConfigErrorsTest, TablesOfTheWrongType) {
  EXPECT_EQ(errors_in(R"(project = "hello"
targets = ["linux/amd64"]
image = "hello"
[stage]
build = "make"
)"),
            R"(xbuild.toml:1:11: error: "project" at the top level: expected a table, found a string
    1 | project = "hello"
      |           ^
xbuild.toml:2:11: error: "targets" at the top level: expected a table, found an array
    2 | targets = ["linux/amd64"]
      |           ^
xbuild.toml:3:9: error: "image" at the top level: expected a table, found a string
    3 | image = "hello"
      |         ^
xbuild.toml:5:9: error: "build" in [stage]: expected a table, found a string; write each stage as [stage.build] with a "run" command
    5 | build = "make"
      |         ^
4 errors in xbuild.toml
)");
}

TEST(ConfigErrorsTest, MissingRequiredTablesPointAtTheStartOfTheFile) {
  EXPECT_EQ(errors_in("# nothing here yet\n"),
            R"(xbuild.toml:1:1: error: missing [project] table: add [project] with name = "..."
    1 | # nothing here yet
      | ^
xbuild.toml:1:1: error: missing [targets] table: add [targets] with platforms = ["linux/amd64", ...]
    1 | # nothing here yet
      | ^
xbuild.toml:1:1: error: no stages: add a [stage.NAME] table with a "run" command
    1 | # nothing here yet
      | ^
3 errors in xbuild.toml
)");
}

TEST(ConfigErrorsTest, MissingRequiredKeysPointAtTheirTable) {
  EXPECT_EQ(errors_in(R"([project]
version = "1"

[targets]

[stage.build]
needs = []
[stage.test]
run = "   "
)"),
            R"(xbuild.toml:1:1: error: missing required key "name" in [project]
    1 | [project]
      | ^
xbuild.toml:4:1: error: missing required key "platforms" in [targets]
    4 | [targets]
      | ^
xbuild.toml:6:1: error: missing required key "run" in [stage.build]
    6 | [stage.build]
      | ^
xbuild.toml:9:7: error: "run" in [stage.test] must not be empty
    9 | run = "   "
      |       ^
4 errors in xbuild.toml
)");
}

TEST(ConfigErrorsTest, EmptyStageTableHasNoStages) {
  EXPECT_EQ(
      errors_in(R"([project]
name = "hello"
[targets]
platforms = []
[stage]
)"),
      R"(xbuild.toml:4:13: error: "platforms" in [targets] must not be empty: list at least one platform, for example "linux/amd64"
    4 | platforms = []
      |             ^
xbuild.toml:5:1: error: no stages: add a [stage.NAME] table with a "run" command
    5 | [stage]
      | ^
2 errors in xbuild.toml
)");
}

TEST(ConfigErrorsTest, BadPlatforms) {
  EXPECT_EQ(
      errors_in(R"([project]
name = "hello"
[targets]
platforms = ["linux/arm65", "lnux/amd64", "linux//v7", "linux/amd64"]
[stage.build]
run = "make"
)"),
      R"(xbuild.toml:4:14: error: unknown platform "linux/arm65" in [targets] platforms: unknown architecture "arm65" in platform "linux/arm65"; did you mean "arm64"?
    4 | platforms = ["linux/arm65", "lnux/amd64", "linux//v7", "linux/amd64"]
      |              ^
xbuild.toml:4:29: error: unknown platform "lnux/amd64" in [targets] platforms: unknown operating system "lnux" in platform "lnux/amd64"; did you mean "linux"?
    4 | platforms = ["linux/arm65", "lnux/amd64", "linux//v7", "linux/amd64"]
      |                             ^
xbuild.toml:4:43: error: unknown platform "linux//v7" in [targets] platforms: invalid platform "linux//v7": empty component; expected os/arch[/variant], for example linux/arm/v7
    4 | platforms = ["linux/arm65", "lnux/amd64", "linux//v7", "linux/amd64"]
      |                                           ^
3 errors in xbuild.toml
)");
}

TEST(ConfigErrorsTest, DuplicatePlatforms) {
  EXPECT_EQ(
      errors_in(R"([project]
name = "hello"
[targets]
platforms = ["linux/arm/v7", "linux/amd64", "linux/armhf", "linux/amd64"]
[stage.build]
run = "make"
)"),
      R"(xbuild.toml:4:45: error: duplicate platform "linux/arm/v7" in [targets] platforms: "linux/arm/v7" and "linux/armhf" both name linux/arm/v7
    4 | platforms = ["linux/arm/v7", "linux/amd64", "linux/armhf", "linux/amd64"]
      |                                             ^
xbuild.toml:4:60: error: duplicate platform "linux/amd64" in [targets] platforms: listed twice
    4 | platforms = ["linux/arm/v7", "linux/amd64", "linux/armhf", "linux/amd64"]
      |                                                            ^
2 errors in xbuild.toml
)");
}

TEST(ConfigErrorsTest, BadStageNames) {
  EXPECT_EQ(errors_in(std::string(kMinimal) + R"([stage."unit tests"]
run = "make check"
)"),
            R"(xbuild.toml:9:8: error: invalid stage name "unit tests": use only letters, digits, '_' and '-'
    9 | [stage."unit tests"]
      |        ^
1 error in xbuild.toml
)");
}

TEST(ConfigErrorsTest, NeedsMustNameOtherStagesOnce) {
  EXPECT_EQ(errors_in(std::string(kMinimal) + R"([stage.test]
run = "make test"
needs = ["buld", "package", "test", "build", "build"]
)"),
            R"(xbuild.toml:11:10: error: unknown stage "buld" in needs of [stage.test]; did you mean "build"?
   11 | needs = ["buld", "package", "test", "build", "build"]
      |          ^
xbuild.toml:11:18: error: unknown stage "package" in needs of [stage.test]; stages are "build" and "test"
   11 | needs = ["buld", "package", "test", "build", "build"]
      |                  ^
xbuild.toml:11:29: error: stage "test" needs itself; remove "test" from its needs
   11 | needs = ["buld", "package", "test", "build", "build"]
      |                             ^
xbuild.toml:11:46: error: "build" is listed twice in needs of [stage.test]
   11 | needs = ["buld", "package", "test", "build", "build"]
      |                                              ^
4 errors in xbuild.toml
)");
}

TEST(ConfigErrorsTest, DependencyCycle) {
  EXPECT_EQ(errors_in(R"([project]
name = "hello"
[targets]
platforms = ["linux/amd64"]
[stage.build]
run = "make"
needs = ["test"]
[stage.test]
run = "make test"
needs = ["build"]
)"),
            R"(xbuild.toml:10:10: error: stage dependency cycle: build -> test -> build
   10 | needs = ["build"]
      |          ^
1 error in xbuild.toml
)");
}

TEST(ConfigErrorsTest, LongerCycleIsReportedFromWhereItStarts) {
  EXPECT_EQ(errors_in(R"([project]
name = "hello"
[targets]
platforms = ["linux/amd64"]
[stage.fetch]
run = "git pull"
[stage.build]
run = "make"
needs = ["fetch", "package"]
[stage.test]
run = "make test"
needs = ["build"]
[stage.package]
run = "tar"
needs = ["test"]
)"),
            R"(xbuild.toml:12:10: error: stage dependency cycle: build -> package -> test -> build
   12 | needs = ["build"]
      |          ^
1 error in xbuild.toml
)");
}

TEST(ConfigErrorsTest, BadTimeouts) {
  EXPECT_EQ(
      errors_in(std::string(kMinimal) + R"(timeout = "10x"
[stage.a]
run = "a"
timeout = 0
[stage.b]
run = "b"
timeout = 1.5
[stage.c]
run = "c"
timeout = "0s"
[stage.d]
run = "d"
timeout = "30s1m"
[stage.e]
run = "e"
timeout = 9999999999
)"),
      R"(xbuild.toml:9:11: error: invalid timeout "10x" in [stage.build]: expected a duration such as "90s", "10m", "1h" or "1h30m", or a number of seconds
    9 | timeout = "10x"
      |           ^
xbuild.toml:12:11: error: "timeout" in [stage.a] must be a positive number of seconds, got 0
   12 | timeout = 0
      |           ^
xbuild.toml:15:11: error: "timeout" in [stage.b]: expected a number of seconds or a duration such as "10m", found a floating-point number
   15 | timeout = 1.5
      |           ^
xbuild.toml:18:11: error: "timeout" in [stage.c] must be a positive duration, got "0s"
   18 | timeout = "0s"
      |           ^
xbuild.toml:21:11: error: invalid timeout "30s1m" in [stage.d]: expected a duration such as "90s", "10m", "1h" or "1h30m", or a number of seconds
   21 | timeout = "30s1m"
      |           ^
xbuild.toml:24:11: error: "timeout" in [stage.e] is too large: 9999999999 is more than 2147483647 seconds
   24 | timeout = 9999999999
      |           ^
6 errors in xbuild.toml
)");
}

TEST(ConfigErrorsTest, BadImage) {
  EXPECT_EQ(errors_in(std::string(kMinimal) + R"([image]
name = ""
tags = ["1.0", ".hidden"]
from = "debian 12"
workdir = "app"
copy = [{ from = "/etc/passwd", to = "/etc/passwd" }, { from = "../secret", to = "secret" }, "x"]
)"),
            R"(xbuild.toml:10:8: error: "name" in [image] must not be empty
   10 | name = ""
      |        ^
xbuild.toml:11:16: error: invalid tag ".hidden" in [image] tags: a tag is 1 to 128 letters, digits, '_', '.' and '-', and does not start with '.' or '-'
   11 | tags = ["1.0", ".hidden"]
      |                ^
xbuild.toml:12:8: error: base image "debian 12" is not "scratch" or an image reference such as "docker.io/library/debian:12"
   12 | from = "debian 12"
      |        ^
xbuild.toml:13:11: error: "workdir" in [image] must be an absolute path (starting with "/"), got "app"
   13 | workdir = "app"
      |           ^
xbuild.toml:14:18: error: "from" in [image] copy entry 1 must be a path relative to the output directory, not an absolute path: "/etc/passwd"
   14 | copy = [{ from = "/etc/passwd", to = "/etc/passwd" }, { from = "../secret", to = "secret" }, "x"]
      |                  ^
xbuild.toml:14:64: error: "from" in [image] copy entry 2 must stay inside the output directory: "../secret" contains ".."
   14 | copy = [{ from = "/etc/passwd", to = "/etc/passwd" }, { from = "../secret", to = "secret" }, "x"]
      |                                                                ^
xbuild.toml:14:82: error: "to" in [image] copy entry 2 must be an absolute path in the image (starting with "/"), got "secret"
   14 | copy = [{ from = "/etc/passwd", to = "/etc/passwd" }, { from = "../secret", to = "secret" }, "x"]
      |                                                                                  ^
xbuild.toml:14:94: error: "copy" in [image]: expected an array of tables such as { from = "app", to = "/app" }, but entry 3 is a string
   14 | copy = [{ from = "/etc/passwd", to = "/etc/passwd" }, { from = "../secret", to = "secret" }, "x"]
      |                                                                                              ^
8 errors in xbuild.toml
)");
}

TEST(ConfigErrorsTest, EmptyTagList) {
  EXPECT_EQ(errors_in(std::string(kMinimal) + R"([image]
tags = []
)"),
            R"(xbuild.toml:10:8: error: "tags" in [image] must not be empty: remove it for the default ["latest"]
   10 | tags = []
      |        ^
1 error in xbuild.toml
)");
}

TEST(ConfigErrorsTest, OverrideForAPlatformNotInTargets) {
  EXPECT_EQ(
      errors_in(std::string(kMinimal) + R"([platform."linux/riscv64"]
strategy = "emulate"
[platform."linux/riscv46"]
strategy = "emulate"
)"),
      R"(xbuild.toml:9:11: error: [platform."linux/riscv64"] overrides linux/riscv64, which is not in [targets] platforms; add it there or remove this table
    9 | [platform."linux/riscv64"]
      |           ^
xbuild.toml:11:11: error: invalid override [platform."linux/riscv46"]: unknown architecture "riscv46" in platform "linux/riscv46"; did you mean "riscv64"?
   11 | [platform."linux/riscv46"]
      |           ^
2 errors in xbuild.toml
)");
}

TEST(ConfigErrorsTest, TwoOverridesForTheSamePlatform) {
  EXPECT_EQ(
      errors_in(R"([project]
name = "hello"
[targets]
platforms = ["linux/arm/v7"]
[stage.build]
run = "make"
[platform."linux/arm/v7"]
strategy = "cross"
[platform."linux/armhf"]
strategy = "emulate"
)"),
      R"(xbuild.toml:9:11: error: [platform."linux/arm/v7"] and [platform."linux/armhf"] both override linux/arm/v7; merge them into one table
    9 | [platform."linux/armhf"]
      |           ^
1 error in xbuild.toml
)");
}

TEST(ConfigErrorsTest, OverrideOfAnUnknownStageAndStrategy) {
  EXPECT_EQ(
      errors_in(std::string(kMinimal) + R"([platform."linux/amd64"]
strategy = "emulated"
rootfs = ""
[platform."linux/amd64".stage.buld]
run = "make -j1"
[platform."linux/amd64".stage.deploy]
run = "true"
)"),
      R"(xbuild.toml:10:12: error: unknown strategy "emulated" in [platform."linux/amd64"]; did you mean "emulate"?
   10 | strategy = "emulated"
      |            ^
xbuild.toml:11:10: error: "rootfs" in [platform."linux/amd64"] must not be empty
   11 | rootfs = ""
      |          ^
xbuild.toml:12:31: error: [platform."linux/amd64".stage.buld] overrides unknown stage "buld"; did you mean "build"?
   12 | [platform."linux/amd64".stage.buld]
      |                               ^
xbuild.toml:14:31: error: [platform."linux/amd64".stage.deploy] overrides unknown stage "deploy"; stages are "build"
   14 | [platform."linux/amd64".stage.deploy]
      |                               ^
4 errors in xbuild.toml
)");
}

TEST(ConfigErrorsTest, UnknownStrategyWithoutACloseMatchListsTheChoices) {
  EXPECT_EQ(
      errors_in(std::string(kMinimal) + R"([platform."linux/amd64"]
strategy = "docker"
)"),
      R"(xbuild.toml:10:12: error: unknown strategy "docker" in [platform."linux/amd64"]; expected "auto", "native", "cross" or "emulate"
   10 | strategy = "docker"
      |            ^
1 error in xbuild.toml
)");
}

TEST(ConfigErrorsTest, EveryProblemIsReportedAtOnce) {
  EXPECT_EQ(errors_in(R"([project]
name = ""

[targets]
platforms = ["linux/amd64", "linux/sparc"]

[stage.build]
run = "make"
needs = ["fetch"]

[stage.test]
neds = ["build"]
timeout = "soon"
)"),
            R"(xbuild.toml:2:8: error: "name" in [project] must not be empty
    2 | name = ""
      |        ^
xbuild.toml:5:29: error: unknown platform "linux/sparc" in [targets] platforms: unknown architecture "sparc" in platform "linux/sparc"
    5 | platforms = ["linux/amd64", "linux/sparc"]
      |                             ^
xbuild.toml:9:10: error: unknown stage "fetch" in needs of [stage.build]; stages are "build" and "test"
    9 | needs = ["fetch"]
      |          ^
xbuild.toml:11:1: error: missing required key "run" in [stage.test]
   11 | [stage.test]
      | ^
xbuild.toml:12:1: error: unknown key "neds" in [stage.test]; did you mean "needs"?
   12 | neds = ["build"]
      | ^
xbuild.toml:13:11: error: invalid timeout "soon" in [stage.test]: expected a duration such as "90s", "10m", "1h" or "1h30m", or a number of seconds
   13 | timeout = "soon"
      |           ^
6 errors in xbuild.toml
)");
}

TEST(ConfigErrorsTest, CaretKeepsTabsAndCountsCharactersNotBytes) {
  EXPECT_EQ(errors_in(std::string(kMinimal) + "\tenv = { \"CAFÉ\" = \"crème\", X = 1 }\n"),
            "xbuild.toml:9:10: error: invalid environment variable name \"CAFÉ\" in [stage.build] env: use "
            "letters, digits and '_', and do not start with a digit\n"
            "    9 | \tenv = { \"CAFÉ\" = \"crème\", X = 1 }\n"
            "      | \t        ^\n"
            "xbuild.toml:9:32: error: \"env\" in [stage.build]: expected a table of strings, but \"X\" is an integer\n"
            "    9 | \tenv = { \"CAFÉ\" = \"crème\", X = 1 }\n"
            "      | \t                              ^\n"
            "2 errors in xbuild.toml\n");
}

TEST(ConfigErrorsTest, DiagnosticRendering) {
  Diagnostic with_line{SourceLocation{"a.toml", 123, 3}, "something is wrong", "x = 1"};
  EXPECT_EQ(with_line.render(),
            "a.toml:123:3: error: something is wrong\n"
            "  123 | x = 1\n"
            "      |   ^\n");
  Diagnostic without_line{SourceLocation{"a.toml", 0, 0}, "cannot read a.toml: Permission denied", ""};
  EXPECT_EQ(without_line.render(), "a.toml: error: cannot read a.toml: Permission denied\n");
  ConfigErrors two{{with_line, without_line}};
  EXPECT_EQ(two.render(), with_line.render() + without_line.render() + "2 errors in a.toml\n");
}

}  // namespace
}  // namespace xb

// ---------------------------------------------------------------------------------------------
// Windows: os_version and a per-platform entrypoint

namespace xb {
namespace {

constexpr const char* kWindows = R"([project]
name = "greet"

[targets]
platforms = ["linux/amd64", "windows/amd64"]

[stage.build]
run = "make"
)";

TEST(ConfigWindowsTest, OsVersionAndEntrypointPerPlatform) {
  Config config = parse_valid(std::string(kWindows) + R"([platform."windows/amd64"]
os_version = "10.0.20348.2582"
entrypoint = ["/app/greet.exe", "--quiet"]
)");
  const PlatformOverride& windows = config.overrides.at("windows/amd64");
  EXPECT_EQ(windows.os_version, "10.0.20348.2582");
  EXPECT_EQ(windows.entrypoint, (std::vector<std::string>{"/app/greet.exe", "--quiet"}));
  EXPECT_FALSE(config.overrides.count("linux/amd64"));
}

TEST(ConfigWindowsTest, OsVersionMustBeDottedNumbersOnAWindowsPlatform) {
  EXPECT_EQ(
      errors_in(std::string(kWindows) + R"([platform."windows/amd64"]
os_version = "ltsc2022"
[platform."linux/amd64"]
os_version = "10.0.20348"
)"),
      R"(xbuild.toml:10:14: error: "os_version" in [platform."windows/amd64"] must be dotted numbers such as "10.0.20348.2582", got "ltsc2022"
   10 | os_version = "ltsc2022"
      |              ^
xbuild.toml:12:14: error: "os_version" in [platform."linux/amd64"] is the Windows build an image needs (os.version); linux/amd64 is not a Windows platform: remove it
   12 | os_version = "10.0.20348"
      |              ^
2 errors in xbuild.toml
)");
}

}  // namespace
}  // namespace xb

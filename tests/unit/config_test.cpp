// Tests for config: xbuild.toml text in, a Config out. The exact diagnostics of bad files are
// golden cases in tests/data/config/ (config_golden_test.cpp); here are the good files and what
// needs a file on disk.
#include "config/config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <variant>

#include "build_paths.h"
#include "support/scratch_dir.h"
#include "util/fs.h"

namespace xb {
namespace {

namespace fs = std::filesystem;

// The smallest valid file; tests append the part they are about.
const char* const kMinimal = R"([project]
name = "hello"

[targets]
platforms = ["linux/amd64"]

[stage.build]
run = "make"
)";

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
  ASSERT_TRUE(riscv.rootfs);
  EXPECT_EQ(riscv.rootfs->location, "oci:rootfs/riscv64");
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

TEST(ConfigTest, CcacheForEveryTargetAndPerPlatform) {
  Config off = parse_valid(kMinimal);
  EXPECT_FALSE(off.ccache.enabled);
  EXPECT_EQ(off.ccache.remote, "");
  EXPECT_FALSE(ccache_enabled(off, parse_platform("linux/amd64").value()));

  Config config = parse_valid(R"([project]
name = "hello"
[targets]
platforms = ["linux/amd64", "linux/arm64", "linux/riscv64"]
firmware = ["cortex-m4"]
ccache = true
ccache_remote = "redis://10.0.0.5:6379|connect-timeout=500"
[stage.build]
run = "make"
[platform."linux/arm64"]
ccache = false
[platform."linux/riscv64"]
strategy = "cross"
)");
  EXPECT_TRUE(config.ccache.enabled);
  EXPECT_EQ(config.ccache.remote, "redis://10.0.0.5:6379|connect-timeout=500");
  EXPECT_EQ(config.overrides.at("linux/arm64").ccache, false);
  EXPECT_FALSE(config.overrides.at("linux/riscv64").ccache.has_value());
  EXPECT_TRUE(ccache_enabled(config, parse_platform("linux/amd64").value()));
  EXPECT_FALSE(ccache_enabled(config, parse_platform("linux/arm64").value()));
  EXPECT_TRUE(ccache_enabled(config, parse_platform("linux/riscv64").value()));
  EXPECT_TRUE(ccache_enabled(config, parse_platform("none/arm/cortex-m4").value()));

  for (const char* remote : {"redis+unix:/run/redis.sock", "http://cache.example/ccache/", "https://h:8443/x"}) {
    ConfigResult result = parse_config(std::string(R"([project]
name = "hello"
[targets]
platforms = ["linux/amd64"]
ccache_remote = ")") + remote + "\"\n[stage.build]\nrun = \"make\"\n",
                                       "xbuild.toml");
    ASSERT_TRUE(std::holds_alternative<Config>(result)) << remote;
    EXPECT_EQ(std::get<Config>(result).ccache.remote, remote);
  }
}

TEST(ConfigTest, ImageCompressionLevel) {
  for (int level : {0, 6, 9}) {
    Config config = parse_valid(std::string(kMinimal) + "[image]\ncompression_level = " + std::to_string(level) + "\n");
    EXPECT_EQ(config.image.compression_level, level);
  }
}

// from = "oci:DIR[:TAG]": DIR against the project directory (where xbuild.toml is), the tag
// after the last ":" that no "/" follows; only the syntax is checked here.
TEST(ConfigTest, ABaseImageFromAnOciLayout) {
  const fs::path project = fs::absolute("xbuild.toml").parent_path();
  struct Case {
    const char* from;
    fs::path directory;
    const char* tag;
    std::string name;
  };
  for (const Case& c : {
           Case{"oci:layouts/base", project / "layouts/base", "", "oci:" + (project / "layouts/base").string()},
           Case{"oci:/srv/images/debian:12", "/srv/images/debian", "12", "oci:/srv/images/debian:12"},
           Case{"oci:../shared/my base/:v1.0+build", project.parent_path() / "shared/my base", "v1.0+build",
                "oci:" + (project.parent_path() / "shared/my base").string() + ":v1.0+build"},
           Case{"oci:./dir.with:colon/base", project / "dir.with:colon/base", "", ""},
       }) {
    Config config = parse_valid(std::string(kMinimal) + "[image]\nfrom = \"" + c.from + "\"\n");
    EXPECT_EQ(config.image.from, c.from);
    ASSERT_TRUE(config.image.from_layout) << c.from;
    EXPECT_EQ(config.image.from_layout->directory, c.directory) << c.from;
    EXPECT_EQ(config.image.from_layout->tag, c.tag) << c.from;
    if (!c.name.empty()) {
      EXPECT_EQ(config.image.from_layout->str(), c.name);
    }
  }
  EXPECT_FALSE(parse_valid(std::string(kMinimal) + "[image]\nfrom = \"debian:12\"\n").image.from_layout);
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

TEST(ConfigTest, FirmwareBudgetsAreBytesForEveryTargetOrByTarget) {
  Config config = parse_valid(R"([project]
name = "fw"

[targets]
firmware = ["cortex-m3", "cortex-m4", "cortex-m33"]

[stage.build]
run = "make"

[firmware]
max_flash = "256K"
max_ram = { cortex-m4 = "1M", cortex-m33 = 65536, cortex-m3 = "20KiB" }
)");
  using Limits = std::map<std::string, std::uint64_t>;
  EXPECT_EQ(config.firmware.max_flash, (Limits{{"", 262144}}));
  EXPECT_EQ(config.firmware.max_ram, (Limits{{"cortex-m3", 20480}, {"cortex-m33", 65536}, {"cortex-m4", 1048576}}));

  config = parse_valid(
      "[project]\nname = \"fw\"\n[targets]\nfirmware = [\"cortex-m3\"]\n[stage.b]\nrun = \"make\"\n"
      "[firmware]\nmax_flash = 4096\nmax_ram = \"2MiB\"\n");
  EXPECT_EQ(config.firmware.max_flash, (Limits{{"", 4096}}));
  EXPECT_EQ(config.firmware.max_ram, (Limits{{"", 2097152}}));

  config = parse_valid("[project]\nname = \"fw\"\n[targets]\nfirmware = [\"cortex-m3\"]\n[stage.b]\nrun = \"make\"\n");
  EXPECT_TRUE(config.firmware.max_flash.empty()) << "no limit unless one is written";
  EXPECT_TRUE(config.firmware.max_ram.empty());
}

TEST(ConfigTest, FirmwareHangTimeoutAndInstructionCounting) {
  const std::string head =
      "[project]\nname = \"fw\"\n[targets]\nfirmware = [\"cortex-m3\"]\n[stage.t]\nrun = \"make\"\n[firmware]\n";
  Config config = parse_valid(head + "timeout = \"2m\"\nhang_timeout = \"30s\"\nicount = false\n");
  EXPECT_EQ(config.firmware.hang_timeout_seconds, 30);
  EXPECT_EQ(config.firmware.icount, "off");
  config = parse_valid(head + "hang_timeout = 5\nicount = 7\n");
  EXPECT_EQ(config.firmware.hang_timeout_seconds, 5);
  EXPECT_EQ(config.firmware.icount, "7");
  config = parse_valid(head + "icount = true\n");
  EXPECT_EQ(config.firmware.hang_timeout_seconds, 0) << "xbuild's default";
  EXPECT_EQ(config.firmware.icount, "") << "xbuild's default shift";
  config = parse_valid(head + "icount = 0\n");
  EXPECT_EQ(config.firmware.icount, "0");
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
// Bad files on disk: the exact text a user sees

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

TEST(ConfigErrorsTest, ADirectoryIsNotAFile) {
  testing::ScratchDir scratch;
  fs::path directory = scratch / "xbuild.toml";
  fs::create_directories(directory);
  ConfigResult result = load_config(directory);
  ASSERT_TRUE(std::holds_alternative<ConfigErrors>(result));
  EXPECT_EQ(std::get<ConfigErrors>(result).render(),
            directory.string() + ": error: cannot read " + directory.string() +
                ": it is a directory; name the config file in it, such as -f " + (directory / "xbuild.toml").string() +
                "\n1 error in " + directory.string() + "\n");
}

TEST(ConfigErrorsTest, ADeviceOrAnOversizedFileIsRefusedUnread) {
  testing::ScratchDir scratch;
  fs::path zero = scratch / "xbuild.toml";
  fs::create_symlink("/dev/zero", zero);
  ConfigResult device = load_config(zero);
  ASSERT_TRUE(std::holds_alternative<ConfigErrors>(device));
  EXPECT_EQ(std::get<ConfigErrors>(device).diagnostics.at(0).message,
            "cannot read " + zero.string() + ": it is a character device; a config is a regular file of at most 4 MiB");
  fs::path big = scratch / "big.toml";
  ASSERT_TRUE(write_file_atomic(big, "").ok());
  fs::resize_file(big, kMaxConfigBytes + 1);
  ConfigResult oversized = load_config(big);
  ASSERT_TRUE(std::holds_alternative<ConfigErrors>(oversized));
  EXPECT_EQ(std::get<ConfigErrors>(oversized).diagnostics.at(0).message,
            "cannot read " + big.string() + ": it is 4194305 bytes; a config is a regular file of at most 4 MiB");
  fs::resize_file(big, kMaxConfigBytes);  // the bound itself is read (and is no TOML: NULs)
  ConfigResult at_bound = load_config(big);
  ASSERT_TRUE(std::holds_alternative<ConfigErrors>(at_bound));
  EXPECT_EQ(std::get<ConfigErrors>(at_bound).diagnostics.at(0).location.line, 1);
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

// [firmware.target.NAME]: a board of the project's own, its linker script found in the project.
TEST(Config, FirmwareTargetsOfTheProjectsOwn) {
  testing::ScratchDir project;
  project.write("board/stm32f405.ld", "MEMORY {}\n");
  const fs::path file = project / "xbuild.toml";
  ConfigResult result = parse_config(R"([project]
name = "fw"
[targets]
firmware = ["stm32f405"]
[stage.b]
run = "make"
[firmware.target.stm32f405]
base = "cortex-m4f"
machine = "netduinoplus2"
linker_script = "board/./stm32f405.ld"
vector_table = 0x08000000
stack_top = 0x20020000
qemu_args = ["-icount", "shift=0"]
[firmware.target.bare]
cpu = "cortex-m3"
machine = "mps2-an385"
cflags = ["-mcpu=cortex-m3", "-mthumb"]
ldflags = ["--specs=rdimon.specs", "-Wl,--section-start=.vectors=0x0"]
stack_top = 0x20400000
)",
                                     file);
  const ConfigErrors* errors = std::get_if<ConfigErrors>(&result);
  ASSERT_EQ(errors, nullptr) << errors->render();
  const Config& config = std::get<Config>(result);
  ASSERT_EQ(config.firmware.targets.size(), 2u);
  const FirmwareTargetSpec& bare = config.firmware.targets[0];  // in name order
  EXPECT_EQ(bare.name, "bare");
  EXPECT_EQ(bare.base, "");
  EXPECT_EQ(bare.cpu, "cortex-m3");
  EXPECT_EQ(bare.ldflags, (std::vector<std::string>{"--specs=rdimon.specs", "-Wl,--section-start=.vectors=0x0"}));
  EXPECT_FALSE(bare.vector_table);
  EXPECT_EQ(bare.linker_script, "");
  const FirmwareTargetSpec& board = config.firmware.targets[1];
  EXPECT_EQ(board.name, "stm32f405");
  EXPECT_EQ(board.base, "cortex-m4f");
  EXPECT_EQ(board.base_location.line, 8);
  EXPECT_EQ(board.base_location.column, 8);
  EXPECT_EQ(board.location.line, 7);
  EXPECT_EQ(board.machine, "netduinoplus2");
  EXPECT_FALSE(board.cpu);
  EXPECT_FALSE(board.cflags);
  EXPECT_FALSE(board.ldflags);
  EXPECT_EQ(board.qemu_args, (std::vector<std::string>{"-icount", "shift=0"}));
  EXPECT_EQ(board.linker_script, "board/stm32f405.ld");
  EXPECT_EQ(board.linker_script_path, project / "board" / "stm32f405.ld");
  EXPECT_EQ(board.vector_table, 0x08000000u);
  EXPECT_EQ(board.stack_top, 0x20020000u);
}

// A linker script that leaves the project through a symbolic link is outside it.
TEST(Config, AFirmwareLinkerScriptMustStayInTheProject) {
  testing::ScratchDir project;
  testing::ScratchDir elsewhere;
  elsewhere.write("board.ld", "MEMORY {}\n");
  fs::create_directory_symlink(elsewhere.path(), project / "board");
  ConfigResult result = parse_config(
      "[project]\nname = \"fw\"\n[targets]\nfirmware = [\"b\"]\n[stage.b]\nrun = \"make\"\n"
      "[firmware.target.b]\nbase = \"cortex-m4\"\nlinker_script = \"board/board.ld\"\nvector_table = 0\n"
      "stack_top = 0x20000000\n",
      project / "xbuild.toml");
  const ConfigErrors* errors = std::get_if<ConfigErrors>(&result);
  ASSERT_NE(errors, nullptr);
  ASSERT_EQ(errors->diagnostics.size(), 1u) << errors->render();
  EXPECT_EQ(errors->diagnostics[0].location.line, 9);
  EXPECT_EQ(errors->diagnostics[0].message,
            "\"linker_script\" in [firmware.target.b] must be a path relative to the project's directory, inside it: "
            "\"board/board.ld\"");
}

}  // namespace
}  // namespace xb

// ---------------------------------------------------------------------------------------------
// --set KEY=VALUE: put into the document before it is read, checked as the file is

namespace xb {
namespace {

const char* const kTwoStages = R"([project]
name = "hello"

[targets]
platforms = ["linux/amd64"]

[stage.build]
run = "make"

[stage.test]
run = "make check"
needs = ["build"]
timeout = "10m"

[image]
name = "localhost:5000/hello"
tags = ["1.0"]
)";

// The rendered errors of `text` read with `settings`, or "(valid)".
std::string errors_with(const std::vector<std::string>& settings, std::string_view text = kTwoStages) {
  ConfigResult result = parse_config(text, "xbuild.toml", settings);
  const ConfigErrors* errors = std::get_if<ConfigErrors>(&result);
  return errors ? errors->render() : "(valid)";
}

TEST(ConfigSettingsTest, SettingsOverTheFilesValues) {
  ConfigResult result =
      parse_config(kTwoStages, "xbuild.toml",
                   {"image.name=registry.example/app", "stage.test.timeout=20m", "image.tags=[\"a\",\"b\"]",
                    "stage.build.run=make -j4", "platform.\"linux/amd64\".env.CC=clang", "image.labels.team=core"});
  ASSERT_TRUE(std::holds_alternative<Config>(result)) << std::get<ConfigErrors>(result).render();
  const Config& config = std::get<Config>(result);
  EXPECT_EQ(config.image.name, "registry.example/app");
  EXPECT_EQ(config.image.tags, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(config.image.labels.at("team"), "core");
  ASSERT_EQ(config.stages.size(), 2u);
  EXPECT_EQ(config.stages[0].name, "build");  // the file's order
  EXPECT_EQ(config.stages[0].run, "make -j4");
  EXPECT_EQ(config.stages[1].timeout_seconds, 1200);
  EXPECT_EQ(config.overrides.at("linux/amd64").env.at("CC"), "clang");
}

TEST(ConfigSettingsTest, TheLastSettingOfAKeyWins) {
  ConfigResult result = parse_config(kTwoStages, "xbuild.toml", {"image.name=a", "image.name=b"});
  ASSERT_TRUE(std::holds_alternative<Config>(result));
  EXPECT_EQ(std::get<Config>(result).image.name, "b");
}

TEST(ConfigSettingsTest, AWholeStageMayBeAdded) {
  ConfigResult result = parse_config(kTwoStages, "xbuild.toml", {"stage.lint={ run = \"make lint\" }"});
  ASSERT_TRUE(std::holds_alternative<Config>(result)) << std::get<ConfigErrors>(result).render();
  EXPECT_EQ(stage_names(std::get<Config>(result)), (std::vector<std::string>{"build", "test", "lint"}));
}

TEST(ConfigSettingsTest, ProblemsNameTheSetting) {
  EXPECT_EQ(errors_with({"stage.tset.timeout=20m"}),
            "xbuild: --set stage.tset.timeout=20m: unknown stage \"tset\"; did you mean \"test\"?\n"
            "1 error in --set\n");
  EXPECT_EQ(errors_with({"stage.deploy.run=x"}),
            "xbuild: --set stage.deploy.run=x: unknown stage \"deploy\"; the stages are \"build\" and \"test\"\n"
            "1 error in --set\n");
  EXPECT_EQ(errors_with({"stage.test.tiemout=20m"}),
            "xbuild: --set stage.test.tiemout=20m: unknown key \"tiemout\" in [stage.test]; did you mean "
            "\"timeout\"?\n1 error in --set\n");
  EXPECT_EQ(errors_with({"stage.test.timeout=20x"}),
            "xbuild: --set stage.test.timeout=20x: invalid timeout \"20x\" in [stage.test]: expected a duration such "
            "as \"90s\", \"10m\", \"1h\" or \"1h30m\", or a number of seconds\n1 error in --set\n");
  EXPECT_EQ(errors_with({"image.tags=1.0"}),
            "xbuild: --set image.tags=1.0: \"tags\" in [image]: expected an array of strings, found a "
            "floating-point number\n1 error in --set\n");
  EXPECT_EQ(errors_with({"targets.jobs=4"}),
            "xbuild: --set targets.jobs=4: unknown key \"jobs\" in [targets]; valid keys are \"platforms\", "
            "\"firmware\", \"packages\", \"suite\", \"mirror\", \"ccache\" and \"ccache_remote\"\n1 error in --set\n");
  EXPECT_EQ(errors_with({"foo"}),
            "xbuild: --set foo: expected KEY=VALUE, e.g. --set image.name=registry.example/app\n1 error in --set\n");
  EXPECT_EQ(errors_with({"image.name.x=1"}),
            "xbuild: --set image.name.x=1: cannot set image.name.x: image.name is a string, not a table\n"
            "1 error in --set\n");
  EXPECT_EQ(errors_with({"image.copy.from=a"}, std::string(kTwoStages) + "copy = [{ from = \"a\", to = \"/a\" }]\n"),
            "xbuild: --set image.copy.from=a: cannot set image.copy.from: image.copy is an array, not a table; set "
            "the whole array: --set 'image.copy=[...]'\n1 error in --set\n");
  EXPECT_EQ(errors_with({"stage.test.needs=[\"biuld\"]"}),
            "xbuild: --set stage.test.needs=[\"biuld\"]: unknown stage \"biuld\" in needs of [stage.test]; did you "
            "mean \"build\"?\n1 error in --set\n");
}

// Every problem at once: the file's first, then each setting's in the order given.
TEST(ConfigSettingsTest, EveryProblemOfTheFileAndTheSettingsAtOnce) {
  std::string file = std::string(kTwoStages) + "nmae = \"x\"\n";
  EXPECT_EQ(
      errors_with({"image.name=", "stage.test.timeout=-1", "image.name=ok"}, file),
      "xbuild.toml:18:1: error: unknown key \"nmae\" in [image]; did you mean \"name\"?\n"
      "   18 | nmae = \"x\"\n"
      "      | ^\n"
      "xbuild: --set stage.test.timeout=-1: \"timeout\" in [stage.test] must be a positive number of seconds, got "
      "-1\n"
      "2 errors in xbuild.toml and --set\n");
}

}  // namespace
}  // namespace xb

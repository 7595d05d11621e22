// toolchains/firmware/*.toml: the shipped targets, every way a file can be wrong, and the
// startup a project links (its object in the link flags and the stage environment).
#include "toolchain/firmware_target.h"

#include <gtest/gtest.h>

#include "firmware/qemu_test.h"
#include "support/scratch_dir.h"
#include "toolchain/environment.h"
#include "toolchain/toolchain.h"
#include "util/sha256.h"

namespace xb::firmware {
namespace {

namespace fs = std::filesystem;
using testing::ScratchDir;

const std::string kGood =
    "name = \"m0\"\ntriple = \"arm-none-eabi\"\ncpu = \"cortex-m0\"\nmachine = \"microbit\"\n"
    "cflags = [\"-mcpu=cortex-m0\", \"-mthumb\"]\nldflags = [\"--specs=rdimon.specs\"]\nstack_top = 0x20004000\n"
    "[packages]\ncompiler = [\"gcc-arm-none-eabi\"]\nrunner = [\"qemu-system-arm\"]\n";

TEST(FirmwareTarget, ShippedTargetsNameCpuAndBoard) {
  auto targets = load_targets(data_directory() / "toolchains" / "firmware");
  ASSERT_TRUE(targets.ok()) << targets.error();
  std::vector<std::string> names;
  for (const Target& target : targets.value()) names.push_back(target.name);
  EXPECT_EQ(names, (std::vector<std::string>{"cortex-m0", "cortex-m0plus", "cortex-m3", "cortex-m33", "cortex-m4",
                                             "cortex-m4f", "cortex-m55", "cortex-m7"}));
  Target m4 = find_target(data_directory() / "toolchains" / "firmware", "cortex-m4").value();
  EXPECT_EQ(m4.triple, "arm-none-eabi");
  EXPECT_EQ(m4.machine, "mps2-an386");
  EXPECT_EQ(m4.cflags, (std::vector<std::string>{"-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=soft"}));
  EXPECT_EQ(m4.stack_top, 0x20400000u);
  EXPECT_EQ(
      qemu_command(m4, "t.elf"),
      (std::vector<std::string>{"qemu-system-arm", "-M", "mps2-an386", "-cpu", "cortex-m4", "-nographic", "-monitor",
                                "none", "-semihosting-config", "enable=on,target=native", "-kernel", "t.elf"}));
}

// Each board is one QEMU 7.2 really has for the CPU, with the FPU the float ABI needs; the
// initial stack pointer is inside the board's RAM.
TEST(FirmwareTarget, EachTargetRunsOnABoardWithItsCoreAndFpu) {
  struct Expected {
    std::string name, qemu_cpu, machine, float_abi;
    std::vector<std::string> extra_cflags;
    std::uint32_t stack_top;
  };
  const std::vector<Expected> expected = {
      {"cortex-m0", "cortex-m0", "microbit", "soft", {}, 0x20004000u},
      {"cortex-m0plus", "cortex-m0", "microbit", "soft", {}, 0x20004000u},
      {"cortex-m3", "cortex-m3", "mps2-an385", "soft", {}, 0x20400000u},
      {"cortex-m33", "cortex-m33", "mps2-an505", "soft", {}, 0x30008000u},
      {"cortex-m4", "cortex-m4", "mps2-an386", "soft", {}, 0x20400000u},
      {"cortex-m4f", "cortex-m4", "mps2-an386", "hard", {"-mfpu=fpv4-sp-d16"}, 0x20400000u},
      {"cortex-m55", "cortex-m55", "mps3-an547", "hard", {}, 0x20080000u},
      {"cortex-m7", "cortex-m7", "mps2-an500", "hard", {"-mfpu=fpv5-d16"}, 0x20400000u},
  };
  for (const Expected& want : expected) {
    SCOPED_TRACE(want.name);
    Target target = find_target(data_directory() / "toolchains" / "firmware", want.name).value();
    const std::string cpu = want.name == "cortex-m4f" ? "cortex-m4" : want.name;
    EXPECT_EQ(target.cpu, cpu);
    EXPECT_EQ(target.qemu_cpu, want.qemu_cpu);
    EXPECT_EQ(target.machine, want.machine);
    std::vector<std::string> cflags = {"-mcpu=" + cpu, "-mthumb", "-mfloat-abi=" + want.float_abi};
    cflags.insert(cflags.end(), want.extra_cflags.begin(), want.extra_cflags.end());
    EXPECT_EQ(target.cflags, cflags);
    EXPECT_EQ(target.stack_top, want.stack_top);
    EXPECT_EQ(target.ldflags.front(), "--specs=rdimon.specs");
  }
  // The micro:bit's flash is ROM: data goes to RAM, and QEMU gives the tests more of both.
  Target m0 = find_target(data_directory() / "toolchains" / "firmware", "cortex-m0plus").value();
  EXPECT_EQ(m0.ldflags, (std::vector<std::string>{"--specs=rdimon.specs", "-Wl,--section-start=.vectors=0x0",
                                                  "-Wl,-Tdata=0x20000000"}));
  EXPECT_EQ(qemu_command(m0, "t.elf"),
            (std::vector<std::string>{"qemu-system-arm", "-M", "microbit", "-cpu", "cortex-m0", "-nographic",
                                      "-monitor", "none", "-semihosting-config", "enable=on,target=native", "-global",
                                      "nrf51-soc.flash-size=4194304", "-global", "nrf51-soc.sram-size=2097152",
                                      "-kernel", "t.elf"}));
}

// A project's startup: the object in the state directory, after the ldflags, with the flag that
// keeps its vector table; the source's digest goes to the environment.
TEST(FirmwareTarget, TheStartupGoesIntoTheLinkFlagsAndTheEnvironment) {
  ScratchDir dir;
  dir.write("m0.toml", kGood);
  dir.write("startup.S", "/* startup */\n");
  Target m0 = find_target(dir.path(), "m0").value();
  EXPECT_EQ(link_flags(m0), std::vector<std::string>{"--specs=rdimon.specs"});
  EXPECT_EQ(stage_environment(m0, "xbuild", {}, {}).count("XBUILD_FIRMWARE_STARTUP"), 0u);

  Result<Startup> startup = resolve_startup(m0, dir.path(), {}, "/p/.xbuild");
  ASSERT_TRUE(startup.ok()) << startup.error();
  EXPECT_EQ(startup.value().source, dir / "startup.S");
  EXPECT_EQ(startup.value().object, fs::path("/p/.xbuild/firmware/m0/startup.o"));
  EXPECT_EQ(startup.value().digest, sha256_digest("/* startup */\n"));
  m0.startup = startup.value();
  EXPECT_EQ(link_flags(m0), (std::vector<std::string>{"--specs=rdimon.specs", "/p/.xbuild/firmware/m0/startup.o",
                                                      "-Wl,--undefined=__xbuild_vectors"}));
  auto env = stage_environment(m0, "xbuild", {}, {});
  EXPECT_EQ(env.at("LDFLAGS"),
            "--specs=rdimon.specs /p/.xbuild/firmware/m0/startup.o -Wl,--undefined=__xbuild_vectors");
  EXPECT_EQ(env.at("XBUILD_FIRMWARE_STARTUP"), "/p/.xbuild/firmware/m0/startup.o");
  EXPECT_EQ(env.at("XBUILD_FIRMWARE_STARTUP_SHA256"), sha256_digest("/* startup */\n"));

  Result<Startup> own = resolve_startup(m0, dir.path(), dir / "board" / "start.c", "/p/.xbuild");
  ASSERT_FALSE(own.ok());
  EXPECT_EQ(own.error(),
            "cannot read the startup of firmware target \"m0\": cannot read " + (dir / "board" / "start.c").string());
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
  // Without qemu_cpu and qemu_args: QEMU runs the CPU itself, with nothing added.
  EXPECT_EQ(m0.qemu_cpu, "cortex-m0");
  EXPECT_EQ(m0.qemu_args, std::vector<std::string>{});
  EXPECT_EQ(m0.stack_top, 0x20004000u);
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
            "\"cpu\", \"qemu_cpu\", \"machine\", \"qemu_args\", \"cflags\", \"ldflags\", \"stack_top\" and "
            "\"packages\"\n"
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
            "m0.toml:11:1: error: unknown key \"board\" in [packages]; valid keys are \"compiler\" and \"runner\"\n"
            "   11 | board = 1\n"
            "      | ^");
  EXPECT_EQ(error_of(replaced(kGood, "0x20004000", "0x20004002")),
            "m0.toml:7:13: error: \"stack_top\" must be a multiple of 4 (the stack is word-aligned)\n"
            "    7 | stack_top = 0x20004002\n"
            "      |             ^");
  EXPECT_EQ(error_of(replaced(kGood, "0x20004000", "\"top\"")),
            "m0.toml:7:13: error: \"stack_top\" at the top level must be the initial stack pointer, an address "
            "such as 0x20400000\n"
            "    7 | stack_top = \"top\"\n"
            "      |             ^");
  EXPECT_EQ(error_of(replaced(kGood, "0x20004000", "0x100000000")),
            "m0.toml:7:13: error: \"stack_top\" at the top level must be the initial stack pointer, an address "
            "such as 0x20400000\n"
            "    7 | stack_top = 0x100000000\n"
            "      |             ^");
  EXPECT_EQ(error_of(replaced(kGood, "machine = \"microbit\"\n", "machine = \"microbit\"\nqemu_args = \"-s\"\n")),
            "m0.toml:5:13: error: \"qemu_args\" at the top level: expected an array of strings, found a string\n"
            "    5 | qemu_args = \"-s\"\n"
            "      |             ^");
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
                                 ":1:1: error: missing required key \"stack_top\" at the top level\n"
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
                                 ":8:1: error: missing required key \"runner\" in [packages]\n"
                                 "    8 | [packages]\n"
                                 "      | ^\n" +
                                 m0 +
                                 ":10:1: error: unknown key \"runer\" in [packages]; did you mean \"runner\"?\n"
                                 "   10 | runer = [\"qemu-system-arm\"]\n"
                                 "      | ^");
}

// A project's board on top of cortex-m4f: what it names replaces the base's, its linker script
// replaces the base's layout flags, and the stages see (and cache by) its definition.
TEST(FirmwareTarget, AProjectTargetStartsFromItsBase) {
  ScratchDir project;
  const fs::path script = project.write("board/stm32f405.ld", "MEMORY { FLASH (rx) : ORIGIN = 0x08000000 }\n");
  const fs::path directory = data_directory() / "toolchains" / "firmware";
  std::vector<Target> bundled = load_targets(directory).value();
  FirmwareTargetSpec spec;
  spec.name = "stm32f405";
  spec.base = "cortex-m4f";
  spec.machine = "netduinoplus2";
  spec.linker_script = "board/stm32f405.ld";
  spec.linker_script_path = script;
  spec.vector_table = 0x08000000;
  spec.stack_top = 0x20020000;
  Result<Target> made = project_target(spec, project / "xbuild.toml", bundled);
  ASSERT_TRUE(made.ok()) << made.error();
  const Target& target = made.value();
  EXPECT_EQ(target.name, "stm32f405");
  EXPECT_EQ(target.triple, "arm-none-eabi");
  EXPECT_EQ(target.cpu, "cortex-m4");
  EXPECT_EQ(target.qemu_cpu, "cortex-m4");
  EXPECT_EQ(target.machine, "netduinoplus2");
  EXPECT_EQ(target.cflags,
            (std::vector<std::string>{"-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"}));
  EXPECT_EQ(target.ldflags, (std::vector<std::string>{"--specs=rdimon.specs", "-Wl,-T," + script.string()}));
  EXPECT_EQ(target.stack_top, 0x20020000u);
  EXPECT_EQ(target.vector_table, 0x08000000u);
  EXPECT_EQ(target.link, "board/stm32f405.ld");
  EXPECT_EQ(target.definition, "xbuild.toml [firmware.target.stm32f405], base cortex-m4f");
  EXPECT_EQ(target.config, project / "xbuild.toml");
  EXPECT_EQ(target.linker_script_digest, sha256_digest("MEMORY { FLASH (rx) : ORIGIN = 0x08000000 }\n"));
  EXPECT_EQ(target.packages.at("runner"), (std::vector<std::string>{"qemu-system-arm"}));

  auto env = stage_environment(target, "/usr/bin/xbuild", {}, {});
  EXPECT_EQ(env.at("LDFLAGS"), "--specs=rdimon.specs -Wl,-T," + script.string());
  EXPECT_EQ(env.at("XBUILD_FIRMWARE_LINK"), "board/stm32f405.ld");
  EXPECT_EQ(env.at("XBUILD_FIRMWARE_LINKER_SCRIPT"), script.string());
  EXPECT_EQ(env.at("XBUILD_FIRMWARE_DEFINITION_SHA256"), target.definition_digest);
  EXPECT_EQ(env.at("XBUILD_EXEC"),
            "/usr/bin/xbuild firmware test --target stm32f405 --config " + (project / "xbuild.toml").string());

  // Editing the script, or any key, changes the definition's digest (so the stages' cache keys).
  project.write("board/stm32f405.ld", "MEMORY { FLASH (rx) : ORIGIN = 0x08004000 }\n");
  Target edited = project_target(spec, project / "xbuild.toml", bundled).value();
  EXPECT_NE(edited.definition_digest, target.definition_digest);
  spec.stack_top = 0x20010000;
  EXPECT_NE(project_target(spec, project / "xbuild.toml", bundled).value().definition_digest, edited.definition_digest);

  // Its own ldflags replace the base's entirely; the script still comes last.
  spec.ldflags = std::vector<std::string>{"--specs=nosys.specs"};
  EXPECT_EQ(project_target(spec, project / "xbuild.toml", bundled).value().ldflags,
            (std::vector<std::string>{"--specs=nosys.specs", "-Wl,-T," + script.string()}));
}

TEST(FirmwareTarget, ABaseLayoutKeepsItsFlagsAndItsName) {
  std::vector<Target> bundled = load_targets(data_directory() / "toolchains" / "firmware").value();
  FirmwareTargetSpec spec;
  spec.name = "m33-slow";
  spec.base = "cortex-m33";
  spec.qemu_args = std::vector<std::string>{"-icount", "shift=4"};
  Target target = project_target(spec, "/p/xbuild.toml", bundled).value();
  EXPECT_EQ(target.ldflags, (std::vector<std::string>{"--specs=rdimon.specs", "-Wl,--section-start=.vectors=0x10000000",
                                                      "-Wl,-Ttext-segment=0x10008000"}));
  EXPECT_EQ(target.link, "xbuild:cortex-m33");
  EXPECT_EQ(target.qemu_args, (std::vector<std::string>{"-icount", "shift=4"}));
  EXPECT_FALSE(target.vector_table);
  EXPECT_EQ(find_target(data_directory() / "toolchains" / "firmware", "cortex-m33").value().link, "xbuild:cortex-m33");
  // A new cpu is QEMU's cpu too.
  spec.cpu = "cortex-m4";
  EXPECT_EQ(project_target(spec, "/p/xbuild.toml", bundled).value().qemu_cpu, "cortex-m4");
}

TEST(FirmwareTarget, AProjectTargetSaysWhereItIsWrong) {
  std::vector<Target> bundled = load_targets(data_directory() / "toolchains" / "firmware").value();
  FirmwareTargetSpec spec;
  spec.name = "board";
  spec.base = "cortex-m4g";
  spec.location = {"xbuild.toml", 7, 1};
  spec.base_location = {"xbuild.toml", 8, 8};
  Result<Target> unknown = project_target(spec, "/p/xbuild.toml", bundled);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error(),
            "xbuild.toml:8:8: base \"cortex-m4g\" in [firmware.target.board] is not a bundled target; did you "
            "mean \"cortex-m4\"? (known: cortex-m0, cortex-m0plus, cortex-m3, cortex-m33, cortex-m4, cortex-m4f, "
            "cortex-m55, cortex-m7)");
  spec.name = "cortex-m4";
  spec.base = "cortex-m4f";
  Result<Target> clash = project_target(spec, "/p/xbuild.toml", bundled);
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.error(),
            "xbuild.toml:7:1: [firmware.target.cortex-m4] has the name of a bundled target "
            "(toolchains/firmware/cortex-m4.toml): name your board otherwise, and write base = \"cortex-m4\" to start "
            "from it");
}

// The project's own targets are found first; the bundled ones stay reachable.
TEST(FirmwareTarget, ResolvingFindsTheProjectsTargetsFirst) {
  const fs::path directory = data_directory() / "toolchains" / "firmware";
  Config config;
  config.file = "/p/xbuild.toml";
  FirmwareTargetSpec spec;
  spec.name = "board";
  spec.base = "cortex-m3";
  spec.machine = "mps2-an385";
  config.firmware.targets.push_back(spec);
  EXPECT_EQ(resolve_target(directory, "board", &config).value().definition,
            "xbuild.toml [firmware.target.board], base cortex-m3");
  EXPECT_EQ(resolve_target(directory, "cortex-m3", &config).value().definition, "toolchains/firmware/cortex-m3.toml");
  Result<Target> missing = resolve_target(directory, "bord", &config);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().find("; the project's own ([firmware.target.NAME] in /p/xbuild.toml): board"),
            std::string::npos)
      << missing.error();
  EXPECT_FALSE(resolve_target(directory, "board", nullptr).ok());
  EXPECT_EQ(firmware_command(resolve_target(directory, "board", &config).value(), "xb", "exec"),
            (std::vector<std::string>{"xb", "firmware", "exec", "--target", "board", "--config", "/p/xbuild.toml"}));
}

}  // namespace
}  // namespace xb::firmware

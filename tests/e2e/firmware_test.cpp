// examples/firmware end to end: real arm-none-eabi GCC + newlib, real qemu-system-arm with
// semihosting, for every target in toolchains/firmware/, each image linked with xbuild's
// startup. A passing suite, a failing test, a crash and a hanging image (stopped by the timeout)
// each get their exact verdict; a Meson project's tests run through the generated cross file;
// `firmware pack` is read back with skopeo and from the layout's own blobs.
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "e2e/e2e_support.h"
#include "support/registry_fixture.h"
#include "util/fs.h"
#include "util/sha256.h"
#include "util/strings.h"

namespace xb::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::vector<std::string> kFirmwareTools = {"make", "arm-none-eabi-gcc", "arm-none-eabi-objcopy",
                                                 "arm-none-eabi-size", "qemu-system-arm"};

struct TargetCase {
  std::string name, cpu, machine;
};

const std::vector<TargetCase> kTargets = {
    {"cortex-m3", "cortex-m3", "mps2-an385"},       {"cortex-m4", "cortex-m4", "mps2-an386"},
    {"cortex-m33", "cortex-m33", "mps2-an505"},     {"cortex-m0", "cortex-m0", "microbit"},
    {"cortex-m0plus", "cortex-m0plus", "microbit"}, {"cortex-m4f", "cortex-m4", "mps2-an386"},
    {"cortex-m7", "cortex-m7", "mps2-an500"},       {"cortex-m55", "cortex-m55", "mps3-an547"}};

// Builds examples/firmware's images for `target` with the environment `xbuild firmware env` prints.
fs::path build_images(const ScratchDir& scratch, const std::string& target) {
  fs::path example = copy_example("firmware", scratch / ("src-" + target));
  fs::path out = scratch / ("out-" + target);
  CommandResult built =
      run({"sh", "-c",
           "set -a; eval \"$(\"$XB\" firmware env --target " + target +
               " --state-dir \"$STATE\")\"; set +a; make -s OUT=\"$OUT\" all \"$OUT/fail.elf\" \"$OUT/hang.elf\""},
          {{"XB", xbuild_binary().string()}, {"STATE", (scratch / "state").string()}, {"OUT", out.string()}}, example);
  EXPECT_EQ(built.exit_code, 0) << built.out << built.err;
  return out;
}

std::string last_line(const std::string& text) {
  std::string trimmed = text;
  while (!trimmed.empty() && trimmed.back() == '\n') trimmed.pop_back();
  return trimmed.substr(trimmed.rfind('\n') + 1);
}

TEST(FirmwareE2E, PassingSuitePassesOnEveryTarget) {
  XB_REQUIRE_TOOLS(kFirmwareTools);
  ScratchDir scratch;
  for (const TargetCase& target : kTargets) {
    SCOPED_TRACE(target.name);
    fs::path out = build_images(scratch, target.name);
    CommandResult result = xbuild({"firmware", "test", "--target", target.name, (out / "test.elf").string()});
    EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
    EXPECT_NE(result.out.find("test_crc16.c:15:test_check_value:PASS\n"), std::string::npos) << result.out;
    EXPECT_NE(result.out.find("\n3 Tests 0 Failures 0 Ignored\nOK\n"), std::string::npos) << result.out;
    EXPECT_EQ(last_line(result.out), "firmware test test.elf on " + target.cpu + " (" + target.machine +
                                         "): passed (exit code 0, pass pattern matched)");
  }
}

TEST(FirmwareE2E, FailingTestIsReportedWithItsExitCode) {
  XB_REQUIRE_TOOLS(kFirmwareTools);
  ScratchDir scratch;
  fs::path out = build_images(scratch, "cortex-m3");
  CommandResult result = xbuild({"firmware", "test", "--target", "cortex-m3", (out / "fail.elf").string()});
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  EXPECT_NE(result.out.find("test_deliberately_wrong:FAIL: Expected 4660 Was 10673\n"), std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("\n4 Tests 1 Failures 0 Ignored\nFAIL\n"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("\nfirmware test fail.elf on cortex-m3 (mps2-an385): FAILED: exit code 1\n"
                            "the console ended with:\n"
                            "  | test_crc16.c:17:test_single_byte:PASS\n"
                            "  | test_crc16.c:10:test_deliberately_wrong:FAIL: Expected 4660 Was 10673\n"
                            "  | -----------------------\n"
                            "  | 4 Tests 1 Failures 0 Ignored\n"
                            "  | FAIL\n"),
            std::string::npos)
      << result.out;
}

TEST(FirmwareE2E, HangingImageIsStoppedByTheTimeout) {
  XB_REQUIRE_TOOLS(kFirmwareTools);
  ScratchDir scratch;
  fs::path out = build_images(scratch, "cortex-m3");
  auto start = std::chrono::steady_clock::now();
  CommandResult result =
      xbuild({"firmware", "test", "--target", "cortex-m3", "--timeout", "2", (out / "hang.elf").string()});
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  // The tests before the hang did run and print.
  EXPECT_NE(result.out.find("test_single_byte:PASS\n"), std::string::npos) << result.out;
  // The hang timeout (10 s by default) is cut to the 2 s timeout, and the console was silent for
  // less than that when the timeout fell due: the timeout names the end, not a hang.
  EXPECT_NE(result.out.find("\nfirmware test hang.elf on cortex-m3 (mps2-an385): FAILED: no exit after the timeout "
                            "(2000 ms); qemu-system-arm was stopped\n"
                            "the console ended with:\n"
                            "  | test_crc16.c:15:test_check_value:PASS\n"
                            "  | test_crc16.c:16:test_empty_input:PASS\n"
                            "  | test_crc16.c:17:test_single_byte:PASS\n"),
            std::string::npos)
      << result.out;
  EXPECT_EQ(last_line(result.out), "  | test_crc16.c:17:test_single_byte:PASS");
  EXPECT_LT(elapsed, std::chrono::seconds(8));
}

TEST(FirmwareE2E, ExitZeroWithoutThePassPatternFails) {
  XB_REQUIRE_TOOLS(kFirmwareTools);
  ScratchDir scratch;
  fs::path out = build_images(scratch, "cortex-m3");
  // firmware.elf exits 0 but prints no Unity summary.
  CommandResult result = xbuild({"firmware", "test", "--target", "cortex-m3", (out / "firmware.elf").string()});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.out.find("\nfirmware test firmware.elf on cortex-m3 (mps2-an385): FAILED: exit code 0 but "
                            "the console never matched the pass pattern\n"
                            "the console ended with:\n"
                            "  | crc16(123456789) = 0x29B1\n"),
            std::string::npos)
      << result.out;
  // With a pattern of its own it passes.
  result = xbuild({"firmware", "test", "--target", "cortex-m3", "--pass-pattern", "crc16\\(123456789\\) = 0x29B1",
                   (out / "firmware.elf").string()});
  EXPECT_EQ(result.exit_code, 0) << result.out;
  EXPECT_EQ(last_line(result.out),
            "firmware test firmware.elf on cortex-m3 (mps2-an385): passed (exit code 0, pass pattern matched)");
}

// A project that links its own vector table ([firmware] startup = false) but left it out: no
// vector table, so the test fails at once with the cause and the fix instead of QEMU's lock-up.
TEST(FirmwareE2E, AnImageWithoutAVectorTableFailsWithTheFix) {
  XB_REQUIRE_TOOLS(kFirmwareTools);
  ScratchDir scratch;
  for (const TargetCase& target : {kTargets[0], kTargets[2]}) {
    SCOPED_TRACE(target.name);
    fs::path example = copy_example("firmware", scratch / ("src-" + target.name));
    // The project links its own vector table (startup = false), and forgot it.
    std::string config = read_file(example / "xbuild.toml").value_or_throw();
    config.replace(config.find("[firmware]\n"), 11, "[firmware]\nstartup = false\n");
    scratch.write("src-" + target.name + "/xbuild.toml", config);
    CommandResult built = run({"sh", "-c",
                               "set -a; eval \"$(\"$XB\" firmware env --target " + target.name +
                                   ")\"; set +a; $CC $CFLAGS $LDFLAGS crc16.c unity_mini.c test_crc16.c -o novec.elf"},
                              {{"XB", xbuild_binary().string()}}, example);
    EXPECT_EQ(built.err, "xbuild firmware env: wrote " +
                             (example / ".xbuild" / "firmware" / target.name / "meson-cross.ini").string() + " and " +
                             (example / ".xbuild" / "firmware" / target.name / "toolchain.cmake").string() + "\n");
    EXPECT_FALSE(fs::exists(example / ".xbuild" / "firmware" / target.name / "startup.o"));
    ASSERT_EQ(built.exit_code, 0) << built.out << built.err;
    auto start = std::chrono::steady_clock::now();
    CommandResult result =
        xbuild({"firmware", "test", "--target", target.name, "--timeout", "30", (example / "novec.elf").string()});
    auto elapsed = std::chrono::steady_clock::now() - start;
    const std::string address = target.name == "cortex-m33" ? "0x10000000" : "0x00000000";
    EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
    EXPECT_EQ(result.out, "firmware test novec.elf on " + target.cpu + " (" + target.machine +
                              "): FAILED: no vector table at " + address +
                              " in novec.elf (nothing is loaded there); qemu-system-arm was not started\n"
                              "QEMU's Cortex-M reset loads the initial SP and PC from the vector table at " +
                              address + " on " + target.machine +
                              "; without one it locks up (\"Lockup: can't escalate 3 to HardFault\")\n"
                              "fix: link a vector table in section .vectors into every test executable: xbuild's own "
                              "startup is in $LDFLAGS and the generated CMake and Meson files unless [firmware] "
                              "startup = false; with your own, name its source in [firmware] startup, or link it "
                              "yourself\n");
    EXPECT_EQ(result.err, "");
    EXPECT_LT(elapsed, std::chrono::seconds(5));
  }
}

TEST(FirmwareE2E, BadInputIsAClearError) {
  ScratchDir scratch;
  CommandResult result = xbuild({"firmware", "test", "--target", "cortex-m9", "x.elf"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.err,
            "xbuild: error: unknown firmware target \"cortex-m9\"; known targets: cortex-m0, cortex-m0plus, "
            "cortex-m3, cortex-m33, cortex-m4, cortex-m4f, cortex-m55, cortex-m7 (files in " +
                (source_root() / "toolchains" / "firmware").string() + ")\n");
  result = xbuild({"firmware", "test", "--target", "cortex-m3", (scratch / "missing.elf").string()});
  EXPECT_EQ(result.err, "xbuild: error: firmware test: " + (scratch / "missing.elf").string() +
                            " does not exist; build the test image first\n");
  result = xbuild({"firmware", "pack", "--target", "cortex-m3", "-o", "dir:" + (scratch / "o").string(),
                   (scratch / "missing.elf").string()});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.err, "xbuild: error: the firmware image " + (scratch / "missing.elf").string() +
                            " does not exist; build it first\n");
  EXPECT_FALSE(fs::exists(scratch / "o"));

  // A real image, but a bad output, or the tools missing from PATH.
  fs::path elf = scratch.write("fake.elf", "not really an ELF");
  result = xbuild({"firmware", "pack", "--target", "cortex-m3", "-o", "dir:" + (scratch / "o").string(), elf.string()});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.err,
            "xbuild: error: output \"dir:" + (scratch / "o").string() + "\" must be oci:DIR or oci-archive:FILE\n");
  result = xbuild({"firmware", "test", "--target", "cortex-m3", elf.string()}, {}, {{"PATH", "/nonexistent"}});
  EXPECT_EQ(result.err,
            "xbuild: error: could not start \"qemu-system-arm\": no such file or directory; install qemu-system-arm "
            "(target cortex-m3)\n");
  result = xbuild({"firmware", "test", "--target", "cortex-m3", "--pass-pattern", "(", elf.string()});
  EXPECT_EQ(result.err,
            "xbuild: error: the pass pattern \"(\" is not a valid regex (Mismatched '(' and ')' in regular "
            "expression)\n");
  result = xbuild({"firmware", "pack", "--target", "cortex-m3", "-o", "oci:" + (scratch / "o").string(), elf.string()},
                  {}, {{"PATH", "/nonexistent"}});
  EXPECT_EQ(result.exit_code, 1);
  // objdump -h is the first tool pack runs: it finds the ELF's load regions.
  EXPECT_NE(result.err.find(": arm-none-eabi-objdump not found on PATH; install gcc-arm-none-eabi "
                            "libnewlib-arm-none-eabi (target cortex-m3)\n"),
            std::string::npos)
      << result.err;
  EXPECT_FALSE(fs::exists(scratch / "o"));
  // SOURCE_DATE_EPOCH is checked as `xbuild run` checks it, not read as 0.
  result = xbuild({"firmware", "pack", "--target", "cortex-m3", "-o", "oci:" + (scratch / "o").string(), elf.string()},
                  {}, {{"SOURCE_DATE_EPOCH", "yesterday"}});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err,
            "xbuild: error: SOURCE_DATE_EPOCH=\"yesterday\" is not a non-negative whole number of seconds\n");
  EXPECT_FALSE(fs::exists(scratch / "o"));
  for (const fs::directory_entry& entry : fs::directory_iterator(scratch.path()))
    EXPECT_EQ(entry.path().filename().string().find(".o.tmp-"), std::string::npos) << "staging left behind";
}

TEST(FirmwareE2E, EnvironmentAndCrossFilesDescribeBareMetal) {
  ScratchDir scratch;
  CommandResult result =
      xbuild({"firmware", "env", "--target", "cortex-m33", "--state-dir", (scratch / "state").string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const fs::path dir = scratch / "state" / "firmware" / "cortex-m33";
  EXPECT_NE(result.out.find("CC=arm-none-eabi-gcc\n"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("CFLAGS='-mcpu=cortex-m33 -mthumb -mfloat-abi=soft'\n"), std::string::npos);
  EXPECT_NE(result.out.find("LDFLAGS='--specs=rdimon.specs -Wl,--section-start=.vectors=0x10000000 "
                            "-Wl,-Ttext-segment=0x10008000 " +
                            (dir / "startup.o").string() + " -Wl,--undefined=__xbuild_vectors'\n"),
            std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("XBUILD_FIRMWARE_STARTUP=" + (dir / "startup.o").string() + "\n"), std::string::npos);
  EXPECT_NE(
      result.out.find("XBUILD_FIRMWARE_STARTUP_SHA256=" +
                      sha256_file(source_root() / "toolchains" / "firmware" / "startup.S").value_or_throw() + "\n"),
      std::string::npos);
  EXPECT_NE(result.out.find("XBUILD_FIRMWARE_MACHINE=mps2-an505\n"), std::string::npos);
  EXPECT_NE(result.out.find("XBUILD_MESON_CROSS_FILE=" + (dir / "meson-cross.ini").string() + "\n"), std::string::npos);
  std::string meson = read_file(dir / "meson-cross.ini").value();
  EXPECT_NE(meson.find("[host_machine]\nsystem = 'none'\ncpu_family = 'arm'\ncpu = 'cortex-m33'\n"), std::string::npos)
      << meson;
  std::string cmake = read_file(dir / "toolchain.cmake").value();
  EXPECT_NE(cmake.find("set(CMAKE_SYSTEM_NAME Generic)\n"), std::string::npos) << cmake;
  EXPECT_NE(cmake.find("set(CMAKE_C_FLAGS_INIT \"\")\nforeach(_xbuild_flag IN ITEMS -mcpu=cortex-m33 -mthumb "
                       "-mfloat-abi=soft)\n"),
            std::string::npos)
      << cmake;
  // Compiled once: a second env has nothing to compile.
  result = xbuild({"firmware", "env", "--target", "cortex-m33", "--state-dir", (scratch / "state").string()});
  EXPECT_EQ(result.err, "xbuild firmware env: wrote " + (dir / "meson-cross.ini").string() + " and " +
                            (dir / "toolchain.cmake").string() + "\n");

  // A project's [firmware] startup that is wrong: the config's error, and nothing written.
  scratch.write("p/xbuild.toml",
                "[project]\nname = \"p\"\n[targets]\nfirmware = [\"cortex-m4f\"]\n[stage.build]\nrun = \"make\"\n"
                "[firmware]\nstartup = true\n");
  result = xbuild({"firmware", "env", "--target", "cortex-m4f"}, scratch / "p");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err, (scratch / "p" / "xbuild.toml").string() +
                            ":8:11: error: \"startup\" in [firmware] is true, which is the default: leave it out to "
                            "link xbuild's own startup, write startup = false to link your own vector table, or "
                            "name your startup source (startup = \"startup.c\")\n"
                            "    8 | startup = true\n"
                            "      |           ^\n"
                            "xbuild: error: 1 error in " +
                            (scratch / "p" / "xbuild.toml").string() + "; nothing was run\n");
  EXPECT_FALSE(fs::exists(scratch / "p" / ".xbuild"));
}

// A test that crashes ends at once with what the startup's fault handler says, on a soft- and
// a hard-float target.
TEST(FirmwareE2E, ACrashEndsTheTestAtOnceWithTheFault) {
  XB_REQUIRE_TOOLS(kFirmwareTools);
  ScratchDir scratch;
  scratch.write("crash.c",
                "#include <stdio.h>\n"
                "int main(void) {\n"
                "  printf(\"about to crash\\n\");\n"
                "  ((void (*)(void))0xFFFFFFF1u)();\n"
                "  return 0;\n"
                "}\n");
  for (const std::string target : {"cortex-m0", "cortex-m4f"}) {
    SCOPED_TRACE(target);
    CommandResult built = run({"sh", "-c",
                               "set -a; eval \"$(\"$XB\" firmware env --target " + target +
                                   " --state-dir state)\"; set +a; $CC $CFLAGS crash.c $LDFLAGS -o crash.elf"},
                              {{"XB", xbuild_binary().string()}}, scratch.path());
    ASSERT_EQ(built.exit_code, 0) << built.out << built.err;
    auto start = std::chrono::steady_clock::now();
    CommandResult result =
        xbuild({"firmware", "test", "--target", target, "--timeout", "30", (scratch / "crash.elf").string()});
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.out.find("about to crash\n\nxbuild startup: unhandled exception 3 (HardFault) at pc=0x"),
              std::string::npos)
        << result.out;
    EXPECT_NE(result.out.find("): FAILED: exit code 134\nthe console ended with:\n  | about to crash\n  | xbuild "
                              "startup: unhandled exception 3 (HardFault) at pc=0x"),
              std::string::npos)
        << result.out;
  }
}

// A Meson project builds and tests through the generated cross file: Meson's sanity check runs
// (it gets the startup too) and each test's exit status is Meson's verdict (77: skipped).
TEST(FirmwareE2E, AMesonProjectTestsThroughTheCrossFile) {
  XB_REQUIRE_TOOLS(kFirmwareTools);
  XB_REQUIRE_TOOLS("meson", "ninja");
  ScratchDir scratch;
  scratch.write("project/meson.build",
                "project('status', 'c')\n"
                "test('passes', executable('passes', 'status.c'))\n"
                "test('skips', executable('skips', 'status.c', c_args : ['-DSTATUS=77']))\n"
                "test('fails', executable('fails', 'status.c', c_args : ['-DSTATUS=3']))\n");
  scratch.write("project/status.c",
                "#include <stdio.h>\n"
                "#ifndef STATUS\n#define STATUS 0\n#endif\n"
                "int main(void) { printf(\"status %d\\n\", STATUS); return STATUS; }\n");
  CommandResult result =
      run({"sh", "-c",
           "set -a; eval \"$(\"$XB\" firmware env --target cortex-m7 --state-dir ../state)\"; set +a; "
           "meson setup ../build --cross-file \"$XBUILD_MESON_CROSS_FILE\" && meson test -C ../build"},
          {{"XB", xbuild_binary().string()}}, scratch / "project");
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  EXPECT_EQ(result.out.find("Cross compiler sanity tests disabled"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("Ok:                 1"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("Fail:               1"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("Skipped:            1"), std::string::npos) << result.out;
  std::string log = read_file(scratch / "build" / "meson-logs" / "testlog.txt").value_or_throw();
  EXPECT_NE(log.find("status 3\n"), std::string::npos) << log;
  std::string setup = read_file(scratch / "build" / "meson-logs" / "meson-log.txt").value_or_throw();
  EXPECT_NE(setup.find((scratch / "state" / "firmware" / "cortex-m7" / "startup.o").string()), std::string::npos);
}

TEST(FirmwareE2E, PackWritesAnOciArtifactThatReadsBack) {
  XB_REQUIRE_TOOLS(kFirmwareTools);
  XB_REQUIRE_TOOLS("skopeo", "docker-registry");
  ScratchDir scratch;
  fs::path out = build_images(scratch, "cortex-m4");
  const fs::path layout = scratch / "firmware-oci";
  CommandResult packed = xbuild({"firmware", "pack", "--target", "cortex-m4", "--name", "crc-demo", "-o",
                                 "oci:" + layout.string(), (out / "firmware.elf").string()});
  ASSERT_EQ(packed.exit_code, 0) << packed.err;
  // The report names the file without its directory (run next to it), as the artifact holds it.
  CommandResult size = run({"arm-none-eabi-size", "firmware.elf"}, {}, out);
  std::istringstream numbers(size.out.substr(size.out.find('\n') + 1));
  std::string text, data, bss;
  numbers >> text >> data >> bss;
  EXPECT_EQ(packed.out.substr(0, packed.out.find('\n')),
            "firmware firmware.elf for cortex-m4: text " + text + ", data " + data + ", bss " + bss + " bytes");

  CommandResult raw = run({"skopeo", "inspect", "--raw", "oci:" + layout.string()});
  ASSERT_EQ(raw.exit_code, 0) << raw.err;
  json manifest = json::parse(raw.out);
  EXPECT_EQ(manifest["artifactType"], "application/vnd.xbuild.firmware.v1");
  EXPECT_EQ(manifest["config"]["mediaType"], "application/vnd.oci.empty.v1+json");
  EXPECT_EQ(manifest["annotations"]["xbuild.firmware.target"], "cortex-m4");
  EXPECT_EQ(manifest["annotations"]["xbuild.firmware.cpu"], "cortex-m4");
  EXPECT_EQ(manifest["annotations"]["xbuild.firmware.board"], "mps2-an386");
  EXPECT_EQ(manifest["annotations"]["xbuild.firmware.size.text"], text);
  ASSERT_EQ(manifest["layers"].size(), 4u);
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"crc-demo.elf", "application/vnd.xbuild.firmware.elf"},
      {"crc-demo.bin", "application/vnd.xbuild.firmware.bin"},
      {"crc-demo.hex", "application/vnd.xbuild.firmware.ihex"},
      {"crc-demo.size.txt", "text/plain; charset=utf-8"}};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(manifest["layers"][i]["annotations"]["org.opencontainers.image.title"], expected[i].first);
    EXPECT_EQ(manifest["layers"][i]["mediaType"], expected[i].second);
  }
  // The blobs are the files: the ELF as built, the .bin as objcopy makes it.
  auto blob = [&](std::size_t i) {
    std::string digest = manifest["layers"][i]["digest"];
    return read_file(layout / "blobs" / "sha256" / digest.substr(7)).value();
  };
  EXPECT_EQ(blob(0), read_file(out / "firmware.elf").value());
  ASSERT_EQ(
      run({"arm-none-eabi-objcopy", "-O", "binary", (out / "firmware.elf").string(), (scratch / "x.bin").string()})
          .exit_code,
      0);
  EXPECT_EQ(blob(1), read_file(scratch / "x.bin").value());
  EXPECT_EQ(blob(2).substr(0, 1), ":");
  EXPECT_EQ(blob(3), size.out);
  json index = json::parse(read_file(layout / "index.json").value());
  ASSERT_EQ(index["manifests"].size(), 1u);
  EXPECT_EQ(index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"], "cortex-m4");

  // A registry carries it like an image: `xbuild push`, then read back by skopeo.
  LocalRegistry registry(scratch / "registry");
  if (!registry.ok()) {
    ADD_FAILURE() << registry.error();
    return;
  }
  const std::string ref = registry.host() + "/team/crc-demo:cortex-m4";
  CommandResult pushed = xbuild({"push", "oci:" + layout.string(), ref});
  ASSERT_EQ(pushed.exit_code, 0) << pushed.out << pushed.err;
  CommandResult remote = run({"skopeo", "inspect", "--raw", "--tls-verify=false", "docker://" + ref});
  ASSERT_EQ(remote.exit_code, 0) << remote.err;
  EXPECT_EQ(remote.out, raw.out);
  std::string elf_digest = manifest["layers"][0]["digest"];
  CommandResult fetched = run(
      {"skopeo", "copy", "--src-tls-verify=false", "docker://" + ref, "oci:" + (scratch / "fetched").string() + ":fw"});
  ASSERT_EQ(fetched.exit_code, 0) << fetched.err;
  EXPECT_EQ(read_file(scratch / "fetched" / "blobs" / "sha256" / elf_digest.substr(7)).value(),
            read_file(out / "firmware.elf").value());
}

// A bare-metal target keeps its build tree like any other: make relinks only the image whose
// source changed, and the test stage still runs it under QEMU.
TEST(FirmwareE2E, AKeptBuildTreeRelinksOnlyWhatChanged) {
  XB_REQUIRE_TOOLS(kFirmwareTools);
  ScratchDir scratch;
  fs::path project = copy_example("firmware", scratch / "firmware");
  scratch.write("firmware/xbuild.toml", R"([project]
name = "crc16"

[targets]
firmware = ["cortex-m3"]

[stage.build]
keep = ["build"]
run = 'make OUT="$XBUILD_WORK/build" all && cp "$XBUILD_WORK/build/firmware.elf" "$XBUILD_WORK/build/test.elf" "$XBUILD_OUT/"'

[stage.test]
needs = ["build"]
run = '$XBUILD_EXEC "$XBUILD_OUT/test.elf"'
)");
  const fs::path log = project / ".xbuild/logs/none-arm-cortex-m3/build.log";
  // The link lines make echoed for `image` (each ends with "-o <its path>").
  auto links = [&](const std::string& image) {
    const std::string output = "-o " + (project / ".xbuild/work/none-arm-cortex-m3/build" / image).string();
    std::size_t count = 0;
    for (const std::string& line : split(read_file(log).value(), '\n'))
      count += std::string_view(line).ends_with(output) ? 1 : 0;
    return count;
  };
  CommandResult first = xbuild({"run", "--progress", "plain"}, project);
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  EXPECT_EQ(links("firmware.elf"), 1u) << read_file(log).value();
  EXPECT_EQ(links("test.elf"), 1u) << read_file(log).value();

  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // make judges by modification time
  std::string main = read_file(project / "main.c").value();
  ASSERT_TRUE(write_file_atomic(project / "main.c", main + "/* edited */\n"));
  CommandResult edited = xbuild({"run", "--progress", "plain"}, project);
  ASSERT_EQ(edited.exit_code, 0) << edited.out << edited.err;
  EXPECT_EQ(edited.out.find("wiped"), std::string::npos) << edited.out;
  EXPECT_EQ(links("firmware.elf"), 1u) << read_file(log).value();
  EXPECT_EQ(links("test.elf"), 0u) << read_file(log).value();
  EXPECT_NE(read_file(project / ".xbuild/logs/none-arm-cortex-m3/test.log").value().find("0 Failures"),
            std::string::npos);
}

}  // namespace
}  // namespace xb::testing

// Firmware test verdicts with the real ThrowTheSwitch Unity that cJSON 1.7.15's Debian source
// bundles (tests/unity): a test that spins for ever is stopped after the hang timeout with the
// name of the test before it, a suite with a failing and an ignored test gives one JUnit test
// case per test on a firmware target and on linux/amd64 alike, and instruction counting makes a
// SysTick measurement the same on every run.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>

#include "e2e/debian_source.h"
#include "e2e/e2e_support.h"
#include "support/require.h"
#include "util/fs.h"

namespace xb::testing {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kTools = {"cc", "arm-none-eabi-gcc", "qemu-system-arm"};

const char* const kVerdicts = R"(#include "unity.h"

void setUp(void) {}
void tearDown(void) {}

static void adds_up(void) { TEST_ASSERT_EQUAL_INT(4, 2 + 2); }

static void off_by_one(void) {
  int answer = 41;
  TEST_ASSERT_EQUAL_INT_MESSAGE(42, answer, "the answer");
}

static void not_on_this_board(void) { TEST_IGNORE_MESSAGE("needs a real UART"); }

int main(void) {
  UNITY_BEGIN();
  RUN_TEST(adds_up);
  RUN_TEST(off_by_one);
  RUN_TEST(not_on_this_board);
  return UNITY_END();
}
)";

const char* const kHang = R"(#include "unity.h"

void setUp(void) {}
void tearDown(void) {}

static void passes_first(void) { TEST_ASSERT_EQUAL_INT(4, 2 + 2); }

static void spins_forever(void) {
  for (volatile unsigned spin = 0;; ++spin) {
  }
}

int main(void) {
  UNITY_BEGIN();
  RUN_TEST(passes_first);
  RUN_TEST(spins_forever);
  return UNITY_END();
}
)";

// How many SysTick counts (the processor clock) a fixed loop takes.
const char* const kTicks = R"(#include <stdint.h>
#include <stdio.h>

#define SYST_CSR (*(volatile uint32_t*)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t*)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t*)0xE000E018u)

int main(void) {
  SYST_RVR = 0xFFFFFFu;
  SYST_CVR = 0;
  SYST_CSR = 5u;
  uint32_t start = SYST_CVR;
  for (volatile unsigned i = 0; i < 100000u; ++i) {
  }
  uint32_t end = SYST_CVR;
  printf("ticks %lu\n", (unsigned long)((start - end) & 0xFFFFFFu));
  return 0;
}
)";

const char* const kConfig = R"(
[project]
name = "unity-verdicts"

[targets]
platforms = ["linux/amd64"]
firmware = ["cortex-m3"]

[stage.build]
run = '''
for t in verdicts hang; do $CC $CFLAGS -Iunity/src $t.c unity/src/unity.c $LDFLAGS -o "$XBUILD_OUT/$t"; done
'''

[stage.test]
needs = ["build"]
run = '$XBUILD_EXEC "$XBUILD_OUT/verdicts"'

[stage.hang]
needs = ["build"]
run = '$XBUILD_EXEC "$XBUILD_OUT/hang"'

[firmware]
timeout = "60s"
hang_timeout = "2s"

[platform."linux/amd64".stage.build]
run = 'cc -Iunity/src verdicts.c unity/src/unity.c -o "$XBUILD_OUT/verdicts"'

[platform."linux/amd64".stage.test]
run = '"$XBUILD_OUT/verdicts"'

[platform."linux/amd64".stage.hang]
run = 'true'
)";

// A project of the three test files, Unity's sources and examples/firmware's vector table, or
// why it cannot be had.
std::string prepare(const ScratchDir& scratch, fs::path& project) {
  DebianSource source = fetch_debian_source("cjson", "bookworm");
  if (source.tree.empty()) return source.error;
  project = scratch / "verdicts";
  // Unity's sources, and the configuration cJSON gives it (src/unity_internals.h includes
  // ../examples/unity_config.h).
  fs::create_directories(project / "unity" / "examples");
  fs::copy(source.tree / "tests" / "unity" / "src", project / "unity" / "src");
  fs::copy_file(source.tree / "tests" / "unity" / "examples" / "unity_config.h",
                project / "unity" / "examples" / "unity_config.h");
  scratch.write("verdicts/verdicts.c", kVerdicts);
  scratch.write("verdicts/hang.c", kHang);
  scratch.write("verdicts/ticks.c", kTicks);
  scratch.write("verdicts/xbuild.toml", kConfig);
  return "";
}

// The line of `text` that holds `part` (1-based).
int line_of(const std::string& text, const std::string& part) {
  std::size_t at = text.find(part);
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
}

// Builds `name`.c for cortex-m3 with the environment `xbuild firmware env` prints.
fs::path build_elf(const fs::path& project, const std::string& name) {
  CommandResult built = run({"sh", "-c",
                             "set -e; set -a; eval \"$(\"$XB\" firmware env --target cortex-m3 --state-dir state)\"; "
                             "set +a; $CC $CFLAGS -Iunity/src " +
                                 name + ".c unity/src/unity.c $LDFLAGS -o " + name},
                            {{"XB", xbuild_binary().string()}}, project);
  EXPECT_EQ(built.exit_code, 0) << built.out << built.err;
  return project / name;
}

TEST(FirmwareVerdicts, ASilentUnityTestIsStoppedAsHungAfterTheTestBeforeIt) {
  XB_REQUIRE_TOOLS(kTools);
  ScratchDir scratch;
  fs::path project;
  if (std::string why = prepare(scratch, project); !why.empty()) XB_MACHINE_CANNOT(why);
  fs::path elf = build_elf(project, "hang");
  auto start = std::chrono::steady_clock::now();
  CommandResult result =
      xbuild({"firmware", "test", "--target", "cortex-m3", "--timeout", "60", "--hang-timeout", "1", elf.string()});
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  EXPECT_EQ(result.out.rfind("hang.c:15:passes_first:PASS\n", 0), 0u) << result.out;
  EXPECT_NE(result.out.find("\nfirmware test hang on cortex-m3 (mps2-an385): FAILED: hung after passes_first (no "
                            "console output for 1000 ms); qemu-system-arm was stopped\n"
                            "the console ended with:\n"
                            "  | hang.c:15:passes_first:PASS\n"),
            std::string::npos)
      << result.out;
  EXPECT_GE(elapsed, std::chrono::milliseconds(900));
  EXPECT_LT(elapsed, std::chrono::seconds(5)) << "the hang timeout, not the 60 s timeout, should have stopped it";
}

TEST(FirmwareVerdicts, InstructionCountingMakesTheBoardsClockFollowTheProgram) {
  XB_REQUIRE_TOOLS(kTools);
  ScratchDir scratch;
  fs::path project;
  if (std::string why = prepare(scratch, project); !why.empty()) XB_MACHINE_CANNOT(why);
  fs::path elf = build_elf(project, "ticks");
  // The SysTick count the console's first line gives, the test having passed.
  auto ticks_at = [&](const std::string& icount) -> long {
    std::vector<std::string> args = {"firmware", "test", "--target", "cortex-m3", "--pass-pattern", "^ticks [0-9]+\n"};
    if (!icount.empty()) args.insert(args.end(), {"--icount", icount});
    args.push_back(elf.string());
    CommandResult result = xbuild(args);
    EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
    EXPECT_EQ(result.out.rfind("ticks ", 0), 0u) << result.out;
    return std::strtol(result.out.c_str() + std::min<std::size_t>(result.out.size(), 6), nullptr, 10);
  };
  // The default shift, twice: the same instructions, the same count.
  const long first = ticks_at("");
  EXPECT_GT(first, 0);
  EXPECT_EQ(ticks_at(""), first);
  EXPECT_EQ(ticks_at("6"), first) << "6 is the default shift";
  // Shift 3 makes each instruction 8 ns of the board's time instead of 64 ns: an eighth of the
  // count for the same loop (within the counter's rounding).
  const long eighth = ticks_at("3");
  EXPECT_NEAR(static_cast<double>(eighth), static_cast<double>(first) / 8, 1.0) << first;
  // Without instruction counting the board's clock follows the host's; the test still runs.
  ticks_at("off");

  CommandResult bad = xbuild({"firmware", "test", "--target", "cortex-m3", "--icount", "11", elf.string()});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(bad.out, "");
  EXPECT_EQ(bad.err,
            "xbuild: error: --icount \"11\" is not an instruction counting shift from 0 to 10 or \"off\"; fix "
            "[firmware] icount or the option\n");
}

TEST(FirmwareVerdicts, JunitHasACasePerUnityTestOnAFirmwareTargetAndOnLinux) {
  XB_REQUIRE_TOOLS(kTools);
  ScratchDir scratch;
  fs::path project;
  if (std::string why = prepare(scratch, project); !why.empty()) XB_MACHINE_CANNOT(why);
  const fs::path junit = scratch / "junit.xml";
  auto start = std::chrono::steady_clock::now();
  CommandResult result = xbuild(
      {"run", "xbuild.toml", "--keep-going", "--no-cache", "--progress", "plain", "-j", "2", "--junit", junit.string()},
      project);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(50)) << "the 60 s timeout was reached";
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;

  const std::string hang_log = read_file(project / ".xbuild" / "logs" / "none-arm-cortex-m3" / "hang.log").value();
  EXPECT_NE(hang_log.find("firmware test hang on cortex-m3 (mps2-an385): FAILED: hung after passes_first (no console "
                          "output for 2000 ms); qemu-system-arm was stopped\n"),
            std::string::npos)
      << hang_log;

  const int fail_line = line_of(kVerdicts, "TEST_ASSERT_EQUAL_INT_MESSAGE");
  const std::string xml = read_file(junit).value();
  for (const std::string platform : {"none/arm/cortex-m3", "linux/amd64"}) {
    SCOPED_TRACE(platform);
    const std::string classname = "classname=\"" + platform + ".test\"";
    EXPECT_NE(xml.find("<testcase " + classname + " name=\"adds_up\" file=\"verdicts.c\"/>\n"), std::string::npos)
        << xml;
    EXPECT_NE(xml.find("<testcase " + classname +
                       " name=\"off_by_one\" file=\"verdicts.c\">\n"
                       "      <failure message=\"Expected 42 Was 41. the answer\" type=\"failed\">verdicts.c:" +
                       std::to_string(fail_line) + ": Expected 42 Was 41. the answer</failure>\n"),
              std::string::npos)
        << xml;
    EXPECT_NE(xml.find("<testcase " + classname +
                       " name=\"not_on_this_board\" file=\"verdicts.c\">\n"
                       "      <skipped message=\"needs a real UART\"/>\n"
                       "    </testcase>\n"),
              std::string::npos)
        << xml;
    // The test stage's failure is the failing test's: no case of its own.
    EXPECT_EQ(xml.find("<testcase classname=\"" + platform + "\" name=\"test\""), std::string::npos) << xml;
  }
  // The hang: the test before it passed, and the stage fails with the verdict.
  EXPECT_NE(xml.find("<testcase classname=\"none/arm/cortex-m3.hang\" name=\"passes_first\" file=\"hang.c\"/>\n"
                     "    <testcase classname=\"none/arm/cortex-m3\" name=\"hang\" time=\""),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<failure message=\"failed (hung after passes_first (no console output for 2000 ms); "
                     "qemu-system-arm was stopped)\" type=\"failed\">"),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<testsuite name=\"none/arm/cortex-m3\" tests=\"6\" failures=\"2\" errors=\"0\" skipped=\"1\""),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<testsuite name=\"linux/amd64\" tests=\"5\" failures=\"1\" errors=\"0\" skipped=\"1\""),
            std::string::npos)
      << xml;
}

}  // namespace
}  // namespace xb::testing

// The verdict of a firmware test against consoles captured from real ThrowTheSwitch Unity 2.4.3
// (cJSON 1.7.15's tests/unity, its suites built for cortex-m3 and run on qemu-system-arm
// mps2-an385; file names as gcc was given them): the exit code decides first, then the pass
// pattern, and a failed verdict quotes the console's last lines.
#include "firmware/qemu_test.h"

#include <gtest/gtest.h>

#include <regex>

namespace xb::firmware {
namespace {

// parse_hex4, exit code 0. Unity ends its summary line with a space.
const std::string kPassing =
    "parse_hex4.c:70:parse_hex4_should_parse_all_combinations:PASS\n"
    "parse_hex4.c:71:parse_hex4_should_parse_mixed_case:PASS\n"
    "\n"
    "-----------------------\n"
    "2 Tests 0 Failures 0 Ignored \n"
    "OK\n";

// print_number, exit code 0: one of cJSON's own tests calls TEST_IGNORE().
const std::string kIgnored =
    "print_number.c:120:print_number_should_print_positive_reals:PASS\n"
    "print_number.c:121:print_number_should_print_negative_reals:PASS\n"
    "print_number.c:105:print_number_should_print_non_number:IGNORE\n"
    "\n"
    "-----------------------\n"
    "6 Tests 0 Failures 1 Ignored \n"
    "OK\n";

// parse_hex4 with one input changed by sed ("BEEF" to "BEEE"), exit code 1 (Unity's main
// returns the number of failures).
const std::string kFailing =
    "parse_hex4_flipped.c:70:parse_hex4_should_parse_all_combinations:PASS\n"
    "parse_hex4_flipped.c:64:parse_hex4_should_parse_mixed_case:FAIL: Expected 48879 Was 48878\n"
    "\n"
    "-----------------------\n"
    "2 Tests 1 Failures 0 Ignored \n"
    "FAIL\n";

const std::chrono::milliseconds kHang{10000};

bool matches(const std::string& console) {
  return std::regex_search(console, std::regex(kDefaultPassPattern, std::regex::ECMAScript));
}

std::string crlf(std::string text) {
  for (std::size_t at = text.find('\n'); at != std::string::npos; at = text.find('\n', at + 2)) text.insert(at, "\r");
  return text;
}

TEST(QemuTestTest, DefaultPatternMatchesRealUnityPasses) {
  EXPECT_TRUE(matches(kPassing));
  EXPECT_TRUE(matches(kIgnored));
  EXPECT_TRUE(matches(crlf(kPassing)));
  EXPECT_TRUE(matches(kPassing.substr(0, kPassing.size() - 1)));  // no newline after OK
  // The in-tree runner of examples/firmware prints no trailing space.
  EXPECT_TRUE(matches("3 Tests 0 Failures 0 Ignored\nOK\n"));
}

TEST(QemuTestTest, DefaultPatternRejectsFailuresAndLookalikes) {
  EXPECT_FALSE(matches(kFailing));
  EXPECT_FALSE(matches(crlf(kFailing)));
  EXPECT_FALSE(matches("12 Tests 10 Failures 0 Ignored \nOK\n"));
  EXPECT_FALSE(matches("2 Tests 0 Failures 0 Ignored \nOKAY\n"));
  EXPECT_FALSE(matches("x2 Tests 0 Failures 0 Ignored \nOK\n"));
  EXPECT_FALSE(matches("2 Tests 0 Failures 0 Ignored \n"));
}

TEST(QemuTestTest, PassingSuitePasses) {
  TestOutcome outcome = judge({}, kIgnored, kDefaultPassPattern, std::chrono::milliseconds(10000), kHang).value();
  EXPECT_TRUE(outcome.passed);
  EXPECT_TRUE(outcome.pattern_matched);
  EXPECT_EQ(outcome.verdict, "passed (exit code 0, pass pattern matched)");
  EXPECT_TRUE(outcome.console_tail.empty());
  EXPECT_TRUE(quoted_console(outcome).empty());
}

TEST(QemuTestTest, FailingSuiteFailsOnItsExitCodeAndQuotesTheConsole) {
  TestOutcome outcome =
      judge({false, 0, 1}, crlf(kFailing), kDefaultPassPattern, std::chrono::milliseconds(10000), kHang).value();
  EXPECT_FALSE(outcome.passed);
  EXPECT_EQ(outcome.exit_code, 1);
  EXPECT_EQ(outcome.verdict, "FAILED: exit code 1");
  EXPECT_EQ(quoted_console(outcome),
            (std::vector<std::string>{
                "the console ended with:", "  | parse_hex4_flipped.c:70:parse_hex4_should_parse_all_combinations:PASS",
                "  | parse_hex4_flipped.c:64:parse_hex4_should_parse_mixed_case:FAIL: Expected "
                "48879 Was 48878",
                "  | -----------------------", "  | 2 Tests 1 Failures 0 Ignored", "  | FAIL"}));
}

TEST(QemuTestTest, ExitCodeZeroWithAFailedSummaryStillFails) {
  // A main that ignores UNITY_END()'s count: the pattern catches it.
  TestOutcome outcome = judge({}, kFailing, kDefaultPassPattern, std::chrono::milliseconds(10000), kHang).value();
  EXPECT_FALSE(outcome.passed);
  EXPECT_EQ(outcome.verdict, "FAILED: exit code 0 but the console never matched the pass pattern");
  EXPECT_EQ(outcome.console_tail.size(), kQuotedLines);
  EXPECT_EQ(outcome.console_tail.back(), "FAIL");
}

TEST(QemuTestTest, ExitCodeDecidesBeforeThePattern) {
  // The summary says OK but the program then exited 3 (a crash after UNITY_END, say).
  TestOutcome outcome =
      judge({false, 0, 3}, kPassing, kDefaultPassPattern, std::chrono::milliseconds(10000), kHang).value();
  EXPECT_FALSE(outcome.passed);
  EXPECT_TRUE(outcome.pattern_matched);
  EXPECT_EQ(outcome.verdict, "FAILED: exit code 3");
}

TEST(QemuTestTest, TimeoutSignalAndEmptyConsole) {
  TestOutcome timed_out =
      judge({true, 15, 0}, "booting\n\n", kDefaultPassPattern, std::chrono::milliseconds(2000), kHang).value();
  EXPECT_EQ(timed_out.verdict, "FAILED: no exit after the timeout (2000 ms); qemu-system-arm was stopped");
  EXPECT_EQ(quoted_console(timed_out), (std::vector<std::string>{"the console ended with:", "  | booting"}));
  // QEMU's own notice of the SIGTERM is left out.
  timed_out = judge({true, 15, 0}, "booting\nqemu-system-arm: terminating on signal 15 from pid 7 (xbuild)\n",
                    kDefaultPassPattern, std::chrono::milliseconds(2000), kHang)
                  .value();
  EXPECT_EQ(timed_out.console_tail, std::vector<std::string>{"booting"});
  TestOutcome signalled = judge({false, 9, 0}, "", kDefaultPassPattern, std::chrono::milliseconds(2000), kHang).value();
  EXPECT_EQ(signalled.verdict, "FAILED: qemu-system-arm ended by signal 9");
  EXPECT_EQ(quoted_console(signalled), std::vector<std::string>{"the console was empty"});
}

TEST(QemuTestTest, TheCommandLineCountsInstructionsWhenAsked) {
  Target target;
  target.machine = "mps2-an385";
  target.cpu = "cortex-m3";
  target.qemu_cpu = "cortex-m3";
  EXPECT_EQ(qemu_command(target, "t.elf", kDefaultIcountShift),
            (std::vector<std::string>{"qemu-system-arm", "-M", "mps2-an385", "-cpu", "cortex-m3", "-nographic",
                                      "-monitor", "none", "-semihosting-config", "enable=on,target=native", "-icount",
                                      "shift=6,align=off,sleep=off", "-kernel", "t.elf"}));
  EXPECT_EQ(qemu_command(target, "t.elf", 0)[11], "shift=0,align=off,sleep=off");
  EXPECT_EQ(
      qemu_command(target, "t.elf", std::nullopt),
      (std::vector<std::string>{"qemu-system-arm", "-M", "mps2-an385", "-cpu", "cortex-m3", "-nographic", "-monitor",
                                "none", "-semihosting-config", "enable=on,target=native", "-kernel", "t.elf"}));
  EXPECT_EQ(TestOptions{}.icount_shift, std::optional<int>(6));
}

TEST(QemuTestTest, AHangNamesTheLastTestUnityPrinted) {
  // parse_hex4's first test passed, then the firmware went silent in the second.
  const std::string console = kFailing.substr(0, kFailing.find("parse_hex4_flipped.c:64")) +
                              "qemu-system-arm: terminating on signal 15 from pid 7 (xbuild)\n";
  QemuEnd end;
  end.hung = true;
  end.term_signal = 15;
  TestOutcome outcome =
      judge(end, console, kDefaultPassPattern, std::chrono::milliseconds(60000), std::chrono::milliseconds(3000))
          .value();
  EXPECT_FALSE(outcome.passed);
  EXPECT_TRUE(outcome.hung);
  EXPECT_EQ(outcome.verdict,
            "FAILED: hung after parse_hex4_should_parse_all_combinations (no console output for 3000 ms); "
            "qemu-system-arm was stopped");
  EXPECT_EQ(quoted_console(outcome),
            (std::vector<std::string>{"the console ended with:",
                                      "  | parse_hex4_flipped.c:70:parse_hex4_should_parse_all_combinations:PASS"}));
}

TEST(QemuTestTest, AHangWithoutATestLineNamesTheConsolesLastLine) {
  QemuEnd end;
  end.hung = true;
  TestOutcome outcome = judge(end, "booting\nclock at 25 MHz\n", kDefaultPassPattern, std::chrono::milliseconds(60000),
                              std::chrono::milliseconds(10000))
                            .value();
  EXPECT_EQ(outcome.verdict,
            "FAILED: hung after \"clock at 25 MHz\" (no console output for 10000 ms); qemu-system-arm was stopped");
}

TEST(QemuTestTest, AHangBeforeAnyOutput) {
  QemuEnd end;
  end.hung = true;
  TestOutcome outcome = judge(end, "qemu-system-arm: terminating on signal 15 from pid 7 (xbuild)\n",
                              kDefaultPassPattern, std::chrono::milliseconds(60000), std::chrono::milliseconds(10000))
                            .value();
  EXPECT_EQ(outcome.verdict,
            "FAILED: hung before any output (no console output for 10000 ms); qemu-system-arm was stopped");
  EXPECT_EQ(quoted_console(outcome), std::vector<std::string>{"the console was empty"});
}

TEST(QemuTestTest, AHangInAGoogleTestNamesTheTestThatNeverEnded) {
  QemuEnd end;
  end.hung = true;
  TestOutcome outcome = judge(end, "[ RUN      ] Xb.Passes\n[       OK ] Xb.Passes (0 ms)\n[ RUN      ] Xb.Spins\n",
                              kDefaultPassPattern, std::chrono::milliseconds(60000), std::chrono::milliseconds(500))
                            .value();
  EXPECT_EQ(outcome.verdict, "FAILED: hung in Xb.Spins (no console output for 500 ms); qemu-system-arm was stopped");
}

TEST(QemuTestTest, BadPatternIsAnError) {
  Result<TestOutcome> outcome = judge({}, kPassing, "(", std::chrono::milliseconds(1), kHang);
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error(),
            "the pass pattern \"(\" is not a valid regex (Mismatched '(' and ')' in regular expression)");
}

}  // namespace
}  // namespace xb::firmware

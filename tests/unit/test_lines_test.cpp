// Test lines read from consoles captured from real frameworks, built for cortex-m3 and run on
// qemu-system-arm mps2-an385: ThrowTheSwitch Unity 2.4.3 (cJSON 1.7.15's tests/unity, its own
// print_number suite and a file of failing and ignored tests built against it), GoogleTest
// 1.12.1 and CppUTest 4.0 (with -v through QEMU's -append, and without).
#include "firmware/test_lines.h"

#include <gtest/gtest.h>

namespace xb::firmware {
namespace {

const std::string kUnityIgnored =
    "/var/cache/xbuild-research/fw/src/cJSON-1.7.15/tests/print_number.c:120:print_number_should_print_positive_reals:"
    "PASS\n"
    "/var/cache/xbuild-research/fw/src/cJSON-1.7.15/tests/print_number.c:121:print_number_should_print_negative_reals:"
    "PASS\n"
    "/var/cache/xbuild-research/fw/src/cJSON-1.7.15/tests/print_number.c:105:print_number_should_print_non_number:"
    "IGNORE\n"
    "\n"
    "-----------------------\n"
    "6 Tests 0 Failures 1 Ignored \n"
    "OK\n";

const std::string kUnityFailing =
    "xb_extra.c:15:passes:PASS\n"
    "xb_extra.c:8:fails_int:FAIL: Expected 42 Was 41\n"
    "xb_extra.c:10:fails_msg:FAIL: Expected 'abc' Was 'abd'. strings differ\n"
    "xb_extra.c:11:ignored:IGNORE: not on this board\n"
    "xb_extra.c:12:ignored_plain:IGNORE\n"
    "\n"
    "-----------------------\n"
    "5 Tests 2 Failures 2 Ignored \n"
    "FAIL\n";

const std::string kGoogleTest =
    "[==========] Running 4 tests from 1 test suite.\n"
    "[----------] Global test environment set-up.\n"
    "[----------] 4 tests from Xb\n"
    "[ RUN      ] Xb.Passes\n"
    "[       OK ] Xb.Passes (0 ms)\n"
    "[ RUN      ] Xb.FailsInt\n"
    "t.cc:3: Failure\n"
    "Expected equality of these values:\n"
    "  42\n"
    "  41\n"
    "[  FAILED  ] Xb.FailsInt (0 ms)\n"
    "[ RUN      ] Xb.FailsStr\n"
    "t.cc:4: Failure\n"
    "Expected equality of these values:\n"
    "  \"abc\"\n"
    "  \"abd\"\n"
    "strings differ\n"
    "[  FAILED  ] Xb.FailsStr (0 ms)\n"
    "[ DISABLED ] Xb.DISABLED_Off\n"
    "[ RUN      ] Xb.Skipped\n"
    "t.cc:6: Skipped\n"
    "not on this board\n"
    "[  SKIPPED ] Xb.Skipped (0 ms)\n"
    "[----------] 4 tests from Xb (0 ms total)\n"
    "\n"
    "[----------] Global test environment tear-down\n"
    "[==========] 4 tests from 1 test suite ran. (0 ms total)\n"
    "[  PASSED  ] 1 test.\n"
    "[  SKIPPED ] 1 test, listed below:\n"
    "[  SKIPPED ] Xb.Skipped\n"
    "[  FAILED  ] 2 tests, listed below:\n"
    "[  FAILED  ] Xb.FailsInt\n"
    "[  FAILED  ] Xb.FailsStr\n"
    "\n"
    " 2 FAILED TESTS\n"
    "  YOU HAVE 1 DISABLED TEST\n";

const std::string kCppUTestVerbose =
    "IGNORE_TEST(Xb, ignored) - 0 ms\n"
    "TEST(Xb, failsStr)\n"
    "cpputest_extra.cpp:6: error: Failure in TEST(Xb, failsStr)\n"
    "\texpected <abc>\n"
    "\tbut was  <abd>\n"
    "\tdifference starts at position 2 at: <        abd         >\n"
    "\t                                               ^\n"
    "\n"
    " - 0 ms\n"
    "TEST(Xb, failsInt)\n"
    "cpputest_extra.cpp:5: error: Failure in TEST(Xb, failsInt)\n"
    "\tLONGS_EQUAL(42, 41) failed\n"
    "\texpected <42 (0x2a)>\n"
    "\tbut was  <41 (0x29)>\n"
    "\n"
    " - 0 ms\n"
    "TEST(Xb, passes) - 0 ms\n"
    "\n"
    "Errors (2 failures, 4 tests, 3 ran, 3 checks, 1 ignored, 0 filtered out, 0 ms)\n"
    "\n";

const std::string kCppUTestQuiet =
    "!\n"
    "cpputest_extra.cpp:6: error: Failure in TEST(Xb, failsStr)\n"
    "\texpected <abc>\n"
    "\tbut was  <abd>\n"
    "\tdifference starts at position 2 at: <        abd         >\n"
    "\t                                               ^\n"
    "\n"
    ".\n"
    "cpputest_extra.cpp:5: error: Failure in TEST(Xb, failsInt)\n"
    "\tLONGS_EQUAL(42, 41) failed\n"
    "\texpected <42 (0x2a)>\n"
    "\tbut was  <41 (0x29)>\n"
    "\n"
    "..\n"
    "Errors (2 failures, 4 tests, 3 ran, 3 checks, 1 ignored, 0 filtered out, 0 ms)\n"
    "\n";

// One line per test: "name status file:line [message] [seconds]".
std::vector<std::string> describe(const std::vector<TestCase>& tests) {
  std::vector<std::string> lines;
  for (const TestCase& test : tests) {
    const char* status = test.status == TestStatus::passed    ? "passed"
                         : test.status == TestStatus::failed  ? "failed"
                         : test.status == TestStatus::skipped ? "skipped"
                                                              : "unfinished";
    std::string line = test.name + " " + status + " " + test.file + ":" + std::to_string(test.line);
    if (!test.message.empty()) line += " [" + test.message + "]";
    if (test.seconds >= 0) line += " " + std::to_string(test.seconds);
    lines.push_back(line);
  }
  return lines;
}

TEST(TestLinesTest, UnityPassesAndARealIgnore) {
  const std::string file = "/var/cache/xbuild-research/fw/src/cJSON-1.7.15/tests/print_number.c";
  EXPECT_EQ(describe(parse_test_lines(kUnityIgnored)),
            (std::vector<std::string>{"print_number_should_print_positive_reals passed " + file + ":120",
                                      "print_number_should_print_negative_reals passed " + file + ":121",
                                      "print_number_should_print_non_number skipped " + file + ":105"}));
}

TEST(TestLinesTest, UnityFailuresAndIgnoresWithTheirMessages) {
  EXPECT_EQ(describe(parse_test_lines(kUnityFailing)),
            (std::vector<std::string>{
                "passes passed xb_extra.c:15", "fails_int failed xb_extra.c:8 [Expected 42 Was 41]",
                "fails_msg failed xb_extra.c:10 [Expected 'abc' Was 'abd'. strings differ]",
                "ignored skipped xb_extra.c:11 [not on this board]", "ignored_plain skipped xb_extra.c:12"}));
}

TEST(TestLinesTest, UnityLinesWithCarriageReturnsAndColours) {
  EXPECT_EQ(
      describe(parse_test_lines("xb_extra.c:15:passes:\x1b[42mPASS\x1b[00m\r\n"
                                "xb_extra.c:8:fails_int:\x1b[41mFAIL\x1b[00m: Expected 42 Was 41\r\n")),
      (std::vector<std::string>{"passes passed xb_extra.c:15", "fails_int failed xb_extra.c:8 [Expected 42 Was 41]"}));
}

TEST(TestLinesTest, CompilerDiagnosticsAndSummariesAreNotTests) {
  EXPECT_TRUE(parse_test_lines("main.c:12:5: warning: unused variable 'x' [-Wunused-variable]\n"
                               "main.c:12:5: error: FAIL undeclared\n"
                               "5 Tests 2 Failures 2 Ignored \nFAIL\nOK\n"
                               "[  PASSED  ] 1 test.\n[  FAILED  ] Xb.FailsInt\n")
                  .empty());
}

TEST(TestLinesTest, LinesQuotedAfterAFailedVerdictAreNotReadAgain) {
  EXPECT_EQ(describe(parse_test_lines("xb_extra.c:15:passes:PASS\n"
                                      "firmware test xb.elf on cortex-m3 (mps2-an385): FAILED: exit code 1\n"
                                      "the console ended with:\n"
                                      "  | xb_extra.c:15:passes:PASS\n"
                                      "  | cpputest_extra.cpp:5: error: Failure in TEST(Xb, failsInt)\n")),
            std::vector<std::string>{"passes passed xb_extra.c:15"});
}

TEST(TestLinesTest, GoogleTestOpensAndClosesEachTest) {
  EXPECT_EQ(describe(parse_test_lines(kGoogleTest)),
            (std::vector<std::string>{
                "Xb.Passes passed :0 0.000000",
                "Xb.FailsInt failed t.cc:3 [Expected equality of these values:\n  42\n  41] 0.000000",
                "Xb.FailsStr failed t.cc:4 [Expected equality of these values:\n  \"abc\"\n  \"abd\"\nstrings differ] "
                "0.000000",
                "Xb.DISABLED_Off skipped :0 [disabled]", "Xb.Skipped skipped t.cc:6 [not on this board] 0.000000"}));
}

TEST(TestLinesTest, GoogleTestParameterisedNamesAndTimes) {
  EXPECT_EQ(describe(parse_test_lines("[ RUN      ] Sizes/Buffer.Fits/1\n"
                                      "[  FAILED  ] Sizes/Buffer.Fits/1, where GetParam() = 64 (1250 ms)\n")),
            std::vector<std::string>{"Sizes/Buffer.Fits/1 failed :0 1.250000"});
}

TEST(TestLinesTest, CppUTestVerbose) {
  EXPECT_EQ(describe(parse_test_lines(kCppUTestVerbose)),
            (std::vector<std::string>{
                "Xb.ignored skipped :0 0.000000",
                "Xb.failsStr failed cpputest_extra.cpp:6 [expected <abc>\nbut was  <abd>\ndifference starts at "
                "position 2 at: <        abd         >\n                                               ^] 0.000000",
                "Xb.failsInt failed cpputest_extra.cpp:5 [LONGS_EQUAL(42, 41) failed\nexpected <42 (0x2a)>\nbut was  "
                "<41 (0x29)>] 0.000000",
                "Xb.passes passed :0 0.000000"}));
}

TEST(TestLinesTest, CppUTestWithoutVerboseGivesItsFailures) {
  EXPECT_EQ(describe(parse_test_lines(kCppUTestQuiet)),
            (std::vector<std::string>{
                "Xb.failsStr failed cpputest_extra.cpp:6 [expected <abc>\nbut was  <abd>\ndifference starts at "
                "position 2 at: <        abd         >\n                                               ^]",
                "Xb.failsInt failed cpputest_extra.cpp:5 [LONGS_EQUAL(42, 41) failed\nexpected <42 (0x2a)>\nbut was  "
                "<41 (0x29)>]"}));
}

TEST(TestLinesTest, ATestStartedAndNeverEndedIsUnfinished) {
  EXPECT_EQ(
      describe(parse_test_lines("[ RUN      ] Xb.Passes\n[       OK ] Xb.Passes (0 ms)\n[ RUN      ] Xb.Spins\n")),
      (std::vector<std::string>{"Xb.Passes passed :0 0.000000", "Xb.Spins unfinished :0"}));
  EXPECT_EQ(describe(parse_test_lines("TEST(Xb, passes) - 0 ms\nTEST(Xb, spins)\n")),
            (std::vector<std::string>{"Xb.passes passed :0 0.000000", "Xb.spins unfinished :0"}));
}

TEST(TestLinesTest, WhereATestHung) {
  EXPECT_EQ(hung_where(kUnityFailing.substr(0, kUnityFailing.find("xb_extra.c:10"))), "after fails_int");
  EXPECT_EQ(hung_where("[ RUN      ] Xb.Passes\n[       OK ] Xb.Passes (0 ms)\n[ RUN      ] Xb.Spins\n"),
            "in Xb.Spins");
  EXPECT_EQ(hung_where("booting\r\nclock at 25 MHz  \n\n"), "after \"clock at 25 MHz\"");
  EXPECT_EQ(hung_where(""), "before any output");
  EXPECT_EQ(hung_where("\n \n"), "before any output");
}

}  // namespace
}  // namespace xb::firmware

// The tests a console or a job's log reports, one by one, read from the lines test frameworks
// print: ThrowTheSwitch Unity (`file:line:name:PASS`, `...:FAIL: message`, `...:IGNORE[: message]`),
// GoogleTest (`[ RUN      ]` ... `[       OK ]` / `[  FAILED  ]` / `[  SKIPPED ]`, `[ DISABLED ]`)
// and CppUTest (verbose `TEST(Group, Name) - N ms`, `IGNORE_TEST(...)`, and its
// `file:line: error: Failure in TEST(Group, Name)` blocks, verbose or not). Other lines are
// skipped, and so are the lines `xbuild firmware test` quotes after a failed verdict ("  | ...");
// a line may end with \r and carry ANSI colours.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xb::firmware {

enum class TestStatus {
  passed,
  failed,
  skipped,     // Unity IGNORE, GoogleTest SKIPPED or DISABLED, CppUTest IGNORE_TEST
  unfinished,  // started (GoogleTest, verbose CppUTest) but the output ended before its result
};

struct TestCase {
  std::string name;  // Unity: the test function; GoogleTest and CppUTest: "Suite.Name"
  TestStatus status = TestStatus::passed;
  std::string file;     // where it failed or was skipped (Unity: also where a pass was run); may be empty
  int line = 0;         // 0 when unknown
  std::string message;  // a failure's or skip's text, lines joined with '\n'; may be empty
  double seconds = -1;  // as the framework printed it; -1 when it does not
};

// Reads text line by line; one parser per console or log.
class TestLineParser {
 public:
  void add_line(std::string_view line);
  const std::vector<TestCase>& tests() const { return tests_; }

 private:
  enum class Block { none, gtest, cpputest };
  std::vector<TestCase> tests_;
  Block open_ = Block::none;  // the last test started and not yet ended, if any
  bool in_message_ = false;   // lines after a failure's first line belong to its message
};

// Every test of a whole text.
std::vector<TestCase> parse_test_lines(std::string_view text);

// What a silent test hung after: "in <name>" for a test that started and never ended, "after
// <name>" for the last test that ended, "after \"<line>\"" with the console's last non-blank
// line when no test line was printed, "before any output" when there is none.
std::string hung_where(std::string_view console);

}  // namespace xb::firmware

// Test lines, one line at a time. Each line is cleaned first (a trailing \r and ANSI escape
// sequences removed), then offered to the three frameworks' shapes, each behind a cheap check
// of a fixed substring so that a long build log costs little regex work:
// - Unity prints one line per test when it ends, so a line is a whole test.
// - GoogleTest opens a test with `[ RUN      ] name` and closes it with OK, FAILED or SKIPPED and
//   the time; the lines between (`file:line: Failure` and what follows, or `file:line: Skipped`)
//   are its message. A FAILED or SKIPPED line that closes nothing (the closing lists) is skipped.
// - Verbose CppUTest opens with `TEST(Group, Name)` and closes with ` - N ms` (on the same line
//   when the test printed nothing else); `file:line: error: Failure in TEST(Group, Name)` and the
//   tab-indented lines after it are a failure, and make one on their own when not verbose.
// The console lines `xbuild firmware test` quotes after a failed verdict (each after "  | ") are
// not read a second time. A test left open when the text ends is unfinished: the framework started it and never said
// how it ended (the firmware hung or crashed in it).
#include "firmware/test_lines.h"

#include <regex>

namespace xb::firmware {

namespace {

// The line without a trailing \r and without ESC [ ... letter sequences.
std::string clean(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  std::string out;
  out.reserve(line.size());
  for (std::size_t at = 0; at < line.size(); ++at) {
    if (line[at] == '\x1b' && at + 1 < line.size() && line[at + 1] == '[') {
      at += 2;
      while (at < line.size() && !((line[at] >= '@' && line[at] <= '~'))) ++at;
      continue;
    }
    out += line[at];
  }
  return out;
}

// What `xbuild firmware test` puts before each console line it quotes after a failed verdict.
constexpr const char* kQuotePrefix = "  | ";

bool contains(const std::string& text, const char* part) { return text.find(part) != std::string::npos; }

double milliseconds(const std::string& digits) { return std::stod(digits) / 1000.0; }

const std::regex& unity_line() {
  static const std::regex pattern("^(.+?):([0-9]+):([^:]+):(PASS|FAIL|IGNORE)(?::[ ]?(.*))?$");
  return pattern;
}

}  // namespace

void TestLineParser::add_line(std::string_view raw) {
  const std::string line = clean(raw);
  if (line.rfind(kQuotePrefix, 0) == 0) return;  // quoted again after a failed verdict
  std::smatch match;
  TestCase* open = open_ == Block::none ? nullptr : &tests_.back();

  if (line.rfind("[ ", 0) == 0) {
    static const std::regex run("^\\[ RUN      \\] (.+)$");
    static const std::regex end("^\\[ *(OK|FAILED|SKIPPED) *\\] (.+?)(, where .*)? \\(([0-9]+) ms\\)$");
    static const std::regex disabled("^\\[ DISABLED \\] (.+)$");
    if (std::regex_match(line, match, run)) {
      tests_.push_back(TestCase{match[1], TestStatus::unfinished, "", 0, "", -1});
      open_ = Block::gtest;
      in_message_ = false;
      return;
    }
    if (std::regex_match(line, match, end)) {
      if (!open || open_ != Block::gtest || open->name != match[2].str()) return;  // a closing list
      const std::string word = match[1];
      open->status = word == "OK" ? TestStatus::passed : word == "FAILED" ? TestStatus::failed : TestStatus::skipped;
      open->seconds = milliseconds(match[4]);
      open_ = Block::none;
      in_message_ = false;
      return;
    }
    if (std::regex_match(line, match, disabled)) {
      tests_.push_back(TestCase{match[1], TestStatus::skipped, "", 0, "disabled", -1});
      return;
    }
  }

  if (open_ == Block::gtest) {
    static const std::regex where("^(.+?):([0-9]+): (Failure|Skipped)$");
    if (std::regex_match(line, match, where)) {
      if (open->file.empty()) {
        open->file = match[1];
        open->line = std::stoi(match[2]);
      }
      in_message_ = true;
      return;
    }
    if (line == "unknown file: Failure") {
      in_message_ = true;
      return;
    }
    if (in_message_) open->message += (open->message.empty() ? "" : "\n") + line;
    return;
  }

  if (contains(line, "TEST(")) {
    static const std::regex test("^(IGNORE_)?TEST\\(([^,]+), ([^)]+)\\)(?: - ([0-9]+) ms)?$");
    static const std::regex failure("^(.+?):([0-9]+): error: Failure in TEST\\(([^,]+), ([^)]+)\\)$");
    if (std::regex_match(line, match, test)) {
      TestCase test_case{match[2].str() + "." + match[3].str(), TestStatus::unfinished, "", 0, "", -1};
      if (match[4].matched) {
        test_case.status = match[1].matched ? TestStatus::skipped : TestStatus::passed;
        test_case.seconds = milliseconds(match[4]);
        open_ = Block::none;
      } else {
        open_ = Block::cpputest;
      }
      tests_.push_back(test_case);
      in_message_ = false;
      return;
    }
    if (std::regex_match(line, match, failure)) {
      const std::string name = match[3].str() + "." + match[4].str();
      if (!open || open->name != name) {  // not verbose: the failure is all there is of the test
        tests_.push_back(TestCase{name, TestStatus::failed, "", 0, "", -1});
        open_ = Block::none;
      }
      TestCase& test_case = tests_.back();
      test_case.status = TestStatus::failed;
      test_case.file = match[1];
      test_case.line = std::stoi(match[2]);
      in_message_ = true;
      return;
    }
  }
  if (in_message_ && !tests_.empty() && !line.empty() && line.front() == '\t') {
    TestCase& test_case = tests_.back();
    test_case.message += (test_case.message.empty() ? "" : "\n") + line.substr(1);
    return;
  }
  if (open_ == Block::cpputest) {
    static const std::regex ended("^ - ([0-9]+) ms$");
    if (std::regex_match(line, match, ended)) {
      if (open->status == TestStatus::unfinished) open->status = TestStatus::passed;
      open->seconds = milliseconds(match[1]);
      open_ = Block::none;
      in_message_ = false;
      return;
    }
  }
  if (!line.empty()) in_message_ = false;

  if (contains(line, ":PASS") || contains(line, ":FAIL") || contains(line, ":IGNORE")) {
    if (!std::regex_match(line, match, unity_line())) return;
    const std::string word = match[4];
    TestCase test_case{match[3], TestStatus::passed, match[1], std::stoi(match[2]), match[5], -1};
    if (word == "FAIL") test_case.status = TestStatus::failed;
    if (word == "IGNORE") test_case.status = TestStatus::skipped;
    tests_.push_back(std::move(test_case));
  }
}

std::vector<TestCase> parse_test_lines(std::string_view text) {
  TestLineParser parser;
  while (!text.empty()) {
    std::size_t newline = text.find('\n');
    parser.add_line(text.substr(0, newline));
    if (newline == std::string_view::npos) break;
    text.remove_prefix(newline + 1);
  }
  return parser.tests();
}

std::string hung_where(std::string_view console) {
  std::vector<TestCase> tests = parse_test_lines(console);
  if (!tests.empty()) return (tests.back().status == TestStatus::unfinished ? "in " : "after ") + tests.back().name;
  std::string last;
  while (!console.empty()) {
    std::size_t newline = console.find('\n');
    std::string line = clean(console.substr(0, newline));
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.pop_back();
    if (!line.empty()) last = line;
    if (newline == std::string_view::npos) break;
    console.remove_prefix(newline + 1);
  }
  return last.empty() ? "before any output" : "after \"" + last + "\"";
}

}  // namespace xb::firmware

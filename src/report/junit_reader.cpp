// The reader is expat's stream of elements: a small state machine that opens a test case at
// <testcase>, collects the text of its <failure>/<error>, <skipped>, <system-out> and
// <system-err> children while they are open, and closes it at </testcase>. (expat, not a DOM
// library: it has no dependencies of its own to load at every start of xbuild.)
#include "report/junit_reader.h"

#include <expat.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <optional>

#include "util/strings.h"

namespace xb {

namespace {

struct JunitReader {
  XML_Parser parser = nullptr;
  std::vector<ReportedTest> tests;
  std::vector<std::string> suites;   // the names of the open <testsuite> elements
  std::size_t depth = 0;             // elements open
  std::string root;                  // the root element's name
  std::optional<ReportedTest> test;  // the open <testcase>
  std::size_t case_depth = 0;        // depth of the open <testcase>
  std::string* capture = nullptr;    // where the text of the open child goes
  std::string captured_element;      // which child: "failure", "skipped", "system-out", ...
  bool wrong_root = false;
};

std::string attribute(const XML_Char** attributes, std::string_view name) {
  for (const XML_Char** at = attributes; *at; at += 2)
    if (name == at[0]) return at[1];
  return "";
}

void open_child(JunitReader& reader, std::string_view name, const XML_Char** attributes) {
  ReportedTest& test = *reader.test;
  using Outcome = ReportedTest::Outcome;
  if ((name == "failure" || name == "error") && test.outcome != Outcome::failed) {
    test.outcome = Outcome::failed;  // the first failure says it
    test.message = attribute(attributes, "message");
    test.body.clear();
    reader.capture = &test.body;
  } else if (name == "skipped" && test.outcome != Outcome::failed) {
    test.outcome = Outcome::skipped;
    if (std::string message = attribute(attributes, "message"); !message.empty()) test.message = message;
    reader.capture = &test.body;  // its text, the message when there is no attribute
  } else if (name == "system-out" || name == "system-err") {
    reader.capture = &test.output;
  } else {
    return;
  }
  reader.captured_element = name;
}

void close_child(JunitReader& reader) {
  ReportedTest& test = *reader.test;
  if (reader.captured_element == "skipped") {
    if (test.message.empty()) test.message = std::string(trim(test.body));
    test.body.clear();
  } else if (reader.captured_element == "system-out" || reader.captured_element == "system-err") {
    if (!test.output.empty() && test.output.back() != '\n') test.output += '\n';
  } else if (test.message.empty()) {
    test.message = std::string(trim(std::string_view(test.body).substr(0, test.body.find('\n'))));
  }
  reader.capture = nullptr;
  reader.captured_element.clear();
}

void XMLCALL start_element(void* data, const XML_Char* element, const XML_Char** attributes) {
  JunitReader& reader = *static_cast<JunitReader*>(data);
  const std::string_view name = element;
  if (reader.depth++ == 0) {
    reader.root = name;
    if (name != "testsuites" && name != "testsuite") {
      reader.wrong_root = true;
      XML_StopParser(reader.parser, XML_FALSE);
      return;
    }
  }
  if (reader.test) {
    if (reader.depth == reader.case_depth + 1 && !reader.capture) open_child(reader, name, attributes);
    return;
  }
  if (name == "testsuite" || name == "testsuites") {
    reader.suites.push_back(attribute(attributes, "name"));
  } else if (name == "testcase") {
    ReportedTest test;
    test.name = attribute(attributes, "name");
    test.classname = attribute(attributes, "classname");
    if (test.classname.empty() && !reader.suites.empty()) test.classname = reader.suites.back();
    test.file = attribute(attributes, "file");
    if (std::string time = attribute(attributes, "time"); !time.empty()) {
      char* end = nullptr;
      double seconds = std::strtod(time.c_str(), &end);
      if (end && *end == '\0' && seconds >= 0) test.seconds = seconds;
    }
    // ctest marks a disabled test by its status only; gtest a disabled one "notrun".
    if (std::string status = attribute(attributes, "status"); status == "disabled" || status == "notrun") {
      test.outcome = ReportedTest::Outcome::skipped;
      test.message = status == "disabled" ? "disabled" : "not run";
    }
    reader.test = std::move(test);
    reader.case_depth = reader.depth;
  }
}

void XMLCALL end_element(void* data, const XML_Char* element) {
  JunitReader& reader = *static_cast<JunitReader*>(data);
  const std::string_view name = element;
  if (reader.test && reader.depth == reader.case_depth + 1 && reader.capture) close_child(reader);
  if (reader.test && reader.depth == reader.case_depth) {
    reader.tests.push_back(std::move(*reader.test));
    reader.test.reset();
  } else if (!reader.test && (name == "testsuite" || name == "testsuites") && !reader.suites.empty()) {
    reader.suites.pop_back();
  }
  --reader.depth;
}

void XMLCALL text(void* data, const XML_Char* characters, int length) {
  JunitReader& reader = *static_cast<JunitReader*>(data);
  if (reader.capture) reader.capture->append(characters, static_cast<std::size_t>(length));
}

}  // namespace

Result<std::vector<ReportedTest>> read_junit_report(std::string_view content, const std::string& file) {
  std::unique_ptr<XML_ParserStruct, void (*)(XML_Parser)> parser(XML_ParserCreate(nullptr), XML_ParserFree);
  if (!parser) return fail("cannot read " + file + ": out of memory");
  JunitReader reader;
  reader.parser = parser.get();
  XML_SetUserData(parser.get(), &reader);
  XML_SetElementHandler(parser.get(), start_element, end_element);
  XML_SetCharacterDataHandler(parser.get(), text);
  // Fed in pieces: expat takes an int length.
  constexpr std::size_t kPiece = 1 << 24;
  std::size_t at = 0;
  XML_Status status = XML_STATUS_OK;
  do {
    std::size_t size = std::min(kPiece, content.size() - at);
    bool last = at + size == content.size();
    status = XML_Parse(parser.get(), content.data() + at, static_cast<int>(size), last);
    at += size;
    if (last) break;
  } while (status == XML_STATUS_OK);
  if (reader.wrong_root)
    return fail(file + " is not a JUnit report: its root element is <" + reader.root +
                ">, not <testsuites> or <testsuite>");
  if (status != XML_STATUS_OK)
    return fail(file + " is not valid XML (line " + std::to_string(XML_GetCurrentLineNumber(parser.get())) + ": " +
                XML_ErrorString(XML_GetErrorCode(parser.get())) + ")");
  return std::move(reader.tests);
}

}  // namespace xb

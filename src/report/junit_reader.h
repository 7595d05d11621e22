// Reads the JUnit XML files test frameworks write (ctest --output-junit, Meson's
// meson-logs/testlog.junit.xml, gtest's --gtest_output=xml, and any other of that shape) into
// their test cases. expat is used here only.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "report/report.h"
#include "util/error.h"

namespace xb {

// Every <testcase> under the root <testsuites> or <testsuite> (suites may nest), in document
// order. A text that is not well-formed XML, or whose root is another element, is an error
// naming `file` (and the line, for a syntax error). No network access, no entity expansion.
Result<std::vector<ReportedTest>> read_junit_report(std::string_view text, const std::string& file);

}  // namespace xb

// JUnit reports of real frameworks read into test cases: the files below are what ctest 3.25.1
// (--output-junit) and Meson 1.0.1 (meson-logs/testlog.junit.xml) wrote for a passing, a failing
// and a skipped test (and ctest's disabled one).
#include "report/junit_reader.h"

#include <gtest/gtest.h>

namespace xb {
namespace {

using Outcome = ReportedTest::Outcome;

const std::string kCtest =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<testsuite name=\"(empty)\"\n\ttests=\"4\"\n\tfailures=\"1\"\n\tdisabled=\"1\"\n\tskipped=\"1\"\n\thostname=\"\"\n"
    "\ttime=\"0\"\n\ttimestamp=\"2026-12-05T08:18:14\"\n\t>\n"
    "\t<testcase name=\"passes\" classname=\"passes\" time=\"0.13313\" status=\"run\">\n"
    "\t\t<system-out>fine\n</system-out>\n\t</testcase>\n"
    "\t<testcase name=\"fails\" classname=\"fails\" time=\"0.0926573\" status=\"fail\">\n"
    "\t\t<failure message=\"\"/>\n\t\t<system-out>x.c:3: expected 2, got 3\n</system-out>\n\t</testcase>\n"
    "\t<testcase name=\"skips\" classname=\"skips\" time=\"0.0830796\" status=\"notrun\">\n"
    "\t\t<skipped message=\"SKIP_RETURN_CODE=77\"/>\n\t\t<system-out></system-out>\n\t</testcase>\n"
    "\t<testcase name=\"disabled\" classname=\"disabled\" time=\"0\" status=\"disabled\">\n"
    "\t\t<system-out>Disabled</system-out>\n\t</testcase>\n"
    "</testsuite>\n";

const std::string kMeson =
    "<?xml version='1.0' encoding='utf-8'?>\n"
    "<testsuites tests=\"3\" errors=\"0\" failures=\"1\"><testsuite name=\"ms\" tests=\"3\" errors=\"0\" "
    "failures=\"1\" skipped=\"1\" time=\"0.8172414302825928\"><testcase name=\"passes\" classname=\"ms\" "
    "time=\"0.8172414302825928\"><system-out>fine</system-out></testcase><testcase name=\"fails\" classname=\"ms\" "
    "time=\"0.5205063819885254\"><failure /><system-out>x.c:3: expected 2</system-out></testcase><testcase "
    "name=\"skips\" classname=\"ms\" time=\"0.297757625579834\"><skipped /></testcase></testsuite></testsuites>";

TEST(JunitReader, ReadsCtestsReport) {
  Result<std::vector<ReportedTest>> tests = read_junit_report(kCtest, "ctest.xml");
  ASSERT_TRUE(tests.ok()) << tests.error();
  ASSERT_EQ(tests.value().size(), 4u);
  const ReportedTest& passes = tests.value()[0];
  EXPECT_EQ(passes.classname, "passes");
  EXPECT_EQ(passes.name, "passes");
  EXPECT_DOUBLE_EQ(passes.seconds, 0.13313);
  EXPECT_EQ(passes.outcome, Outcome::passed);
  EXPECT_EQ(passes.output, "fine\n");
  const ReportedTest& fails = tests.value()[1];
  EXPECT_EQ(fails.outcome, Outcome::failed);
  EXPECT_EQ(fails.message, "");
  EXPECT_EQ(fails.body, "");
  EXPECT_EQ(fails.output, "x.c:3: expected 2, got 3\n");
  EXPECT_EQ(tests.value()[2].outcome, Outcome::skipped);
  EXPECT_EQ(tests.value()[2].message, "SKIP_RETURN_CODE=77");
  EXPECT_EQ(tests.value()[3].outcome, Outcome::skipped);
  EXPECT_EQ(tests.value()[3].message, "disabled");
}

TEST(JunitReader, ReadsMesonsReportWithTheSuiteAsClassname) {
  Result<std::vector<ReportedTest>> tests = read_junit_report(kMeson, "testlog.junit.xml");
  ASSERT_TRUE(tests.ok()) << tests.error();
  ASSERT_EQ(tests.value().size(), 3u);
  EXPECT_EQ(tests.value()[0].classname, "ms");
  EXPECT_EQ(tests.value()[0].output, "fine\n");
  EXPECT_EQ(tests.value()[1].outcome, Outcome::failed);
  EXPECT_EQ(tests.value()[1].output, "x.c:3: expected 2\n");
  EXPECT_EQ(tests.value()[2].outcome, Outcome::skipped);
  EXPECT_EQ(tests.value()[2].message, "");
}

TEST(JunitReader, ReadsGoogleTestsFailuresAndNestedSuites) {
  const std::string gtest =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<testsuites tests=\"2\" failures=\"1\" name=\"AllTests\">\n"
      "  <testsuite name=\"Math\" tests=\"2\">\n"
      "    <testcase name=\"Adds\" file=\"math_test.cpp\" line=\"5\" status=\"run\" result=\"completed\" "
      "time=\"0.001\" classname=\"Math\">\n"
      "      <failure message=\"math_test.cpp:7&#x0A;Expected equality\" type=\"\"><![CDATA[math_test.cpp:7\n"
      "Expected equality of these values:\n  1 + 1\n  3]]></failure>\n"
      "    </testcase>\n"
      "    <testcase name=\"DISABLED_Later\" status=\"notrun\" result=\"suppressed\" time=\"0\" classname=\"Math\"/>\n"
      "    <testsuite name=\"Inner\"><testcase name=\"Deep\"><error message=\"crashed\">SIGSEGV</error>"
      "<system-err>stack</system-err></testcase></testsuite>\n"
      "  </testsuite>\n"
      "</testsuites>\n";
  Result<std::vector<ReportedTest>> tests = read_junit_report(gtest, "gtest.xml");
  ASSERT_TRUE(tests.ok()) << tests.error();
  ASSERT_EQ(tests.value().size(), 3u);
  EXPECT_EQ(tests.value()[0].file, "math_test.cpp");
  EXPECT_EQ(tests.value()[0].message, "math_test.cpp:7\nExpected equality");
  EXPECT_EQ(tests.value()[0].body, "math_test.cpp:7\nExpected equality of these values:\n  1 + 1\n  3");
  EXPECT_EQ(tests.value()[1].outcome, Outcome::skipped);
  EXPECT_EQ(tests.value()[1].message, "not run");
  EXPECT_EQ(tests.value()[2].classname, "Inner");
  EXPECT_EQ(tests.value()[2].outcome, Outcome::failed);
  EXPECT_EQ(tests.value()[2].message, "crashed");
  EXPECT_EQ(tests.value()[2].output, "stack\n");
}

TEST(JunitReader, BrokenOrForeignXmlIsAnErrorNamingTheFile) {
  Result<std::vector<ReportedTest>> cut = read_junit_report(kCtest.substr(0, 200), "out/ctest.xml");
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.error(), "out/ctest.xml is not valid XML (line 11: unclosed token)");
  Result<std::vector<ReportedTest>> text = read_junit_report("all tests passed\n", "out/log.txt");
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.error(), "out/log.txt is not valid XML (line 1: syntax error)");
  Result<std::vector<ReportedTest>> other = read_junit_report("<html><body/></html>", "out/index.html");
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error(),
            "out/index.html is not a JUnit report: its root element is <html>, not <testsuites> or "
            "<testsuite>");
  Result<std::vector<ReportedTest>> empty = read_junit_report("", "out/empty.xml");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error(), "out/empty.xml is not valid XML (line 1: no element found)");
}

TEST(JunitReader, ExpandsNoExternalEntities) {
  const std::string xxe =
      "<?xml version=\"1.0\"?><!DOCTYPE t [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
      "<testsuite name=\"s\"><testcase name=\"t\"><system-out>&x;</system-out></testcase></testsuite>";
  Result<std::vector<ReportedTest>> tests = read_junit_report(xxe, "xxe.xml");
  ASSERT_TRUE(tests.ok()) << tests.error();
  ASSERT_EQ(tests.value().size(), 1u);
  EXPECT_EQ(tests.value()[0].output.find("root:"), std::string::npos);
}

}  // namespace
}  // namespace xb

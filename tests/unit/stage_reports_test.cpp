// A stage's declared test reports: found by their globs under $XBUILD_OUT and $XBUILD_WORK,
// read with a warning for each one missing or broken, and the copy a cached stage brings back.
#include "report/stage_reports.h"

#include <gtest/gtest.h>

#include "support/scratch_dir.h"

namespace xb {
namespace {

using testing::ScratchDir;

const std::string kReport =
    "<testsuite name=\"s\"><testcase classname=\"s\" name=\"one\" time=\"0.5\"/>"
    "<testcase classname=\"s\" name=\"two\"><failure message=\"boom &amp; bang\">x.c:3</failure>"
    "<system-out>out &lt;1&gt;</system-out></testcase>"
    "<testcase classname=\"s\" name=\"three\"><skipped message=\"later\"/></testcase></testsuite>";

TEST(StageReports, GlobsUnderTheTwoRootsInTheirOrder) {
  ScratchDir scratch;
  const ReportRoots roots{scratch / "out[1]", scratch / "work"};
  scratch.write("out[1]/junit/b.xml", kReport);
  scratch.write("out[1]/junit/a.xml", kReport);
  scratch.write("work/build/meson-logs/testlog.junit.xml", kReport);
  std::filesystem::create_directories(scratch / "work/build/dir.xml");
  std::vector<std::string> unmatched;
  std::vector<std::filesystem::path> files =
      find_report_files({"$XBUILD_WORK/build/meson-logs/testlog.junit.xml", "$XBUILD_OUT/junit/*.xml",
                         "$XBUILD_OUT/junit/a.xml", "$XBUILD_WORK/build/*.xml", "$XBUILD_OUT/missing.xml"},
                        roots, &unmatched);
  EXPECT_EQ(files,
            (std::vector<std::filesystem::path>{scratch / "work/build/meson-logs/testlog.junit.xml",
                                                scratch / "out[1]/junit/a.xml", scratch / "out[1]/junit/b.xml"}));
  EXPECT_EQ(unmatched, (std::vector<std::string>{"$XBUILD_WORK/build/*.xml", "$XBUILD_OUT/missing.xml"}));
}

TEST(StageReports, MissingAndBrokenReportsAreWarningsAndTheRestIsRead) {
  ScratchDir scratch;
  const ReportRoots roots{scratch / "out", scratch / "work"};
  scratch.write("work/good.xml", kReport);
  scratch.write("work/broken.xml", "<testsuite><testcase name=\"x\">");
  std::vector<std::string> warnings;
  std::vector<ReportedTest> tests =
      read_stage_reports({"$XBUILD_WORK/broken.xml", "$XBUILD_WORK/good.xml", "$XBUILD_OUT/ctest.xml"}, roots,
                         "linux/arm64 test", warnings);
  ASSERT_EQ(tests.size(), 3u);
  EXPECT_EQ(tests[1].message, "boom & bang");
  EXPECT_EQ(warnings,
            (std::vector<std::string>{
                "linux/arm64 test: the test report " + (scratch / "work/broken.xml").string() +
                    " is not valid XML (line 1: no element found); its tests are not in the JUnit file",
                "linux/arm64 test: no test report matches \"$XBUILD_OUT/ctest.xml\" (its `reports`); did the stage "
                "write it there?"}));
}

TEST(StageReports, TheCopyReadsBackAsTheSameTests) {
  ScratchDir scratch;
  std::vector<std::string> warnings;
  scratch.write("work/report.xml", kReport);
  std::vector<ReportedTest> tests =
      read_stage_reports({"$XBUILD_WORK/report.xml"}, {scratch / "out", scratch / "work"}, "x", warnings);
  const std::filesystem::path copy = reports_copy_file(scratch / "logs/linux-arm64/test.log");
  EXPECT_EQ(copy, scratch / "logs/linux-arm64/test.reports.xml");
  std::filesystem::create_directories(copy.parent_path());
  ASSERT_TRUE(write_reports_copy(tests, copy).ok());
  std::vector<ReportedTest> back = read_reports_copy(copy, "linux/arm64 test", warnings);
  EXPECT_TRUE(warnings.empty());
  ASSERT_EQ(back.size(), tests.size());
  for (std::size_t index = 0; index < back.size(); ++index) {
    EXPECT_EQ(back[index].classname, tests[index].classname);
    EXPECT_EQ(back[index].name, tests[index].name);
    EXPECT_EQ(back[index].seconds, tests[index].seconds);
    EXPECT_EQ(back[index].outcome, tests[index].outcome);
    EXPECT_EQ(back[index].message, tests[index].message);
    EXPECT_EQ(back[index].body, tests[index].body);
    EXPECT_EQ(back[index].output, tests[index].output);
  }
}

TEST(StageReports, ACachedStageWithoutACopySaysSo) {
  ScratchDir scratch;
  std::vector<std::string> warnings;
  EXPECT_TRUE(read_reports_copy(scratch / "test.reports.xml", "linux/arm64 test", warnings).empty());
  EXPECT_EQ(warnings,
            (std::vector<std::string>{"linux/arm64 test: came from the cache without a copy of its test reports (" +
                                      (scratch / "test.reports.xml").string() +
                                      " is missing), so its tests are not in the JUnit file; --clean runs it again"}));
}

}  // namespace
}  // namespace xb

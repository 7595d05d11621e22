// The summary table, --metadata-file JSON and --junit XML, by exact content.
#include "report/report.h"

#include <gtest/gtest.h>

#include "support/scratch_dir.h"

namespace xb {
namespace {

using testing::ScratchDir;

const std::string kIndex = "sha256:" + std::string(64, '1');
const std::string kAmd64 = "sha256:" + std::string(64, 'a');
const std::string kArm64 = "sha256:" + std::string(64, 'b');

BuildReport two_platforms() {
  BuildReport report;
  report.platforms = {
      {"linux/amd64", "native", {{"build", "ok", 1.3, "", {}}, {"test", "ok", 0.5, "", {}}}, kAmd64, 500},
      {"linux/arm64", "cross", {{"build", "cached", 0, "", {}}, {"test", "cached", 0, "", {}}}, kArm64, 501},
  };
  report.index_digest = kIndex;
  report.index_size = 700;
  report.image_name = "localhost:5000/hello:1.0";
  return report;
}

// The digests are not in the table: the run's last lines list each once, in full.
TEST(Report, SummaryHasARowPerPlatform) {
  EXPECT_EQ(render_summary(two_platforms()),
            "PLATFORM     STRATEGY  STAGES\n"
            "linux/amd64  native    build ok 1.3s, test ok 0.5s\n"
            "linux/arm64  cross     build cached, test cached\n");
}

// Each of the six words, and why for the stages that did not end ok or cached.
BuildReport every_state() {
  BuildReport report;
  report.platforms = {
      {"linux/amd64",
       "native",
       {{"build", "cached", 0, "", {}}, {"test", "timed out", 1.04, "timed out after 1s", {}}},
       "",
       0},
      {"linux/arm64",
       "cross",
       {{"build", "failed", 0.5, "exit status 2", {}},
        {"test", "skipped", 0, "because linux/arm64 build, which it needs, failed", {}}},
       "",
       0},
      {"linux/s390x",
       "cross",
       {{"build", "ok", 2, "", {}}, {"test", "cancelled", 0.7, "because the run was interrupted (SIGINT)", {}}},
       "",
       0},
  };
  report.wall_seconds = 2.5;
  return report;
}

TEST(Report, SummarySaysEachStatesWordAndWhy) {
  EXPECT_EQ(render_summary(every_state()),
            "PLATFORM     STRATEGY  STAGES\n"
            "linux/amd64  native    build cached, test timed out 1.0s\n"
            "linux/arm64  cross     build failed 0.5s, test skipped\n"
            "linux/s390x  cross     build ok 2.0s, test cancelled 0.7s\n"
            "linux/amd64 test timed out: timed out after 1s\n"
            "linux/arm64 build failed: exit status 2\n"
            "linux/arm64 test skipped: because linux/arm64 build, which it needs, failed\n"
            "linux/s390x test cancelled: because the run was interrupted (SIGINT)\n");
}

TEST(Report, SummaryEventIsOneJsonObject) {
  BuildReport report = every_state();
  report.platforms.resize(2);
  EXPECT_EQ(render_summary_event(report, "failed"),
            "{\"event\":\"summary\",\"result\":\"failed\",\"wall_seconds\":2.500,\"jobs\":["
            "{\"platform\":\"linux/amd64\",\"stage\":\"build\",\"state\":\"cached\",\"seconds\":0.000,\"detail\":\"\"},"
            "{\"platform\":\"linux/amd64\",\"stage\":\"test\",\"state\":\"timed out\",\"seconds\":1.040,"
            "\"detail\":\"timed out after 1s\"},"
            "{\"platform\":\"linux/arm64\",\"stage\":\"build\",\"state\":\"failed\",\"seconds\":0.500,"
            "\"detail\":\"exit status 2\"},"
            "{\"platform\":\"linux/arm64\",\"stage\":\"test\",\"state\":\"skipped\",\"seconds\":0.000,"
            "\"detail\":\"because linux/arm64 build, which it needs, failed\"}],\"index_digest\":null}");
  EXPECT_NE(render_summary_event(two_platforms(), "ok").find(",\"index_digest\":\"" + kIndex + "\"}"),
            std::string::npos);
}

TEST(Report, MetadataSaysWhyAStageDidNotEndOk) {
  BuildReport report = every_state();
  EXPECT_NE(render_metadata(report).find("    \"linux/arm64\": {\n"
                                         "      \"strategy\": \"cross\",\n"
                                         "      \"stages\": {\n"
                                         "        \"build\": \"failed\",\n"
                                         "        \"test\": \"skipped\"\n"
                                         "      },\n"
                                         "      \"details\": {\n"
                                         "        \"build\": \"exit status 2\",\n"
                                         "        \"test\": \"because linux/arm64 build, which it needs, failed\"\n"
                                         "      }\n"
                                         "    },\n"),
            std::string::npos)
      << render_metadata(report);
}

// The tail of a long log, and before it the first lines that look like the cause.
TEST(Report, LogExcerptKeepsTheTailAndTheFirstErrors) {
  std::string log;
  for (int line = 1; line <= 40; ++line)
    log += (line == 8 ? "test.c:12: assertion failed: x == 3" : "line " + std::to_string(line)) + "\n";
  EXPECT_EQ(log_excerpt(log, 3),
            "     8 | test.c:12: assertion failed: x == 3\n"
            "       | ... (37 lines before the last 3 not shown)\n"
            "    38 | line 38\n"
            "    39 | line 39\n"
            "    40 | line 40\n");
  EXPECT_EQ(log_excerpt("one\ntwo\n", 30), "     1 | one\n     2 | two\n");
}

TEST(Report, AFailedStagesOutputIsShownAgain) {
  ScratchDir scratch;
  BuildReport report = every_state();
  report.platforms[1].stages[0].log_file = scratch.write("build.log", "cc -c a.c\na.c:1: error: boom\n");
  report.platforms[0].stages[1].log_file = scratch.write("test.log", "");
  report.platforms[2].stages[1].log_file = scratch.write("cancelled.log", "not shown\n");
  EXPECT_EQ(render_failure_output(report), "xbuild: linux/amd64 test timed out after 1s; its output (" +
                                               (scratch / "test.log").string() +
                                               "):\n"
                                               "       | (no output)\n"
                                               "xbuild: linux/arm64 build failed (exit status 2); its output (" +
                                               (scratch / "build.log").string() +
                                               "):\n"
                                               "     1 | cc -c a.c\n"
                                               "     2 | a.c:1: error: boom\n");
}

TEST(Report, MetadataIsBuildxLike) {
  EXPECT_EQ(render_metadata(two_platforms()),
            "{\n"
            "  \"containerimage.descriptor\": {\n"
            "    \"mediaType\": \"application/vnd.oci.image.index.v1+json\",\n"
            "    \"digest\": \"" +
                kIndex +
                "\",\n"
                "    \"size\": 700\n"
                "  },\n"
                "  \"containerimage.digest\": \"" +
                kIndex +
                "\",\n"
                "  \"image.name\": \"localhost:5000/hello:1.0\",\n"
                "  \"platforms\": {\n"
                "    \"linux/amd64\": {\n"
                "      \"containerimage.digest\": \"" +
                kAmd64 +
                "\",\n"
                "      \"strategy\": \"native\",\n"
                "      \"stages\": {\n"
                "        \"build\": \"ok\",\n"
                "        \"test\": \"ok\"\n"
                "      }\n"
                "    },\n"
                "    \"linux/arm64\": {\n"
                "      \"containerimage.digest\": \"" +
                kArm64 +
                "\",\n"
                "      \"strategy\": \"cross\",\n"
                "      \"stages\": {\n"
                "        \"build\": \"cached\",\n"
                "        \"test\": \"cached\"\n"
                "      }\n"
                "    }\n"
                "  }\n"
                "}\n");
}

// [targets] ccache: a column of each platform's hits in this run, and the counts in the metadata.
TEST(Report, CcacheHitsInTheSummaryAndTheMetadata) {
  BuildReport report = two_platforms();
  report.platforms[0].ccache = CcacheCounts{38, 2, 5, 0};
  EXPECT_EQ(render_summary(report),
            "PLATFORM     STRATEGY  STAGES                       CCACHE\n"
            "linux/amd64  native    build ok 1.3s, test ok 0.5s  40 hits / 45 (88%)\n"
            "linux/arm64  cross     build cached, test cached    -\n");
  report.platforms[1].ccache = CcacheCounts{9, 0, 0, 9};
  EXPECT_NE(render_summary(report).find("  9 hits / 9 (100%), 9 remote\n"), std::string::npos)
      << render_summary(report);
  const std::string metadata = render_metadata(report);
  EXPECT_NE(metadata.find("      \"ccache\": {\"hits\": 40, \"misses\": 5, \"remote_hits\": 0},\n"
                          "      \"strategy\": \"native\",\n"),
            std::string::npos)
      << metadata;
  EXPECT_NE(metadata.find("      \"ccache\": {\"hits\": 9, \"misses\": 0, \"remote_hits\": 9},\n"), std::string::npos)
      << metadata;
}

// A firmware target's sizes go into the metadata file, and come back from it as a baseline.
TEST(Report, MetadataRecordsFirmwareSizesThatReadBackAsABaseline) {
  BuildReport report;
  PlatformReport firmware{"none/arm/cortex-m4", "cross", {{"build", "ok", 1.0, "", {}}}, kAmd64, 400};
  firmware.firmware_size = firmware::Sizes{7080, 108, 340};
  report.platforms = {firmware, {"linux/amd64", "native", {{"build", "ok", 1.3, "", {}}}, kArm64, 500}};
  const std::string metadata = render_metadata(report);
  EXPECT_NE(metadata.find("    \"none/arm/cortex-m4\": {\n"
                          "      \"containerimage.digest\": \"" +
                          kAmd64 +
                          "\",\n"
                          "      \"firmware.size\": {\"text\": 7080, \"data\": 108, \"bss\": 340},\n"
                          "      \"strategy\": \"cross\",\n"),
            std::string::npos)
      << metadata;
  Result<std::vector<firmware::SizeRow>> rows = metadata_firmware_sizes(metadata, "meta.json");
  ASSERT_TRUE(rows.ok()) << rows.error();
  ASSERT_EQ(rows.value().size(), 1u);
  EXPECT_EQ(rows.value()[0].name, "cortex-m4");
  EXPECT_EQ(rows.value()[0].sizes, (firmware::Sizes{7080, 108, 340}));
}

TEST(Report, AMetadataBaselineWithoutSizesOrNotJsonIsAnError) {
  EXPECT_EQ(metadata_firmware_sizes("{\"platforms\": {\"linux/amd64\": {}}}", "m.json").error(),
            "m.json is a metadata file without firmware sizes: use the --metadata-file of a run that built firmware "
            "targets (xbuild run --metadata-file FILE)");
  EXPECT_EQ(metadata_firmware_sizes("{\"platforms\": {", "m.json").error(),
            "m.json is not JSON (a --size-baseline is an earlier run's --metadata-file, its firmware-size.txt, or "
            "arm-none-eabi-size output)");
  EXPECT_EQ(
      metadata_firmware_sizes(
          "{\"platforms\": {\"none/arm/cortex-m3\": {\"firmware.size\": {\"text\": -1, \"data\": 0, \"bss\": 0}}}}",
          "m.json")
          .error(),
      "m.json: \"firmware.size\" of none/arm/cortex-m3 must hold \"text\", \"data\" and \"bss\" as byte counts");
}

TEST(Report, JunitHasATestcasePerStageAndTheLogTailOfAFailure) {
  ScratchDir scratch;
  std::string log;
  for (int line = 1; line <= 50; ++line) log += "line " + std::to_string(line) + "\n";
  log += "error: <boom> & \"bang\"\n";
  BuildReport report;
  report.platforms = {{"linux/arm64",
                       "cross",
                       {{"build", "ok", 2, "", {}},
                        {"test", "failed", 0.25, "exit status 3", scratch.write("test.log", log)},
                        {"package", "not run", 0, "", {}}},
                       "",
                       0}};
  EXPECT_EQ(render_junit(report, 2),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<testsuites name=\"xbuild\" tests=\"3\" failures=\"1\" time=\"2.250\">\n"
            "  <testsuite name=\"linux/arm64\" tests=\"3\" failures=\"1\" skipped=\"1\" time=\"2.250\">\n"
            "    <testcase classname=\"linux/arm64\" name=\"build\" time=\"2.000\"/>\n"
            "    <testcase classname=\"linux/arm64\" name=\"test\" time=\"0.250\">\n"
            "      <failure message=\"failed (exit status 3)\">line 50\n"
            "error: &lt;boom&gt; &amp; &quot;bang&quot;\n"
            "</failure>\n"
            "    </testcase>\n"
            "    <testcase classname=\"linux/arm64\" name=\"package\" time=\"0.000\">\n"
            "      <skipped/>\n"
            "    </testcase>\n"
            "  </testsuite>\n"
            "</testsuites>\n");
}

// A firmware target's test stage whose log holds a real Unity console (Unity 2.4.3, a file of
// passing, failing and ignored tests built against cJSON 1.7.15's tests/unity, run on
// qemu-system-arm) and the verdict of `xbuild firmware test`.
const std::string kUnityLog =
    "xb_extra.c:15:passes:PASS\n"
    "xb_extra.c:8:fails_int:FAIL: Expected 42 Was 41\n"
    "xb_extra.c:10:fails_msg:FAIL: Expected 'abc' Was 'abd'. strings differ\n"
    "xb_extra.c:11:ignored:IGNORE: not on this board\n"
    "xb_extra.c:12:ignored_plain:IGNORE\n"
    "\n"
    "-----------------------\n"
    "5 Tests 2 Failures 2 Ignored \n"
    "FAIL\n"
    "firmware test xb_extra.elf on cortex-m3 (mps2-an385): FAILED: exit code 2\n";

StageReport stage_with_log(const ScratchDir& scratch, const std::string& result, const std::string& detail,
                           const std::string& log) {
  StageReport stage{"test", result, 0.5, detail, scratch.write("test.log", log)};
  stage.tests = firmware::parse_test_lines(log);
  return stage;
}

TEST(Report, JunitHasATestcasePerUnityTest) {
  ScratchDir scratch;
  BuildReport report;
  report.platforms = {{"none/arm/cortex-m3",
                       "bare-metal",
                       {{"build", "ok", 2, "", {}}, stage_with_log(scratch, "failed", "exit code 2", kUnityLog)},
                       "",
                       0}};
  EXPECT_EQ(render_junit(report, 2),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<testsuites name=\"xbuild\" tests=\"6\" failures=\"2\" time=\"2.500\">\n"
            "  <testsuite name=\"none/arm/cortex-m3\" tests=\"6\" failures=\"2\" skipped=\"2\" time=\"2.500\">\n"
            "    <testcase classname=\"none/arm/cortex-m3\" name=\"build\" time=\"2.000\"/>\n"
            "    <testcase classname=\"none/arm/cortex-m3.test\" name=\"passes\" file=\"xb_extra.c\"/>\n"
            "    <testcase classname=\"none/arm/cortex-m3.test\" name=\"fails_int\" file=\"xb_extra.c\">\n"
            "      <failure message=\"Expected 42 Was 41\">xb_extra.c:8: Expected 42 Was 41</failure>\n"
            "    </testcase>\n"
            "    <testcase classname=\"none/arm/cortex-m3.test\" name=\"fails_msg\" file=\"xb_extra.c\">\n"
            "      <failure message=\"Expected 'abc' Was 'abd'. strings differ\">xb_extra.c:10: Expected 'abc' Was "
            "'abd'. strings differ</failure>\n"
            "    </testcase>\n"
            "    <testcase classname=\"none/arm/cortex-m3.test\" name=\"ignored\" file=\"xb_extra.c\">\n"
            "      <skipped message=\"not on this board\"/>\n"
            "    </testcase>\n"
            "    <testcase classname=\"none/arm/cortex-m3.test\" name=\"ignored_plain\" file=\"xb_extra.c\">\n"
            "      <skipped/>\n"
            "    </testcase>\n"
            "  </testsuite>\n"
            "</testsuites>\n");
}

TEST(Report, JunitOfAPassingUnityStageHasOnlyItsTests) {
  ScratchDir scratch;
  BuildReport report;
  report.platforms = {
      {"linux/amd64",
       "native",
       {stage_with_log(scratch, "ok", "",
                       "/src/cJSON-1.7.15/tests/parse_hex4.c:70:parse_hex4_should_parse_all_combinations:"
                       "PASS\n\n-----------------------\n1 Tests 0 Failures 0 Ignored \nOK\n")},
       "",
       0}};
  EXPECT_EQ(render_junit(report),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<testsuites name=\"xbuild\" tests=\"1\" failures=\"0\" time=\"0.500\">\n"
            "  <testsuite name=\"linux/amd64\" tests=\"1\" failures=\"0\" skipped=\"0\" time=\"0.500\">\n"
            "    <testcase classname=\"linux/amd64.test\" name=\"parse_hex4_should_parse_all_combinations\" "
            "file=\"/src/cJSON-1.7.15/tests/parse_hex4.c\"/>\n"
            "  </testsuite>\n"
            "</testsuites>\n");
}

TEST(Report, JunitOfAUnityHangKeepsTheTestsAndTheStagesFailure) {
  ScratchDir scratch;
  const std::string log =
      "parse_hex4.c:70:parse_hex4_should_parse_all_combinations:PASS\n"
      "firmware test parse_hex4 on cortex-m3 (mps2-an385): FAILED: hung after "
      "parse_hex4_should_parse_all_combinations (no console output for 3000 ms); qemu-system-arm was stopped\n"
      "the console ended with:\n"
      "  | parse_hex4.c:70:parse_hex4_should_parse_all_combinations:PASS\n";
  BuildReport report;
  report.platforms = {
      {"none/arm/cortex-m3",
       "bare-metal",
       {stage_with_log(scratch, "failed",
                       "hung after parse_hex4_should_parse_all_combinations (no console output for 3000 ms); "
                       "qemu-system-arm was stopped",
                       log)},
       "",
       0}};
  EXPECT_EQ(render_junit(report, 1),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<testsuites name=\"xbuild\" tests=\"2\" failures=\"1\" time=\"0.500\">\n"
            "  <testsuite name=\"none/arm/cortex-m3\" tests=\"2\" failures=\"1\" skipped=\"0\" time=\"0.500\">\n"
            "    <testcase classname=\"none/arm/cortex-m3.test\" name=\"parse_hex4_should_parse_all_combinations\" "
            "file=\"parse_hex4.c\"/>\n"
            "    <testcase classname=\"none/arm/cortex-m3\" name=\"test\" time=\"0.500\">\n"
            "      <failure message=\"failed (hung after parse_hex4_should_parse_all_combinations (no console output "
            "for 3000 ms); qemu-system-arm was stopped)\">  | "
            "parse_hex4.c:70:parse_hex4_should_parse_all_combinations:PASS\n"
            "</failure>\n"
            "    </testcase>\n"
            "  </testsuite>\n"
            "</testsuites>\n");
}

TEST(Report, JunitNamesTheGoogleTestThatNeverEnded) {
  ScratchDir scratch;
  const std::string log =
      "[ RUN      ] Xb.Passes\n"
      "[       OK ] Xb.Passes (0 ms)\n"
      "[ RUN      ] Xb.Spins\n"
      "firmware test gtest-xb.elf on cortex-m3 (mps2-an385): FAILED: hung in Xb.Spins (no console output for "
      "10000 ms); qemu-system-arm was stopped\n";
  BuildReport report;
  report.platforms = {
      {"none/arm/cortex-m3",
       "bare-metal",
       {stage_with_log(scratch, "failed",
                       "hung in Xb.Spins (no console output for 10000 ms); qemu-system-arm was stopped", log)},
       "",
       0}};
  EXPECT_EQ(render_junit(report, 1),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<testsuites name=\"xbuild\" tests=\"2\" failures=\"1\" time=\"0.500\">\n"
            "  <testsuite name=\"none/arm/cortex-m3\" tests=\"2\" failures=\"1\" skipped=\"0\" time=\"0.500\">\n"
            "    <testcase classname=\"none/arm/cortex-m3.test\" name=\"Xb.Passes\" time=\"0.000\"/>\n"
            "    <testcase classname=\"none/arm/cortex-m3.test\" name=\"Xb.Spins\">\n"
            "      <failure message=\"did not finish: failed (hung in Xb.Spins (no console output for 10000 ms); "
            "qemu-system-arm was stopped)\">firmware test gtest-xb.elf on cortex-m3 (mps2-an385): FAILED: hung in "
            "Xb.Spins (no console output for 10000 ms); qemu-system-arm was stopped\n"
            "</failure>\n"
            "    </testcase>\n"
            "  </testsuite>\n"
            "</testsuites>\n");
}

TEST(Report, ReadTailKeepsTheLastLines) {
  ScratchDir scratch;
  EXPECT_EQ(read_tail(scratch.write("log", "a\nb\nc\n"), 2), "b\nc\n");
  EXPECT_EQ(read_tail(scratch.write("log2", "only"), 5), "only\n");
  EXPECT_EQ(read_tail(scratch / "missing", 5), "");
}

}  // namespace
}  // namespace xb

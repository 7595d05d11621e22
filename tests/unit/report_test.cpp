// The summary table, --metadata-file JSON and --junit XML, by exact content.
#include "report/report.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>

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
  report.platforms[1].stages[0].restore_seconds = 0.0123;
  report.platforms[1].stages[1].restore_seconds = 0.0004;
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
                                         "      },\n"
                                         "      \"durations\": {\n"
                                         "        \"build\": 0.500\n"
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
  EXPECT_EQ(numbered_excerpt(log, 3),
            "     8 | test.c:12: assertion failed: x == 3\n"
            "       | ... (37 lines before the last 3 not shown)\n"
            "    38 | line 38\n"
            "    39 | line 39\n"
            "    40 | line 40\n");
  EXPECT_EQ(numbered_excerpt("one\ntwo\n", 30), "     1 | one\n     2 | two\n");
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
                "      },\n"
                "      \"durations\": {\n"
                "        \"build\": 1.300,\n"
                "        \"test\": 0.500\n"
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
                "      },\n"
                "      \"durations\": {\n"
                "        \"build\": 0.012,\n"
                "        \"test\": 0.000\n"
                "      }\n"
                "    }\n"
                "  }\n"
                "}\n");
}

// "durations": what each stage took in this run (a cached one its restore), the stages that never
// started left out; read back summed per platform, as `--shard I/N --durations FILE` packs by.
TEST(Report, MetadataRecordsEachStagesDurationThatReadsBackAsCosts) {
  BuildReport report = every_state();
  report.platforms[0].stages[0].restore_seconds = 0.02;
  const std::string metadata = render_metadata(report);
  EXPECT_NE(metadata.find("      \"durations\": {\n"
                          "        \"build\": 0.020,\n"
                          "        \"test\": 1.040\n"
                          "      }\n"),
            std::string::npos)
      << metadata;
  EXPECT_NE(metadata.find("      \"durations\": {\n"
                          "        \"build\": 2.000,\n"
                          "        \"test\": 0.700\n"
                          "      }\n"),
            std::string::npos)
      << metadata;
  Result<std::map<std::string, double>> costs = metadata_durations(metadata, "meta.json");
  ASSERT_TRUE(costs.ok()) << costs.error();
  ASSERT_EQ(costs.value().size(), 3u);
  EXPECT_NEAR(costs.value().at("linux/amd64"), 1.06, 1e-9);
  EXPECT_NEAR(costs.value().at("linux/arm64"), 0.5, 1e-9);
  EXPECT_NEAR(costs.value().at("linux/s390x"), 2.7, 1e-9);
  // A platform whose stages all never started has no durations: unknown, not free.
  BuildReport skipped;
  skipped.platforms = {{"linux/riscv64", "cross", {{"build", "skipped", 0, "missing gcc", {}}}, "", 0}};
  EXPECT_EQ(render_metadata(skipped).find("durations"), std::string::npos) << render_metadata(skipped);
  EXPECT_TRUE(metadata_durations(render_metadata(skipped), "meta.json").value().empty());
  EXPECT_EQ(metadata_durations("[]", "meta.json").error(),
            "meta.json is not the --metadata-file of an xbuild run (no \"platforms\" object)");
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

// 2026-12-05T08:00:00Z
const std::chrono::system_clock::time_point kEight = std::chrono::system_clock::from_time_t(1796457600);

StageReport ran(std::string stage, std::string result, double start, double seconds, std::string detail = "",
                std::filesystem::path log = {}) {
  StageReport out{std::move(stage), std::move(result), seconds, std::move(detail), std::move(log)};
  out.start_offset = start;
  return out;
}

TEST(Report, JunitHasATestcasePerStageTheLogAndTheErrorContextOfAFailure) {
  ScratchDir scratch;
  std::string log;
  for (int line = 1; line <= 50; ++line) log += "line " + std::to_string(line) + "\n";
  log += "error: <boom> & \"bang\"\n";
  BuildReport report;
  report.started_at = kEight;
  report.wall_seconds = 2.5;
  report.platforms = {
      {"linux/arm64",
       "cross",
       {ran("build", "ok", 0.25, 2), ran("test", "failed", 2.25, 0.25, "exit status 3", scratch.write("test.log", log)),
        ran("package", "not run", 0, 0)},
       "",
       0}};
  std::string system_out;
  for (int line = 1; line <= 50; ++line) system_out += "line " + std::to_string(line) + "\n";
  EXPECT_EQ(render_junit(report, {2}),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<testsuites name=\"xbuild\" tests=\"3\" failures=\"1\" errors=\"0\" skipped=\"1\" time=\"2.500\" "
            "timestamp=\"2026-12-05T08:00:00.000Z\">\n"
            "  <testsuite name=\"linux/arm64\" tests=\"3\" failures=\"1\" errors=\"0\" skipped=\"1\" time=\"2.250\" "
            "timestamp=\"2026-12-05T08:00:00.250Z\">\n"
            "    <properties>\n"
            "      <property name=\"strategy\" value=\"cross\"/>\n"
            "    </properties>\n"
            "    <testcase classname=\"linux/arm64\" name=\"build\" time=\"2.000\"/>\n"
            "    <testcase classname=\"linux/arm64\" name=\"test\" time=\"0.250\">\n"
            "      <failure message=\"failed (exit status 3)\" type=\"failed\">[xbuild: 48 lines left out]\n"
            "line 49\n"
            "line 50\n"
            "error: &lt;boom&gt; &amp; &quot;bang&quot;\n"
            "</failure>\n"
            "      <system-out>" +
                system_out +
                "error: &lt;boom&gt; &amp; &quot;bang&quot;\n"
                "</system-out>\n"
                "    </testcase>\n"
                "    <testcase classname=\"linux/arm64\" name=\"package\" time=\"0.000\">\n"
                "      <skipped message=\"not run\"/>\n"
                "    </testcase>\n"
                "  </testsuite>\n"
                "</testsuites>\n");
}

// One run with every job state: a failure, the jobs it cancelled (one stopped while it ran), a
// -k skip, a platform skipped by --skip-unavailable, a timeout and a cache hit.
TEST(Report, JunitCountsOnlyFailuresAndTimeoutsAsFailures) {
  ScratchDir scratch;
  BuildReport report;
  report.started_at = kEight;
  report.wall_seconds = 21.5;
  report.platforms = {
      {"linux/amd64",
       "native",
       {ran("build", "failed", 0, 1.5, "exit status 2", scratch.write("amd64/build.log", "cc: error: x.c\n")),
        ran("test", "cancelled", 0, 0, "because linux/amd64 build failed", scratch.write("amd64/test.log", "old"))},
       "",
       0},
      {"linux/arm64",
       "cross",
       {ran("build", "cancelled", 0.5, 1, "because linux/amd64 build failed",
            scratch.write("arm64/build.log", "compiling\n")),
        ran("test", "skipped", 0, 0, "because linux/arm64 build, which it needs, failed")},
       "",
       0},
      {"linux/riscv64",
       "cross",
       {ran("build", "skipped", 0, 0,
            "no riscv64-linux-gnu-gcc on this machine "
            "(--skip-unavailable)")},
       "",
       0},
      {"linux/386",
       "cross",
       {ran("build", "cached", 0, 0, "", scratch.write("386/build.log", "cached log\n")),
        ran("test", "timed out", 1, 20, "timed out after 20s", scratch.write("386/test.log", "waiting\n"))},
       "",
       0},
  };
  EXPECT_EQ(render_junit(report),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<testsuites name=\"xbuild\" tests=\"7\" failures=\"2\" errors=\"0\" skipped=\"4\" time=\"21.500\" "
            "timestamp=\"2026-12-05T08:00:00.000Z\">\n"
            "  <testsuite name=\"linux/amd64\" tests=\"2\" failures=\"1\" errors=\"0\" skipped=\"1\" time=\"1.500\" "
            "timestamp=\"2026-12-05T08:00:00.000Z\">\n"
            "    <properties>\n"
            "      <property name=\"strategy\" value=\"native\"/>\n"
            "    </properties>\n"
            "    <testcase classname=\"linux/amd64\" name=\"build\" time=\"1.500\">\n"
            "      <failure message=\"failed (exit status 2)\" type=\"failed\">cc: error: x.c\n</failure>\n"
            "      <system-out>cc: error: x.c\n</system-out>\n"
            "    </testcase>\n"
            "    <testcase classname=\"linux/amd64\" name=\"test\" time=\"0.000\">\n"
            "      <skipped message=\"cancelled because linux/amd64 build failed\"/>\n"
            "    </testcase>\n"
            "  </testsuite>\n"
            "  <testsuite name=\"linux/arm64\" tests=\"2\" failures=\"0\" errors=\"0\" skipped=\"2\" time=\"1.000\" "
            "timestamp=\"2026-12-05T08:00:00.500Z\">\n"
            "    <properties>\n"
            "      <property name=\"strategy\" value=\"cross\"/>\n"
            "    </properties>\n"
            "    <testcase classname=\"linux/arm64\" name=\"build\" time=\"1.000\">\n"
            "      <skipped message=\"cancelled because linux/amd64 build failed\"/>\n"
            "      <system-out>compiling\n</system-out>\n"
            "    </testcase>\n"
            "    <testcase classname=\"linux/arm64\" name=\"test\" time=\"0.000\">\n"
            "      <skipped message=\"skipped because linux/arm64 build, which it needs, failed\"/>\n"
            "    </testcase>\n"
            "  </testsuite>\n"
            "  <testsuite name=\"linux/riscv64\" tests=\"1\" failures=\"0\" errors=\"0\" skipped=\"1\" "
            "time=\"0.000\" timestamp=\"2026-12-05T08:00:00.000Z\">\n"
            "    <properties>\n"
            "      <property name=\"strategy\" value=\"cross\"/>\n"
            "    </properties>\n"
            "    <testcase classname=\"linux/riscv64\" name=\"build\" time=\"0.000\">\n"
            "      <skipped message=\"skipped: no riscv64-linux-gnu-gcc on this machine (--skip-unavailable)\"/>\n"
            "    </testcase>\n"
            "  </testsuite>\n"
            "  <testsuite name=\"linux/386\" tests=\"2\" failures=\"1\" errors=\"0\" skipped=\"0\" time=\"20.000\" "
            "timestamp=\"2026-12-05T08:00:01.000Z\">\n"
            "    <properties>\n"
            "      <property name=\"strategy\" value=\"cross\"/>\n"
            "    </properties>\n"
            "    <testcase classname=\"linux/386\" name=\"build\" time=\"0.000\">\n"
            "      <properties>\n"
            "        <property name=\"cached\" value=\"true\"/>\n"
            "      </properties>\n"
            "      <system-out>cached log\n</system-out>\n"
            "    </testcase>\n"
            "    <testcase classname=\"linux/386\" name=\"test\" time=\"20.000\">\n"
            "      <failure message=\"timed out (timed out after 20s)\" type=\"timed out\">waiting\n</failure>\n"
            "      <system-out>waiting\n</system-out>\n"
            "    </testcase>\n"
            "  </testsuite>\n"
            "</testsuites>\n");
}

// The assertion on line 8 of 65 is in the failure and in the output; of a log too long for the
// output, the head, that line and the tail are.
TEST(Report, JunitKeepsTheFirstErrorOfALongLog) {
  ScratchDir scratch;
  std::string log;
  for (int line = 1; line <= 65; ++line)
    log += line == 8 ? "test_parse.c:42: Assertion `items == 3' failed.\n" : "line " + std::to_string(line) + "\n";
  BuildReport report;
  report.platforms = {
      {"linux/arm64", "cross", {ran("test", "failed", 0, 1, "exit status 1", scratch.write("t.log", log))}, "", 0}};
  std::string xml = render_junit(report);
  EXPECT_NE(xml.find("<failure message=\"failed (exit status 1)\" type=\"failed\">[xbuild: 5 lines left out]\n"
                     "line 6\nline 7\ntest_parse.c:42: Assertion `items == 3' failed.\n"),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("[xbuild: 12 lines left out]\nline 26\n"), std::string::npos) << xml;
  EXPECT_NE(xml.find("<system-out>line 1\n"), std::string::npos) << xml;
  std::string body = xml.substr(xml.find("<system-out>"));
  EXPECT_NE(body.find("line 64\nline 65\n</system-out>"), std::string::npos) << xml;
  EXPECT_EQ(body.find("left out"), std::string::npos) << xml;

  std::string long_log;
  for (int line = 1; line <= 20000; ++line)
    long_log += line == 9000 ? "FAILED: check_frames (expected 12, got 11)\n" : "line " + std::to_string(line) + "\n";
  report.platforms[0].stages[0].log_file = scratch.write("long.log", long_log);
  xml = render_junit(report);
  body = xml.substr(xml.find("<system-out>"));
  EXPECT_EQ(body.substr(0, 26), "<system-out>line 1\nline 2\n");
  EXPECT_NE(body.find("line 500\n[xbuild: 8497 lines left out]\nline 8998\nline 8999\nFAILED: check_frames"),
            std::string::npos)
      << body.substr(0, 5000);
  EXPECT_NE(body.find("line 20000\n</system-out>"), std::string::npos);
  EXPECT_LT(std::count(body.begin(), body.end(), '\n'), 5010);
}

TEST(Report, JunitMergesTheStagesOwnReportsPerPlatform) {
  BuildReport report;
  StageReport test = ran("test", "ok", 0, 3);
  test.reported = {
      {"passes", "passes", "", 0.13, ReportedTest::Outcome::passed, "", "", "fine\n"},
      {"fails", "fails", "", 0.09, ReportedTest::Outcome::failed, "", "", "x.c:3: expected 2, got 3\n"},
      {"ms", "skips", "", -1, ReportedTest::Outcome::skipped, "SKIP_RETURN_CODE=77", "", ""},
  };
  StageReport cached = ran("test", "cached", 0, 0);
  cached.reported = {{"ms", "passes", "", 0.5, ReportedTest::Outcome::passed, "", "", ""}};
  report.platforms = {{"linux/amd64", "native", {test}, "", 0}, {"linux/arm64", "cross", {cached}, "", 0}};
  EXPECT_EQ(render_junit(report),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<testsuites name=\"xbuild\" tests=\"6\" failures=\"1\" errors=\"0\" skipped=\"1\" time=\"0.000\" "
            "timestamp=\"1970-01-01T00:00:00.000Z\">\n"
            "  <testsuite name=\"linux/amd64\" tests=\"4\" failures=\"1\" errors=\"0\" skipped=\"1\" time=\"3.000\" "
            "timestamp=\"1970-01-01T00:00:00.000Z\">\n"
            "    <properties>\n"
            "      <property name=\"strategy\" value=\"native\"/>\n"
            "    </properties>\n"
            "    <testcase classname=\"linux/amd64\" name=\"test\" time=\"3.000\"/>\n"
            "    <testcase classname=\"linux/amd64.passes\" name=\"passes\" time=\"0.130\">\n"
            "      <system-out>fine\n</system-out>\n"
            "    </testcase>\n"
            "    <testcase classname=\"linux/amd64.fails\" name=\"fails\" time=\"0.090\">\n"
            "      <failure message=\"failed\" type=\"failed\">x.c:3: expected 2, got 3\n</failure>\n"
            "      <system-out>x.c:3: expected 2, got 3\n</system-out>\n"
            "    </testcase>\n"
            "    <testcase classname=\"linux/amd64.ms\" name=\"skips\">\n"
            "      <skipped message=\"SKIP_RETURN_CODE=77\"/>\n"
            "    </testcase>\n"
            "  </testsuite>\n"
            "  <testsuite name=\"linux/arm64\" tests=\"2\" failures=\"0\" errors=\"0\" skipped=\"0\" time=\"0.000\" "
            "timestamp=\"1970-01-01T00:00:00.000Z\">\n"
            "    <properties>\n"
            "      <property name=\"strategy\" value=\"cross\"/>\n"
            "    </properties>\n"
            "    <testcase classname=\"linux/arm64\" name=\"test\" time=\"0.000\">\n"
            "      <properties>\n"
            "        <property name=\"cached\" value=\"true\"/>\n"
            "      </properties>\n"
            "    </testcase>\n"
            "    <testcase classname=\"linux/arm64.ms\" name=\"passes\" time=\"0.500\">\n"
            "      <properties>\n"
            "        <property name=\"cached\" value=\"true\"/>\n"
            "      </properties>\n"
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
  EXPECT_EQ(render_junit(report, {2}),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<testsuites name=\"xbuild\" tests=\"6\" failures=\"2\" errors=\"0\" skipped=\"2\" time=\"0.000\" "
            "timestamp=\"1970-01-01T00:00:00.000Z\">\n"
            "  <testsuite name=\"none/arm/cortex-m3\" tests=\"6\" failures=\"2\" errors=\"0\" skipped=\"2\" "
            "time=\"2.000\" timestamp=\"1970-01-01T00:00:00.000Z\">\n"
            "    <properties>\n"
            "      <property name=\"strategy\" value=\"bare-metal\"/>\n"
            "    </properties>\n"
            "    <testcase classname=\"none/arm/cortex-m3\" name=\"build\" time=\"2.000\"/>\n"
            "    <testcase classname=\"none/arm/cortex-m3.test\" name=\"passes\" file=\"xb_extra.c\"/>\n"
            "    <testcase classname=\"none/arm/cortex-m3.test\" name=\"fails_int\" file=\"xb_extra.c\">\n"
            "      <failure message=\"Expected 42 Was 41\" type=\"failed\">xb_extra.c:8: Expected 42 Was 41</failure>\n"
            "      <system-out>xb_extra.c:15:passes:PASS\n"
            "xb_extra.c:8:fails_int:FAIL: Expected 42 Was 41\n"
            "xb_extra.c:10:fails_msg:FAIL: Expected 'abc' Was 'abd'. strings differ\n"
            "xb_extra.c:11:ignored:IGNORE: not on this board\n"
            "xb_extra.c:12:ignored_plain:IGNORE\n"
            "\n"
            "-----------------------\n"
            "5 Tests 2 Failures 2 Ignored \n"
            "FAIL\n"
            "firmware test xb_extra.elf on cortex-m3 (mps2-an385): FAILED: exit code 2\n"
            "</system-out>\n"
            "    </testcase>\n"
            "    <testcase classname=\"none/arm/cortex-m3.test\" name=\"fails_msg\" file=\"xb_extra.c\">\n"
            "      <failure message=\"Expected 'abc' Was 'abd'. strings differ\" type=\"failed\">xb_extra.c:10: "
            "Expected 'abc' Was 'abd'. strings differ</failure>\n"
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
            "<testsuites name=\"xbuild\" tests=\"1\" failures=\"0\" errors=\"0\" skipped=\"0\" time=\"0.000\" "
            "timestamp=\"1970-01-01T00:00:00.000Z\">\n"
            "  <testsuite name=\"linux/amd64\" tests=\"1\" failures=\"0\" errors=\"0\" skipped=\"0\" time=\"0.500\" "
            "timestamp=\"1970-01-01T00:00:00.000Z\">\n"
            "    <properties>\n"
            "      <property name=\"strategy\" value=\"native\"/>\n"
            "    </properties>\n"
            "    <testcase classname=\"linux/amd64.test\" name=\"parse_hex4_should_parse_all_combinations\" "
            "file=\"/src/cJSON-1.7.15/tests/parse_hex4.c\">\n"
            "      <system-out>/src/cJSON-1.7.15/tests/parse_hex4.c:70:parse_hex4_should_parse_all_combinations:PASS\n"
            "\n"
            "-----------------------\n"
            "1 Tests 0 Failures 0 Ignored \n"
            "OK\n"
            "</system-out>\n"
            "    </testcase>\n"
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
  EXPECT_EQ(render_junit(report, {1}),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<testsuites name=\"xbuild\" tests=\"2\" failures=\"1\" errors=\"0\" skipped=\"0\" time=\"0.000\" "
            "timestamp=\"1970-01-01T00:00:00.000Z\">\n"
            "  <testsuite name=\"none/arm/cortex-m3\" tests=\"2\" failures=\"1\" errors=\"0\" skipped=\"0\" "
            "time=\"0.500\" timestamp=\"1970-01-01T00:00:00.000Z\">\n"
            "    <properties>\n"
            "      <property name=\"strategy\" value=\"bare-metal\"/>\n"
            "    </properties>\n"
            "    <testcase classname=\"none/arm/cortex-m3.test\" name=\"parse_hex4_should_parse_all_combinations\" "
            "file=\"parse_hex4.c\"/>\n"
            "    <testcase classname=\"none/arm/cortex-m3\" name=\"test\" time=\"0.500\">\n"
            "      <failure message=\"failed (hung after parse_hex4_should_parse_all_combinations (no console output "
            "for 3000 ms); qemu-system-arm was stopped)\" "
            "type=\"failed\">parse_hex4.c:70:parse_hex4_should_parse_all_combinations:PASS\n"
            "firmware test parse_hex4 on cortex-m3 (mps2-an385): FAILED: hung after "
            "parse_hex4_should_parse_all_combinations (no console output for 3000 ms); qemu-system-arm was stopped\n"
            "the console ended with:\n"
            "  | parse_hex4.c:70:parse_hex4_should_parse_all_combinations:PASS\n"
            "</failure>\n"
            "      <system-out>parse_hex4.c:70:parse_hex4_should_parse_all_combinations:PASS\n"
            "firmware test parse_hex4 on cortex-m3 (mps2-an385): FAILED: hung after "
            "parse_hex4_should_parse_all_combinations (no console output for 3000 ms); qemu-system-arm was stopped\n"
            "the console ended with:\n"
            "  | parse_hex4.c:70:parse_hex4_should_parse_all_combinations:PASS\n"
            "</system-out>\n"
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
  EXPECT_EQ(render_junit(report, {1}),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<testsuites name=\"xbuild\" tests=\"2\" failures=\"1\" errors=\"0\" skipped=\"0\" time=\"0.000\" "
            "timestamp=\"1970-01-01T00:00:00.000Z\">\n"
            "  <testsuite name=\"none/arm/cortex-m3\" tests=\"2\" failures=\"1\" errors=\"0\" skipped=\"0\" "
            "time=\"0.500\" timestamp=\"1970-01-01T00:00:00.000Z\">\n"
            "    <properties>\n"
            "      <property name=\"strategy\" value=\"bare-metal\"/>\n"
            "    </properties>\n"
            "    <testcase classname=\"none/arm/cortex-m3.test\" name=\"Xb.Passes\" time=\"0.000\"/>\n"
            "    <testcase classname=\"none/arm/cortex-m3.test\" name=\"Xb.Spins\">\n"
            "      <failure message=\"did not finish: failed (hung in Xb.Spins (no console output for 10000 ms); "
            "qemu-system-arm was stopped)\" type=\"did not finish\">[xbuild: 1 line left out]\n"
            "[       OK ] Xb.Passes (0 ms)\n"
            "[ RUN      ] Xb.Spins\n"
            "firmware test gtest-xb.elf on cortex-m3 (mps2-an385): FAILED: hung in Xb.Spins (no console output for "
            "10000 ms); qemu-system-arm was stopped\n"
            "</failure>\n"
            "      <system-out>[ RUN      ] Xb.Passes\n"
            "[       OK ] Xb.Passes (0 ms)\n"
            "[ RUN      ] Xb.Spins\n"
            "firmware test gtest-xb.elf on cortex-m3 (mps2-an385): FAILED: hung in Xb.Spins (no console output for "
            "10000 ms); qemu-system-arm was stopped\n"
            "</system-out>\n"
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

#include "report/merged_reports.h"

#include <gtest/gtest.h>

namespace xb {
namespace {

const char* const kShardOne = R"(<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="xbuild" tests="3" failures="1" errors="0" skipped="1" time="4.500" timestamp="2026-12-05T08:00:02Z">
  <testsuite name="linux/arm64" tests="2" failures="1" errors="0" skipped="0" time="4.100">
    <testcase classname="linux/arm64" name="build" time="3.000"/>
    <testcase classname="linux/arm64" name="test" time="1.100"><failure message="exit status 1"><![CDATA[</testsuite> in a log
]]></failure></testcase>
  </testsuite>
  <!-- <testsuite name="commented out" tests="9"> -->
  <testsuite name="linux/386" tests="1" failures="0" errors="0" skipped="1" time="0.000">
    <testcase classname="linux/386" name="build"><skipped message="because linux/arm64 test failed"/></testcase>
  </testsuite>
</testsuites>
)";

const char* const kShardTwo = R"(<?xml version="1.0"?>
<testsuites name="xbuild" tests="1" failures="0" errors="1" skipped="0" time="6.250" timestamp="2026-12-05T08:00:01Z">
  <testsuite name='linux/amd64' tests='1' failures='0' errors='1' skipped='0' time='6.250'><testsuite name="nested" tests="7"/><testcase name="a &gt; b"/></testsuite>
</testsuites>
)";

TEST(MergeJunit, SuitesAreCopiedUnderOneTestsuitesWithRecomputedTotals) {
  Result<std::string> merged = merge_junit({{"one.xml", kShardOne}, {"two.xml", kShardTwo}});
  ASSERT_TRUE(merged.ok()) << merged.error();
  EXPECT_EQ(merged.value(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<testsuites name=\"xbuild\" tests=\"4\" failures=\"1\" errors=\"1\" skipped=\"1\" time=\"6.250\" "
            "timestamp=\"2026-12-05T08:00:01Z\">\n"
            "  <testsuite name=\"linux/arm64\" tests=\"2\" failures=\"1\" errors=\"0\" skipped=\"0\" time=\"4.100\">\n"
            "    <testcase classname=\"linux/arm64\" name=\"build\" time=\"3.000\"/>\n"
            "    <testcase classname=\"linux/arm64\" name=\"test\" time=\"1.100\"><failure message=\"exit status "
            "1\"><![CDATA[</testsuite> in a log\n]]></failure></testcase>\n"
            "  </testsuite>\n"
            "  <testsuite name=\"linux/386\" tests=\"1\" failures=\"0\" errors=\"0\" skipped=\"1\" time=\"0.000\">\n"
            "    <testcase classname=\"linux/386\" name=\"build\"><skipped message=\"because linux/arm64 test "
            "failed\"/></testcase>\n"
            "  </testsuite>\n"
            "  <testsuite name='linux/amd64' tests='1' failures='0' errors='1' skipped='0' time='6.250'><testsuite "
            "name=\"nested\" tests=\"7\"/><testcase name=\"a &gt; b\"/></testsuite>\n"
            "</testsuites>\n");
}

TEST(MergeJunit, ALoneTestsuiteIsOneSuite) {
  Result<std::string> merged = merge_junit(
      {{"ctest.xml", R"(<testsuite name="ctest" tests="2" failures="1" time="1.5"><testcase name="x"/></testsuite>)"}});
  ASSERT_TRUE(merged.ok()) << merged.error();
  EXPECT_EQ(merged.value(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<testsuites name=\"xbuild\" tests=\"2\" failures=\"1\" errors=\"0\" skipped=\"0\" time=\"1.500\">\n"
            "  <testsuite name=\"ctest\" tests=\"2\" failures=\"1\" time=\"1.5\"><testcase name=\"x\"/></testsuite>\n"
            "</testsuites>\n");
}

TEST(MergeJunit, WhatIsNotJunitIsAnErrorNamingTheFile) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{}", "bad.xml is not a JUnit report: it holds no element"},
      {"<html></html>", "bad.xml is not a JUnit report: its root is <html>, not <testsuites> or <testsuite>"},
      {"<testsuites><testsuite>", "bad.xml is not a JUnit report: an element is not closed"},
      {"<testsuites></testsuites><testsuites/>", "bad.xml is not a JUnit report: more than one root element"},
      {"<testsuites><!-- unterminated", "bad.xml is not a JUnit report: unterminated markup at byte 12"},
      {"<testsuites name=\"x></testsuites>", "bad.xml is not a JUnit report: malformed tag <testsuites at byte 0"},
  };
  for (const auto& [text, message] : cases) {
    Result<std::string> merged = merge_junit({{"bad.xml", text}});
    ASSERT_FALSE(merged.ok()) << text;
    EXPECT_EQ(merged.error(), message) << text;
  }
}

TEST(MergeMetadata, PlatformsAreUnitedAndTheIndexIsTheMergedOne) {
  const std::string one = R"({"containerimage.digest": "sha256:aaa", "image.name": "example/hello:1.0",
    "platforms": {"linux/arm64": {"containerimage.digest": "sha256:a1", "strategy": "cross", "stages": {"build": "ok"}}}})";
  const std::string failed = R"({"platforms": {"linux/amd64": {"strategy": "native", "stages": {"build": "failed"}}}})";
  Result<std::string> merged =
      merge_metadata({{{"one.json", one}, "sha256:aaa"}, {{"two.json", failed}, ""}}, {"sha256:fff", 512});
  ASSERT_TRUE(merged.ok()) << merged.error();
  EXPECT_EQ(merged.value(), R"({
  "containerimage.descriptor": {
    "mediaType": "application/vnd.oci.image.index.v1+json",
    "digest": "sha256:fff",
    "size": 512
  },
  "containerimage.digest": "sha256:fff",
  "image.name": "example/hello:1.0",
  "platforms": {
    "linux/arm64": {
      "containerimage.digest": "sha256:a1",
      "strategy": "cross",
      "stages": {
        "build": "ok"
      }
    },
    "linux/amd64": {
      "strategy": "native",
      "stages": {
        "build": "failed"
      }
    }
  }
}
)");
}

TEST(MergeMetadata, AReportOfAnotherRunOrAPlatformTwiceIsRefused) {
  const std::string one = R"({"containerimage.digest": "sha256:aaa", "platforms": {"linux/arm64": {}}})";
  Result<std::string> other = merge_metadata({{{"one.json", one}, "sha256:bbb"}}, {"sha256:fff", 1});
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error(),
            "one.json names the index sha256:aaa, but its layout holds sha256:bbb: it is the report of another run; "
            "run the shard again");
  Result<std::string> twice =
      merge_metadata({{{"one.json", one}, "sha256:aaa"}, {{"two.json", one}, "sha256:aaa"}}, {"sha256:fff", 1});
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error(), "linux/arm64 is in two reports: one.json and two.json");
  Result<std::string> not_json = merge_metadata({{{"x.json", "[1]"}, ""}}, {"sha256:fff", 1});
  ASSERT_FALSE(not_json.ok());
  EXPECT_EQ(not_json.error(), "x.json is not the --metadata-file of an xbuild run (no \"platforms\" object)");
}

}  // namespace
}  // namespace xb

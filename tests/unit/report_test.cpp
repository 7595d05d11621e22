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

TEST(Report, SummaryHasARowPerPlatformAndTheIndex) {
  EXPECT_EQ(render_summary(two_platforms()),
            "PLATFORM     STRATEGY  STAGES                       IMAGE\n"
            "linux/amd64  native    build ok 1.3s, test ok 0.5s  sha256:aaaaaaaaaaaa\n"
            "linux/arm64  cross     build cached, test cached    sha256:bbbbbbbbbbbb\n"
            "index " +
                kIndex + "\n");
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

TEST(Report, ReadTailKeepsTheLastLines) {
  ScratchDir scratch;
  EXPECT_EQ(read_tail(scratch.write("log", "a\nb\nc\n"), 2), "b\nc\n");
  EXPECT_EQ(read_tail(scratch.write("log2", "only"), 5), "only\n");
  EXPECT_EQ(read_tail(scratch / "missing", 5), "");
}

}  // namespace
}  // namespace xb

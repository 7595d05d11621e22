// The --report-markdown text by its exact content, and what $GITHUB_STEP_SUMMARY gets.
#include "report/markdown_report.h"

#include <gtest/gtest.h>

#include "report/build_report.h"
#include "support/scratch_dir.h"
#include "util/fs.h"

namespace xb {
namespace {

using testing::ScratchDir;

const std::string kAmd64 = "sha256:" + std::string(64, 'a');
const std::string kIndex = "sha256:" + std::string(64, '1');

StageReport stage(std::string name, std::string result, double seconds = 0, std::string detail = "") {
  StageReport out;
  out.stage = std::move(name);
  out.result = std::move(result);
  out.seconds = seconds;
  out.detail = std::move(detail);
  return out;
}

BuildReport passed() {
  BuildReport report;
  report.wall_seconds = 3.25;
  report.platforms = {
      {"linux/amd64", "native", {stage("build", "ok", 1.25), stage("test", "cached")}, kAmd64, 812},
      {"linux/riscv64", "cross", {stage("build", "ok", 2)}, "", 0},
  };
  report.index_digest = kIndex;
  report.index_size = 700;
  report.image_name = "localhost:5000/hello:1.0";
  return report;
}

TEST(MarkdownReport, ASuccessfulRunIsTheMatrixAndTheDigests) {
  EXPECT_EQ(render_markdown_report(passed()),
            "### xbuild run: succeeded (localhost:5000/hello:1.0)\n"
            "\n"
            "3 jobs: 2 ok, 1 cached; wall time 3.2 s.\n"
            "\n"
            "| platform | strategy | build | test |\n"
            "| --- | --- | --- | --- |\n"
            "| linux/amd64 | native | ok 1.2 s | cached |\n"
            "| linux/riscv64 | cross | ok 2.0 s | – |\n"
            "\n"
            "| platform | manifest digest | size |\n"
            "| --- | --- | --- |\n"
            "| linux/amd64 | `" +
                kAmd64 +
                "` | 812 bytes |\n"
                "| index | `" +
                kIndex + "` | 700 bytes |\n");
}

TEST(MarkdownReport, FailuresGetTheirLogsLastLinesAndStoppedJobsTheirReason) {
  ScratchDir scratch;
  BuildReport report;
  report.wall_seconds = 1;
  report.platforms = {{"linux/arm64",
                       "cross",
                       {stage("build", "failed", 0.5, "exit status 1"),
                        stage("test", "cancelled", 0, "because linux/arm64 build failed"), stage("pack", "not run")},
                       "",
                       0}};
  report.platforms[0].stages[0].log_file = scratch.write("build.log", "a | b\n```\n\x1b[31m<error>\x1b[0m\n");
  EXPECT_EQ(render_markdown_report(report),
            "### xbuild run: failed\n"
            "\n"
            "3 jobs: 1 failed, 1 cancelled, 1 skipped; wall time 1.0 s.\n"
            "\n"
            "| platform | strategy | build | test | pack |\n"
            "| --- | --- | --- | --- | --- |\n"
            "| linux/arm64 | cross | **failed** 0.5 s | cancelled | skipped |\n"
            "\n"
            "#### Failures\n"
            "\n"
            "- **linux/arm64 build**: failed (exit status 1), log `" +
                report.platforms[0].stages[0].log_file.string() +
                "`\n"
                "\n"
                "<details><summary>the log's last lines</summary>\n"
                "\n"
                "````text\n"
                "a | b\n"
                "```\n"
                "<error>\n"
                "````\n"
                "\n"
                "</details>\n"
                "\n"
                "\n"
                "#### Cancelled and skipped\n"
                "\n"
                "- **linux/arm64 test**: cancelled (because linux/arm64 build failed)\n"
                "- **linux/arm64 pack**: skipped\n");
}

TEST(MarkdownReport, MarkupInNamesAndDetailsIsEscaped) {
  BuildReport report;
  report.platforms = {{"linux/amd64", "native", {stage("my_stage", "failed", 1, "a|b *c* <d>\nnext")}, "", 0}};
  std::string text = render_markdown_report(report);
  EXPECT_NE(text.find("| platform | strategy | my\\_stage |\n"), std::string::npos) << text;
  EXPECT_NE(text.find("- **linux/amd64 my\\_stage**: failed (a\\|b \\*c\\* \\<d\\> next)\n"), std::string::npos)
      << text;
}

TEST(MarkdownReport, AnEmptyReportSaysSo) {
  EXPECT_EQ(render_markdown_report(BuildReport{}), "### xbuild run: succeeded\n\nNo platform was planned.\n");
}

TEST(MarkdownReport, TheStepSummaryIsAppendedTo) {
  ScratchDir scratch;
  std::filesystem::path summary = scratch.write("summary.md", "# an earlier step\n");
  ASSERT_TRUE(append_step_summary(passed(), summary).ok());
  EXPECT_EQ(read_file(summary).value(), "# an earlier step\n" + render_markdown_report(passed()) + "\n");
  Status missing = append_step_summary(passed(), scratch / "no/such/dir/summary.md");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error(),
            "cannot append to " + (scratch / "no/such/dir/summary.md").string() + ": No such file or directory");
}

}  // namespace
}  // namespace xb

// The --report-html page: its matrix cells, timeline slots, sizes and failure excerpts, by exact
// fragments; log text escaped; a report without platforms still a whole page.
#include "report/html_report.h"

#include <gtest/gtest.h>

#include "support/scratch_dir.h"

namespace xb {
namespace {

using testing::ScratchDir;

const std::string kAmd64 = "sha256:" + std::string(64, 'a');

std::size_t count(const std::string& text, const std::string& part) {
  std::size_t found = 0;
  for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++found;
  return found;
}

StageReport stage(std::string name, std::string result, double seconds = 0, double start = 0, std::string detail = "") {
  StageReport out;
  out.stage = std::move(name);
  out.result = std::move(result);
  out.seconds = seconds;
  out.start_offset = start;
  out.detail = std::move(detail);
  return out;
}

BuildReport matrix() {
  BuildReport report;
  report.wall_seconds = 4;
  PlatformReport amd64{"linux/amd64", "native", {stage("build", "ok", 1.25, 0), stage("test", "cached")}, kAmd64, 812};
  PlatformReport arm64{"linux/arm64",
                       "cross",
                       {stage("build", "failed", 2, 0, "exit status 2"),
                        stage("test", "cancelled", 0, 0, "because linux/arm64 build failed")},
                       "",
                       0};
  PlatformReport riscv{"linux/riscv64", "cross", {stage("build", "not run")}, "", 0};
  report.platforms = {amd64, arm64, riscv};
  return report;
}

TEST(HtmlReport, EachCellCarriesItsPlatformStageAndState) {
  std::string page = render_html_report(matrix());
  EXPECT_NE(page.find("<td class=\"cell s-ok\" data-platform=\"linux/amd64\" data-stage=\"build\" data-state=\"ok\">"
                      "<span class=\"state\">ok</span><span class=\"time\">1.2 s</span></td>"),
            std::string::npos)
      << page;
  EXPECT_NE(page.find("<td class=\"cell s-cached\" data-platform=\"linux/amd64\" data-stage=\"test\" "
                      "data-state=\"cached\" data-cached=\"true\"><span class=\"state\">cached</span>"
                      "<span class=\"mark\">↺ from the cache</span></td>"),
            std::string::npos)
      << page;
  EXPECT_NE(page.find("<td class=\"cell s-failed\" data-platform=\"linux/arm64\" data-stage=\"build\" "
                      "data-state=\"failed\" title=\"exit status 2\"><span class=\"state\">failed</span>"
                      "<span class=\"time\">2.0 s</span><span class=\"detail\">exit status 2</span></td>"),
            std::string::npos)
      << page;
  EXPECT_NE(page.find("<td class=\"cell s-cancelled\" data-platform=\"linux/arm64\" data-stage=\"test\" "
                      "data-state=\"cancelled\" title=\"because linux/arm64 build failed\"><span "
                      "class=\"state\">cancelled</span><span class=\"detail\">because linux/arm64 build "
                      "failed</span></td>"),
            std::string::npos)
      << page;
  // The older "not run" reads as skipped; a stage a platform lacks is a cell of its own.
  EXPECT_NE(page.find("data-platform=\"linux/riscv64\" data-stage=\"build\" data-state=\"skipped\""),
            std::string::npos);
  EXPECT_NE(page.find("<td class=\"cell s-none\" data-platform=\"linux/riscv64\" data-stage=\"test\" "
                      "data-state=\"none\"><span class=\"state\">–</span></td>"),
            std::string::npos)
      << page;
  EXPECT_NE(page.find("<h1>xbuild run <span class=\"outcome s-failed\" data-outcome=\"failed\">failed</span></h1>"),
            std::string::npos);
  EXPECT_NE(page.find("wall time 4.0 s · 5 jobs: 1 ok, 1 cached, 1 failed, 1 cancelled, 1 skipped</p>"),
            std::string::npos)
      << page;
}

TEST(HtmlReport, ThePageLoadsNothingAndRunsNothing) {
  std::string page = render_html_report(matrix());
  EXPECT_EQ(page.rfind("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n", 0), 0u);
  EXPECT_NE(page.find("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src "
                      "'unsafe-inline'\">"),
            std::string::npos);
  EXPECT_EQ(count(page, "<script"), 0u);
  EXPECT_EQ(count(page, "<link"), 0u);
  EXPECT_EQ(count(page, "http://"), 0u);
  EXPECT_EQ(count(page, "https://"), 0u);
  EXPECT_EQ(count(page, "url("), 0u);
  EXPECT_TRUE(page.ends_with("</body>\n</html>\n"));
}

TEST(HtmlReport, AFailedStagesLogIsEscapedInItsExcerpt) {
  ScratchDir scratch;
  BuildReport report = matrix();
  StageReport& failed = report.platforms[1].stages[0];
  failed.log_file = scratch.write(
      "build.log",
      "cc -c a.c\n<script>alert(\"x\")</script>\n</pre><b>bold</b> & 'quoted'\n\x1b[01;31merror:\x1b[0m boom\x07\n");
  failed.detail = "exit status 2 <\"odd\">";
  std::string page = render_html_report(report);
  EXPECT_EQ(count(page, "<script"), 0u);
  EXPECT_EQ(count(page, "</pre>"), 1u);
  EXPECT_NE(page.find("<article class=\"failure\" data-platform=\"linux/arm64\" data-stage=\"build\" "
                      "data-state=\"failed\">\n<h3>linux/arm64 build: failed (exit status 2 &lt;&quot;odd&quot;&gt;)"
                      "</h3>\n<p class=\"log-file\">log <code>" +
                      failed.log_file.string() +
                      "</code></p>\n<pre class=\"log\">cc -c a.c\n&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;\n"
                      "&lt;/pre&gt;&lt;b&gt;bold&lt;/b&gt; &amp; &#39;quoted&#39;\nerror: boom\xef\xbf\xbd\n</pre>\n"
                      "</article>\n"),
            std::string::npos)
      << page;
  EXPECT_NE(page.find("title=\"exit status 2 &lt;&quot;odd&quot;&gt;\""), std::string::npos);
}

TEST(HtmlReport, AFailureWithoutItsLogSaysSo) {
  BuildReport report = matrix();
  report.platforms[1].stages[0].log_file = "/nonexistent/build.log";
  EXPECT_NE(render_html_report(report).find("<p class=\"log-file\">log <code>/nonexistent/build.log</code></p>\n"
                                            "<p class=\"empty\">The log could not be read.</p>\n</article>"),
            std::string::npos);
}

TEST(HtmlReport, TheTimelinePutsEachJobOnTheFirstFreeSlot) {
  BuildReport report;
  report.wall_seconds = 4;
  report.platforms = {{"linux/amd64",
                       "native",
                       {stage("a", "ok", 2, 0), stage("b", "ok", 1, 0), stage("c", "failed", 3, 1),
                        stage("d", "cached"), stage("e", "cancelled")},
                       "",
                       0}};
  std::string page = render_html_report(report);
  std::size_t slot1 = page.find("<div class=\"lane\" data-slot=\"1\">");
  std::size_t slot2 = page.find("<div class=\"lane\" data-slot=\"2\">");
  ASSERT_NE(slot1, std::string::npos);
  ASSERT_NE(slot2, std::string::npos);
  EXPECT_EQ(page.find("data-slot=\"3\""), std::string::npos);
  std::size_t a = page.find("data-stage=\"a\" data-state=\"ok\" data-start");
  std::size_t b = page.find("data-stage=\"b\" data-state=\"ok\" data-start");
  std::size_t c = page.find(
      "<div class=\"bar s-failed\" data-platform=\"linux/amd64\" data-stage=\"c\" "
      "data-state=\"failed\" data-start=\"1.000\" data-seconds=\"3.000\" "
      "style=\"left:25.000%;width:75.000%\" title=\"linux/amd64 c: failed, 1.0 s to 4.0 s\">"
      "linux/amd64 c</div>");
  ASSERT_NE(c, std::string::npos) << page;
  EXPECT_TRUE(slot1 < a && a < slot2) << page;
  EXPECT_TRUE(slot2 < b && b < c) << page;
  EXPECT_EQ(page.find("data-stage=\"d\" data-state=\"cached\" data-start"), std::string::npos);
  EXPECT_NE(page.find("<p class=\"note\">2 stages did not run here (from the cache, skipped or cancelled before "
                      "starting).</p>"),
            std::string::npos);
}

TEST(HtmlReport, SizesShowDigestsAndFirmwareSizesWhenThereAreAny) {
  BuildReport report = matrix();
  report.index_digest = "sha256:" + std::string(64, '1');
  report.index_size = 700;
  std::string page = render_html_report(report);
  EXPECT_NE(page.find("<tr data-platform=\"linux/amd64\"><th scope=\"row\">linux/amd64</th><td><code "
                      "data-digest=\"manifest\">" +
                      kAmd64 + "</code></td><td data-bytes=\"812\">812 bytes</td></tr>"),
            std::string::npos)
      << page;
  EXPECT_NE(page.find("<tr data-platform=\"linux/arm64\"><th scope=\"row\">linux/arm64</th><td class=\"none\">none "
                      "written</td><td></td></tr>"),
            std::string::npos);
  EXPECT_EQ(page.find("<th>flash</th>"), std::string::npos);
  EXPECT_NE(page.find("<p>index <code data-digest=\"index\">" + report.index_digest + "</code> (700 bytes)</p>"),
            std::string::npos);
  EXPECT_EQ(count(page, report.index_digest), 1u);

  report.platforms.push_back({"none/arm/cortex-m4", "firmware", {stage("build", "ok", 1, 0)}, "", 0});
  report.platforms.back().firmware_size = firmware::Sizes{2048, 100, 300};
  page = render_html_report(report);
  EXPECT_NE(page.find("<th>text</th><th>data</th><th>bss</th><th>flash</th><th>ram</th>"), std::string::npos);
  EXPECT_NE(page.find("<td data-bytes=\"2048\">2 KiB</td><td data-bytes=\"100\">100 B</td><td data-bytes=\"300\">300 "
                      "B</td><td data-bytes=\"2148\">2.1 KiB</td><td data-bytes=\"400\">400 B</td></tr>"),
            std::string::npos)
      << page;
}

TEST(HtmlReport, AnEmptyReportIsAWholePageThatSaysSo) {
  std::string page = render_html_report(BuildReport{});
  EXPECT_EQ(page.rfind("<!DOCTYPE html>\n", 0), 0u);
  EXPECT_TRUE(page.ends_with("</body>\n</html>\n"));
  EXPECT_NE(page.find("<title>xbuild run: succeeded</title>"), std::string::npos);
  EXPECT_NE(page.find("wall time 0.0 s · 0 jobs</p>"), std::string::npos) << page;
  EXPECT_EQ(count(page, "<p class=\"empty\">No platform was planned.</p>"), 2u);
  EXPECT_NE(page.find("<p class=\"empty\">No stage ran.</p>"), std::string::npos);
  EXPECT_NE(page.find("<p class=\"empty\">No stage failed.</p>"), std::string::npos);
  EXPECT_EQ(page.find("started "), std::string::npos);  // no start time known
}

TEST(HtmlReport, LogExcerptKeepsTheFirstAndLastLines) {
  std::string log;
  for (int line = 1; line <= 10; ++line) log += "line " + std::to_string(line) + "\n";
  EXPECT_EQ(head_tail_excerpt(log, 2, 3), "line 1\nline 2\n... 5 lines left out ...\nline 8\nline 9\nline 10\n");
  EXPECT_EQ(head_tail_excerpt(log, 3, 6), log);  // one line left out would take a line to say so
  EXPECT_EQ(head_tail_excerpt("no newline", 1, 1), "no newline\n");
  EXPECT_EQ(head_tail_excerpt("", 1, 1), "");
}

TEST(HtmlReport, PlainLogTextDropsTerminalSequences) {
  EXPECT_EQ(plain_log_text("\x1b[1m\x1b[31mred\x1b[0m\tend\r\n"), "red\tend\r\n");
  EXPECT_EQ(plain_log_text("bell\x07"), "bell\xef\xbf\xbd");
}

TEST(HtmlReport, DurationsReadAsPeopleSayThem) {
  EXPECT_EQ(format_duration(0), "0.0 s");
  EXPECT_EQ(format_duration(12.34), "12.3 s");
  EXPECT_EQ(format_duration(125), "2 min 5 s");
  EXPECT_EQ(format_duration(3725), "1 h 2 min");
}

}  // namespace
}  // namespace xb

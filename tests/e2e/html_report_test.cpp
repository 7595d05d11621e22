// --report-html and --report-markdown of a real run with a failure (-k): the page rendered by
// headless Chromium, its DOM read back (each matrix cell's state, the failure's excerpt) and its
// screenshot decoded (the size asked for, the cells' colours drawn); the Markdown file and what
// $GITHUB_STEP_SUMMARY gets; bad report paths refused before anything runs.
#include <gtest/gtest.h>

#include <map>
#include <regex>

#include "e2e/e2e_support.h"
#include "support/png.h"
#include "util/fs.h"

namespace xb::testing {
namespace {

namespace fs = std::filesystem;

// Three platforms, native and cross; linux/arm64's test fails, printing markup and a terminal
// colour sequence, so its package stage never runs.
const char* const kConfig = R"(
[project]
name = "hello"

[targets]
platforms = ["linux/amd64", "linux/arm64", "linux/riscv64"]

[stage.build]
run = 'make -s -C src CC="$CC" OUT="$XBUILD_OUT"'

[stage.test]
needs = ["build"]
run = '$XBUILD_EXEC "$XBUILD_OUT/hello" --self-test'

[stage.package]
needs = ["test"]
run = 'true'

[platform."linux/arm64".stage.test]
run = '''
echo 'checking <script>alert(1)</script> & </pre> more'
printf '\033[31mred\033[0m\n'
echo 'assertion failed: 2 == 3 (test.c:8)' >&2
exit 3
'''

[image]
name = "localhost:5000/demo/hello"
tags = ["1.0"]
entrypoint = ["/app/hello"]
copy = [{ from = "hello", to = "/app/hello" }]
)";

// The DOM Chromium dumps of a page, and its screenshot, `width` x `height`.
struct Rendered {
  CommandResult chromium;
  std::string dom;
  Png screenshot;
};

Rendered render_in_chromium(const fs::path& page, const ScratchDir& scratch, int width, int height) {
  Rendered rendered;
  fs::path screenshot = scratch / "screenshot.png";
  // As root Chromium needs --no-sandbox; a profile of its own keeps the user's untouched.
  rendered.chromium = run({"chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           "--user-data-dir=" + (scratch / "profile").string(),
                           "--window-size=" + std::to_string(width) + "," + std::to_string(height),
                           "--screenshot=" + screenshot.string(), "--dump-dom", "file://" + page.string()});
  rendered.dom = rendered.chromium.out;
  Result<std::string> png = read_file(screenshot);
  rendered.screenshot = decode_png(png ? png.value() : std::string());
  return rendered;
}

// "linux/arm64 test" -> its data-state, for each matrix cell of a DOM.
std::map<std::string, std::string> cell_states(const std::string& dom) {
  std::map<std::string, std::string> states;
  std::regex cell(R"re(<td class="cell [^"]*" data-platform="([^"]*)" data-stage="([^"]*)" data-state="([^"]*)")re");
  for (std::sregex_iterator it(dom.begin(), dom.end(), cell), end; it != end; ++it)
    states[(*it)[1].str() + " " + (*it)[2].str()] = (*it)[3].str();
  return states;
}

std::size_t count(const std::string& text, const std::string& part) {
  std::size_t found = 0;
  for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++found;
  return found;
}

std::size_t pixels_of(const Png& png, std::uint32_t rgba) {
  return static_cast<std::size_t>(std::count(png.pixels.begin(), png.pixels.end(), rgba));
}

TEST(HtmlReport, ChromiumRendersTheMatrixTimelineAndFailureOfARealRun) {
  XB_REQUIRE_TOOLS("make", "aarch64-linux-gnu-gcc", "qemu-aarch64-static", "riscv64-linux-gnu-gcc",
                   "qemu-riscv64-static", "chromium");
  ScratchDir scratch;
  fs::path project = copy_example("hello", scratch / "hello");
  scratch.write("hello/xbuild.toml", kConfig);
  fs::path page = scratch / "reports/report.html", markdown = scratch / "reports/report.md";
  fs::path summary = scratch.write("summary.md", "## an earlier step's summary\n");
  fs::create_directories(scratch / "reports");
  CommandResult result =
      xbuild({"run", "-k", "-j", "2", "--report-html", page.string(), "--report-markdown", markdown.string()}, project,
             {{"GITHUB_STEP_SUMMARY", summary.string()}});
  ASSERT_EQ(result.exit_code, 1) << result.err;

  Rendered rendered = render_in_chromium(page, scratch, 1280, 1600);
  ASSERT_EQ(rendered.chromium.exit_code, 0) << rendered.chromium.err;
  const std::string& dom = rendered.dom;
  EXPECT_EQ(cell_states(dom), (std::map<std::string, std::string>{
                                  {"linux/amd64 build", "ok"},
                                  {"linux/amd64 test", "ok"},
                                  {"linux/amd64 package", "ok"},
                                  {"linux/arm64 build", "ok"},
                                  {"linux/arm64 test", "failed"},
                                  {"linux/arm64 package", "skipped"},
                                  {"linux/riscv64 build", "ok"},
                                  {"linux/riscv64 test", "ok"},
                                  {"linux/riscv64 package", "ok"},
                              }))
      << dom;
  EXPECT_NE(dom.find("<span class=\"outcome s-failed\" data-outcome=\"failed\">failed</span>"), std::string::npos);
  // The 8 jobs that ran are bars of the timeline; the log's markup is text, not elements.
  EXPECT_EQ(count(dom, "<div class=\"bar "), 8u) << dom;
  EXPECT_EQ(count(dom, "<script"), 0u) << dom;
  EXPECT_EQ(count(dom, "</pre>"), 1u) << dom;
  const std::string log = (project / ".xbuild/logs/linux-arm64/test.log").string();
  EXPECT_NE(dom.find("<article class=\"failure\" data-platform=\"linux/arm64\" data-stage=\"test\" "
                     "data-state=\"failed\">\n<h3>linux/arm64 test: failed (exit status 3)</h3>\n<p "
                     "class=\"log-file\">log <code>" +
                     log +
                     "</code></p>\n<pre class=\"log\">checking &lt;script&gt;alert(1)&lt;/script&gt; &amp; "
                     "&lt;/pre&gt; more\nred\nassertion failed: 2 == 3 (test.c:8)\n</pre>"),
            std::string::npos)
      << dom;

  // What Chromium drew: the size asked for, not one colour, the failed cell's red and the ok
  // cells' green among the pixels (the page's CSS applied).
  const Png& png = rendered.screenshot;
  ASSERT_EQ(png.error, "");
  EXPECT_EQ(png.width, 1280u);
  EXPECT_EQ(png.height, 1600u);
  EXPECT_GT(std::count_if(png.pixels.begin(), png.pixels.end(),
                          [&](std::uint32_t pixel) { return pixel != png.pixels.front(); }),
            10000);
  EXPECT_GT(pixels_of(png, 0xffd7d5ff), 2000u);   // .s-failed: the cell and its timeline bar
  EXPECT_GT(pixels_of(png, 0xdafbe1ff), 20000u);  // .s-ok: seven cells and their bars

  // The Markdown: the same matrix, in a file and appended to the job summary.
  std::string text = read_file(markdown).value();
  EXPECT_EQ(
      text.rfind("### xbuild run: failed (localhost:5000/demo/hello:1.0)\n\n9 jobs: 7 ok, 1 failed, 1 skipped; ", 0),
      0u)
      << text;
  EXPECT_NE(text.find("\n| platform | strategy | build | test | package |\n| --- | --- | --- | --- | --- |\n"),
            std::string::npos)
      << text;
  std::regex arm64_row(R"(\n\| linux/arm64 \| cross \| ok [0-9.]+ s \| \*\*failed\*\* [0-9.]+ s \| skipped \|\n)");
  EXPECT_TRUE(std::regex_search(text, arm64_row)) << text;
  EXPECT_NE(text.find("- **linux/arm64 test**: failed (exit status 3), log `" + log + "`\n"), std::string::npos);
  EXPECT_EQ(read_file(summary).value(), "## an earlier step's summary\n" + text + "\n");
}

TEST(HtmlReport, AJobSummaryThatCannotBeWrittenIsAWarningOnly) {
  ScratchDir scratch;
  scratch.write("p/xbuild.toml", R"(
[project]
name = "one"

[targets]
platforms = ["linux/amd64"]

[stage.build]
run = 'true'
)");
  fs::path summary = scratch / "missing/summary.md";
  CommandResult result =
      xbuild({"run", "--progress", "plain"}, scratch / "p", {{"GITHUB_STEP_SUMMARY", summary.string()}});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.err.find("xbuild: warning: $GITHUB_STEP_SUMMARY: cannot append to " + summary.string() +
                            ": No such file or directory; the job summary lacks the matrix\n"),
            std::string::npos)
      << result.err;
  EXPECT_FALSE(fs::exists(scratch / "missing"));
}

TEST(HtmlReport, BadReportPathsAreRefusedBeforeAnythingRuns) {
  ScratchDir scratch;
  fs::path project = copy_example("hello", scratch / "hello");
  std::string before = snapshot_tree(scratch.path());
  fs::path file = scratch / "missing/report.html";
  CommandResult missing = xbuild({"run", "--report-html", file.string()}, project);
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_EQ(missing.out, "");
  EXPECT_EQ(missing.err, "xbuild: error: --report-html " + file.string() + ": the directory " +
                             (scratch / "missing").string() + " does not exist; create it first\n");
  CommandResult directory = xbuild({"run", "--report-markdown", scratch.path().string()}, project);
  EXPECT_EQ(directory.exit_code, 2);
  EXPECT_EQ(directory.err, "xbuild: error: --report-markdown \"" + scratch.path().string() +
                               "\" is not a file name: name the file to write\n");
  EXPECT_EQ(snapshot_tree(scratch.path()), before);
}

}  // namespace
}  // namespace xb::testing

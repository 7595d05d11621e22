// The --report-markdown text. Table cells and list items escape what GitHub-flavoured Markdown
// would read as markup (and '|', which ends a cell); a log excerpt goes in a fenced block whose
// fence is longer than any run of backticks in it, so no log line can end it.
#include "report/markdown_report.h"

#include <fmt/format.h>

#include "report/html_report.h"
#include "util/fs.h"

namespace xb {

namespace {

// Failed stages shown with a log excerpt; later ones are listed without (a job summary holds
// at most 1 MiB).
constexpr std::size_t kExcerpts = 5;
constexpr std::size_t kExcerptLines = 20;

// Inline text: markup characters backslash-escaped, line ends as spaces.
std::string inline_text(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n' || c == '\r') {
      out += ' ';
      continue;
    }
    if (std::string_view("\\`*_|<>[]&#~!").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

// A cell: "ok 1.2 s", "**failed** 0.3 s", "cached", "cancelled".
std::string cell(const StageReport* stage) {
  if (!stage) return "–";
  const std::string state = stage_state(*stage);
  const bool failed = stage_failed_itself(*stage);
  std::string text = failed ? "**" + state + "**" : state;
  if (state == "ok" || failed || stage->seconds > 0) text += " " + format_duration(stage->seconds);
  return text;
}

std::string fenced(const std::string& text) {
  std::size_t longest = 0, run = 0;
  for (char c : text) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  const std::string fence(std::max<std::size_t>(3, longest + 1), '`');
  return fence + "text\n" + text + fence + "\n";
}

void render_matrix(std::string& out, const BuildReport& report) {
  const std::vector<std::string> stages = matrix_stages(report);
  out += "| platform | strategy |";
  for (const std::string& stage : stages) out += " " + inline_text(stage) + " |";
  out += "\n| --- | --- |";
  for (std::size_t index = 0; index < stages.size(); ++index) out += " --- |";
  out += "\n";
  for (const PlatformReport& platform : report.platforms) {
    out += "| " + inline_text(platform.platform) + " | " + inline_text(platform.strategy) + " |";
    for (const std::string& name : stages) {
      const StageReport* found = nullptr;
      for (const StageReport& stage : platform.stages)
        if (stage.stage == name) found = &stage;
      out += " " + cell(found) + " |";
    }
    out += "\n";
  }
}

void render_images(std::string& out, const BuildReport& report) {
  bool any = !report.index_digest.empty();
  for (const PlatformReport& platform : report.platforms) any = any || !platform.manifest_digest.empty();
  if (!any) return;
  out += "\n| platform | manifest digest | size |\n| --- | --- | --- |\n";
  for (const PlatformReport& platform : report.platforms)
    if (!platform.manifest_digest.empty())
      out += fmt::format("| {} | `{}` | {} bytes |\n", inline_text(platform.platform), platform.manifest_digest,
                         platform.manifest_size);
  if (!report.index_digest.empty())
    out += fmt::format("| index | `{}` | {} bytes |\n", report.index_digest, report.index_size);
}

void render_failures(std::string& out, const BuildReport& report) {
  std::string failures, stopped;
  std::size_t excerpts = 0;
  for (const PlatformReport& platform : report.platforms)
    for (const StageReport& stage : platform.stages) {
      const std::string state = stage_state(stage);
      const std::string line =
          fmt::format("- **{} {}**: {}{}", inline_text(platform.platform), inline_text(stage.stage), state,
                      stage.detail.empty() ? "" : " (" + inline_text(stage.detail) + ")");
      if (state == "cancelled" || state == "skipped") stopped += line + "\n";
      if (!stage_failed_itself(stage)) continue;
      failures += line;
      if (!stage.log_file.empty()) failures += ", log `" + stage.log_file.string() + "`";
      failures += "\n";
      if (stage.log_file.empty() || excerpts >= kExcerpts) continue;
      Result<std::string> log = read_file(stage.log_file);
      if (!log || log.value().empty()) continue;
      ++excerpts;
      failures += fmt::format("\n<details><summary>the log's last lines</summary>\n\n{}\n</details>\n\n",
                              fenced(plain_log_text(head_tail_excerpt(log.value(), 0, kExcerptLines))));
    }
  if (!failures.empty()) out += "\n#### Failures\n\n" + failures;
  if (!stopped.empty()) out += "\n#### Cancelled and skipped\n\n" + stopped;
}

}  // namespace

std::string render_markdown_report(const BuildReport& report) {
  std::string out = fmt::format("### xbuild run: {}{}\n\n", run_outcome(report),
                                report.image_name.empty() ? "" : " (" + inline_text(report.image_name) + ")");
  if (report.platforms.empty()) return out + "No platform was planned.\n";
  out += fmt::format("{}; wall time {}.\n\n", describe_job_counts(report), format_duration(report.wall_seconds));
  render_matrix(out, report);
  render_images(out, report);
  render_failures(out, report);
  return out;
}

}  // namespace xb

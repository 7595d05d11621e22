// The --report-html page. Everything it shows comes from the BuildReport, except the failed
// stages' logs, read here. All text from outside (names, details, logs) goes through escape(),
// which also drops the terminal's colour sequences from logs; the page holds no script and its
// Content-Security-Policy forbids loading anything, so it renders the same offline, from a CI
// artifact, as on the machine that wrote it.
//
// The timeline puts each job that ran on a slot: jobs sorted by start, each on the first slot
// free when it starts (interval partitioning), so the slots are the concurrency the run had.
#include "report/html_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <ctime>

#include "firmware/size_budget.h"
#include "report/log_excerpt.h"
#include "util/fs.h"

namespace xb {

namespace {

// Text for an HTML element or a quoted attribute: XML's escaping (control characters and bytes
// that are not UTF-8 as U+FFFD), and the apostrophe too, so any quoting of an attribute is safe.
std::string escape(std::string_view text) {
  std::string out;
  for (char c : xml_text(text)) {
    if (c == '\'')
      out += "&#39;";
    else
      out += c;
  }
  return out;
}

// "timed out" -> "timed-out": the CSS class of a state.
std::string state_class(const std::string& state) {
  std::string name = state;
  std::replace(name.begin(), name.end(), ' ', '-');
  return "s-" + name;
}

const char* const kStates[] = {"ok", "cached", "failed", "timed out", "cancelled", "skipped"};

const char* const kStyle = R"(
:root { font-family: system-ui, sans-serif; color: #1d2127; background: #fff; }
body { margin: 1.5em; }
h1 { font-size: 1.5em; margin: 0 0 .3em; }
h2 { font-size: 1.2em; margin: 1.6em 0 .5em; border-bottom: 1px solid #d0d7de; }
code, pre { font-family: ui-monospace, monospace; font-size: .9em; }
.facts { color: #444; margin: .2em 0; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; }
th, td { border: 1px solid #d0d7de; padding: .3em .6em; text-align: left; vertical-align: top; }
thead th { background: #f3f4f6; }
td.cell { min-width: 6em; }
.cell .state { font-weight: 600; display: block; }
.cell .time, .cell .detail, .cell .mark { font-size: .8em; display: block; }
.outcome { padding: .05em .4em; border-radius: .3em; }
.s-ok { background: #dafbe1; }
.s-cached { background: #ddf4ff; }
.s-failed { background: #ffd7d5; }
.s-timed-out { background: #ffc8a8; }
.s-cancelled { background: #eaeef2; color: #57606a; }
.s-skipped { background: repeating-linear-gradient(45deg, #f6f8fa, #f6f8fa 6px, #eaeef2 6px, #eaeef2 12px); color: #57606a; }
.s-none { background: #fff; color: #8c959f; }
.legend span { display: inline-block; padding: .1em .5em; margin-right: .4em; border: 1px solid #d0d7de; }
.timeline { position: relative; }
.axis, .track { position: relative; margin-left: 5em; }
.axis { height: 1.3em; font-size: .75em; color: #57606a; }
.axis span { position: absolute; transform: translateX(-50%); }
.axis span.first { transform: none; }
.axis span.last { transform: translateX(-100%); }
.lane { display: flex; align-items: center; height: 1.6em; border-top: 1px dotted #d0d7de; }
.lane-name { width: 5em; flex: none; font-size: .8em; color: #57606a; }
.lane .track { margin-left: 0; flex: 1; height: 1.3em; }
.bar { position: absolute; top: 0; height: 100%; min-width: 2px; box-sizing: border-box;
  border: 1px solid #8c959f; overflow: hidden; white-space: nowrap; font-size: .75em; line-height: 1.6em; }
.failure { border: 1px solid #d0d7de; border-left: 4px solid #cf222e; padding: .2em 1em; margin: 1em 0; }
.failure h3 { margin: .4em 0; font-size: 1em; }
pre.log { background: #f6f8fa; padding: .6em; overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
)";

std::string utc_time(std::chrono::system_clock::time_point when) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(when);
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &utc);
  return text;
}

void render_header(std::string& out, const BuildReport& report) {
  const std::string result = run_outcome(report);
  out += fmt::format("<header>\n<h1>xbuild run <span class=\"outcome {}\" data-outcome=\"{}\">{}</span></h1>\n",
                     state_class(result == "failed" ? "failed" : "ok"), result, result);
  out += "<p class=\"facts\">";
  if (report.started_at.time_since_epoch().count() != 0) out += "started " + utc_time(report.started_at) + " · ";
  out +=
      fmt::format("wall time {} · {}</p>\n", format_duration(report.wall_seconds), escape(describe_job_counts(report)));
  if (!report.image_name.empty())
    out += "<p class=\"facts\">image <code>" + escape(report.image_name) + "</code></p>\n";
  out += "</header>\n";
}

const StageReport* find_stage(const PlatformReport& platform, const std::string& name) {
  for (const StageReport& stage : platform.stages)
    if (stage.stage == name) return &stage;
  return nullptr;
}

void render_cell(std::string& out, const PlatformReport& platform, const std::string& name) {
  const StageReport* stage = find_stage(platform, name);
  if (!stage) {
    out += fmt::format(
        "<td class=\"cell s-none\" data-platform=\"{}\" data-stage=\"{}\" data-state=\"none\">"
        "<span class=\"state\">–</span></td>",
        escape(platform.platform), escape(name));
    return;
  }
  const std::string state = stage_state(*stage);
  const bool cached = state == "cached";
  out += fmt::format("<td class=\"cell {}\" data-platform=\"{}\" data-stage=\"{}\" data-state=\"{}\"{}",
                     state_class(state), escape(platform.platform), escape(name), state,
                     cached ? " data-cached=\"true\"" : "");
  if (!stage->detail.empty()) out += " title=\"" + escape(stage->detail) + "\"";
  out += "><span class=\"state\">" + state + "</span>";
  if (cached)
    out += "<span class=\"mark\">↺ from the cache</span>";
  else if (stage->seconds > 0 || state == "ok" || state == "failed" || state == "timed out")
    out += "<span class=\"time\">" + format_duration(stage->seconds) + "</span>";
  if (!stage->detail.empty()) out += "<span class=\"detail\">" + escape(stage->detail) + "</span>";
  out += "</td>";
}

void render_matrix(std::string& out, const BuildReport& report) {
  out += "<section id=\"matrix\">\n<h2>Platforms × stages</h2>\n";
  if (report.platforms.empty()) {
    out += "<p class=\"empty\">No platform was planned.</p>\n</section>\n";
    return;
  }
  const std::vector<std::string> stages = matrix_stages(report);
  out += "<div class=\"scroll\"><table class=\"matrix\">\n<thead><tr><th>platform</th><th>strategy</th>";
  for (const std::string& stage : stages) out += "<th data-stage=\"" + escape(stage) + "\">" + escape(stage) + "</th>";
  out += "</tr></thead>\n<tbody>\n";
  for (const PlatformReport& platform : report.platforms) {
    out += fmt::format("<tr data-platform=\"{}\"><th scope=\"row\">{}</th><td>{}</td>", escape(platform.platform),
                       escape(platform.platform), escape(platform.strategy));
    for (const std::string& stage : stages) render_cell(out, platform, stage);
    out += "</tr>\n";
  }
  out += "</tbody></table></div>\n<p class=\"legend\">";
  for (const char* state : kStates) out += fmt::format("<span class=\"{}\">{}</span>", state_class(state), state);
  out += "</p>\n</section>\n";
}

struct Bar {
  const PlatformReport* platform;
  const StageReport* stage;
  std::string state;
};

// A job that started: not from the cache, not skipped, not cancelled before it began.
bool ran(const StageReport& stage, const std::string& state) {
  if (state == "cached" || state == "skipped") return false;
  return state != "cancelled" || stage.seconds > 0 || stage.start_offset > 0;
}

void render_timeline(std::string& out, const BuildReport& report) {
  out += "<section id=\"timeline\">\n<h2>Timeline</h2>\n";
  std::vector<Bar> bars;
  std::size_t left_out = 0;
  double span = report.wall_seconds;
  for (const PlatformReport& platform : report.platforms)
    for (const StageReport& stage : platform.stages) {
      std::string state = stage_state(stage);
      if (!ran(stage, state)) {
        ++left_out;
        continue;
      }
      span = std::max(span, stage.start_offset + stage.seconds);
      bars.push_back({&platform, &stage, std::move(state)});
    }
  if (bars.empty()) {
    out += "<p class=\"empty\">No stage ran.</p>\n</section>\n";
    return;
  }
  if (span <= 0) span = 1;
  std::stable_sort(bars.begin(), bars.end(),
                   [](const Bar& a, const Bar& b) { return a.stage->start_offset < b.stage->start_offset; });
  std::vector<double> slot_ends;        // when each slot's last job ended
  std::vector<std::vector<Bar>> slots;  // the jobs of each slot
  for (const Bar& bar : bars) {
    std::size_t slot = 0;
    while (slot < slot_ends.size() && slot_ends[slot] > bar.stage->start_offset + 1e-6) ++slot;
    if (slot == slots.size()) {
      slots.emplace_back();
      slot_ends.push_back(0);
    }
    slots[slot].push_back(bar);
    slot_ends[slot] = bar.stage->start_offset + bar.stage->seconds;
  }
  out +=
      fmt::format("<div class=\"timeline\" data-wall-seconds=\"{:.3f}\">\n<div class=\"axis\">", report.wall_seconds);
  for (int tick = 0; tick <= 4; ++tick)
    out += fmt::format("<span class=\"{}\" style=\"left:{}%\">{}</span>",
                       tick == 0   ? "first"
                       : tick == 4 ? "last"
                                   : "",
                       tick * 25, format_duration(span * tick / 4));
  out += "</div>\n";
  for (std::size_t slot = 0; slot < slots.size(); ++slot) {
    out += fmt::format(
        "<div class=\"lane\" data-slot=\"{}\"><span class=\"lane-name\">slot {}</span><div class=\"track\">", slot + 1,
        slot + 1);
    for (const Bar& bar : slots[slot]) {
      const std::string label = bar.platform->platform + " " + bar.stage->stage;
      const double start = bar.stage->start_offset, seconds = bar.stage->seconds;
      out += fmt::format(
          "<div class=\"bar {}\" data-platform=\"{}\" data-stage=\"{}\" data-state=\"{}\" data-start=\"{:.3f}\" "
          "data-seconds=\"{:.3f}\" style=\"left:{:.3f}%;width:{:.3f}%\" title=\"{}: {}, {} to {}\">{}</div>",
          state_class(bar.state), escape(bar.platform->platform), escape(bar.stage->stage), bar.state, start, seconds,
          100 * start / span, 100 * seconds / span, escape(label), bar.state, format_duration(start),
          format_duration(start + seconds), escape(label));
    }
    out += "</div></div>\n";
  }
  out += "</div>\n";
  if (left_out)
    out += fmt::format(
        "<p class=\"note\">{} stage{} did not run here (from the cache, skipped or cancelled before "
        "starting).</p>\n",
        left_out, left_out == 1 ? "" : "s");
  out += "</section>\n";
}

void render_images(std::string& out, const BuildReport& report) {
  const bool firmware = std::any_of(report.platforms.begin(), report.platforms.end(),
                                    [](const PlatformReport& platform) { return platform.firmware_size.has_value(); });
  const bool ccache = std::any_of(report.platforms.begin(), report.platforms.end(),
                                  [](const PlatformReport& platform) { return platform.ccache.has_value(); });
  out += "<section id=\"images\">\n<h2>Images and sizes</h2>\n";
  if (report.platforms.empty()) {
    out += "<p class=\"empty\">No platform was planned.</p>\n</section>\n";
    return;
  }
  out +=
      "<div class=\"scroll\"><table class=\"images\">\n<thead><tr><th>platform</th><th>manifest digest</th>"
      "<th>manifest size</th>";
  if (firmware) out += "<th>text</th><th>data</th><th>bss</th><th>flash</th><th>ram</th>";
  if (ccache) out += "<th>ccache</th>";
  out += "</tr></thead>\n<tbody>\n";
  for (const PlatformReport& platform : report.platforms) {
    out += fmt::format("<tr data-platform=\"{}\"><th scope=\"row\">{}</th>", escape(platform.platform),
                       escape(platform.platform));
    if (platform.manifest_digest.empty())
      out += "<td class=\"none\">none written</td><td></td>";
    else
      out += fmt::format("<td><code data-digest=\"manifest\">{}</code></td><td data-bytes=\"{}\">{} bytes</td>",
                         escape(platform.manifest_digest), platform.manifest_size, platform.manifest_size);
    if (firmware) {
      if (const std::optional<firmware::Sizes>& sizes = platform.firmware_size)
        for (std::uint64_t bytes : {sizes->text, sizes->data, sizes->bss, sizes->flash(), sizes->ram()})
          out += fmt::format("<td data-bytes=\"{}\">{}</td>", bytes, firmware::format_bytes(bytes));
      else
        out += "<td></td><td></td><td></td><td></td><td></td>";
    }
    if (ccache) out += "<td>" + (platform.ccache ? escape(describe_ccache_counts(*platform.ccache)) : "") + "</td>";
    out += "</tr>\n";
  }
  out += "</tbody></table></div>\n";
  if (!report.index_digest.empty())
    out += fmt::format("<p>index <code data-digest=\"index\">{}</code> ({} bytes)</p>\n", escape(report.index_digest),
                       report.index_size);
  out += "</section>\n";
}

void render_failure(std::string& out, const PlatformReport& platform, const StageReport& stage) {
  const std::string state = stage_state(stage);
  out += fmt::format("<article class=\"failure\" data-platform=\"{}\" data-stage=\"{}\" data-state=\"{}\">\n",
                     escape(platform.platform), escape(stage.stage), state);
  out += fmt::format("<h3>{} {}: {}{}</h3>\n", escape(platform.platform), escape(stage.stage), state,
                     stage.detail.empty() ? "" : " (" + escape(stage.detail) + ")");
  std::string tests;
  for (const firmware::TestCase& test : stage.tests) {
    if (test.status != firmware::TestStatus::failed && test.status != firmware::TestStatus::unfinished) continue;
    std::string where = test.file.empty() ? "" : fmt::format(" ({}:{})", test.file, test.line);
    tests += "<li>" + escape(test.name) + ": " +
             escape(test.status == firmware::TestStatus::unfinished ? "did not finish" : test.message) + escape(where) +
             "</li>\n";
  }
  if (!tests.empty()) out += "<ul class=\"tests\">\n" + tests + "</ul>\n";
  if (stage.log_file.empty()) {
    out += "</article>\n";
    return;
  }
  out += "<p class=\"log-file\">log <code>" + escape(stage.log_file.string()) + "</code></p>\n";
  Result<std::string> log = read_file(stage.log_file);
  if (!log)
    out += "<p class=\"empty\">The log could not be read.</p>\n";
  else if (log.value().empty())
    out += "<p class=\"empty\">The log is empty.</p>\n";
  else
    out += "<pre class=\"log\">" + escape(plain_log_text(head_tail_excerpt(log.value(), 40, 80))) + "</pre>\n";
  out += "</article>\n";
}

void render_failures(std::string& out, const BuildReport& report) {
  out += "<section id=\"failures\">\n<h2>Failures</h2>\n";
  std::size_t count = 0;
  for (const PlatformReport& platform : report.platforms)
    for (const StageReport& stage : platform.stages)
      if (stage_failed_itself(stage)) {
        render_failure(out, platform, stage);
        ++count;
      }
  if (!count) out += "<p class=\"empty\">No stage failed.</p>\n";
  out += "</section>\n";
}

}  // namespace

std::string stage_state(const StageReport& stage) { return stage.result == "not run" ? "skipped" : stage.result; }

bool stage_failed_itself(const StageReport& stage) { return stage.result == "failed" || stage.result == "timed out"; }

std::vector<std::string> matrix_stages(const BuildReport& report) {
  std::vector<std::string> stages;
  for (const PlatformReport& platform : report.platforms)
    for (const StageReport& stage : platform.stages)
      if (std::find(stages.begin(), stages.end(), stage.stage) == stages.end()) stages.push_back(stage.stage);
  return stages;
}

std::string head_tail_excerpt(std::string_view log, std::size_t head, std::size_t tail) {
  std::vector<std::string_view> lines;
  for (std::size_t start = 0; start < log.size();) {
    std::size_t end = log.find('\n', start);
    if (end == std::string_view::npos) end = log.size();
    lines.push_back(log.substr(start, end - start));
    start = end + 1;
  }
  std::string out;
  if (lines.size() <= head + tail + 1) {
    for (std::string_view line : lines) out.append(line).push_back('\n');
    return out;
  }
  for (std::size_t index = 0; index < head; ++index) out.append(lines[index]).push_back('\n');
  out += fmt::format("... {} lines left out ...\n", lines.size() - head - tail);
  for (std::size_t index = lines.size() - tail; index < lines.size(); ++index) out.append(lines[index]).push_back('\n');
  return out;
}

std::string run_outcome(const BuildReport& report) {
  for (const PlatformReport& platform : report.platforms)
    for (const StageReport& stage : platform.stages)
      if (std::string state = stage_state(stage); state == "failed" || state == "timed out" || state == "cancelled")
        return "failed";
  return "succeeded";
}

std::string describe_job_counts(const BuildReport& report) {
  std::size_t total = 0;
  std::string counts;
  for (const char* state : kStates) {
    std::size_t count = 0;
    for (const PlatformReport& platform : report.platforms)
      for (const StageReport& stage : platform.stages) count += stage_state(stage) == state ? 1 : 0;
    total += count;
    if (count) counts += fmt::format("{}{} {}", counts.empty() ? "" : ", ", count, state);
  }
  return fmt::format("{} job{}{}{}", total, total == 1 ? "" : "s", counts.empty() ? "" : ": ", counts);
}

std::string plain_log_text(std::string_view log) {
  std::string out;
  out.reserve(log.size());
  for (std::size_t index = 0; index < log.size(); ++index) {
    const char c = log[index];
    if (c == '\x1b' && index + 1 < log.size() && log[index + 1] == '[') {
      // CSI: parameters and intermediates, up to the final byte (0x40-0x7e), all dropped.
      index += 2;
      while (index < log.size() &&
             (static_cast<unsigned char>(log[index]) < 0x40 || static_cast<unsigned char>(log[index]) > 0x7e))
        ++index;
      continue;
    }
    if ((static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' && c != '\r') || c == '\x7f')
      out += "\xef\xbf\xbd";
    else
      out += c;
  }
  return out;
}

std::string format_duration(double seconds) {
  if (seconds < 60) return fmt::format("{:.1f} s", seconds);
  const long long whole = std::llround(seconds);
  if (whole < 3600) return fmt::format("{} min {} s", whole / 60, whole % 60);
  return fmt::format("{} h {} min", whole / 3600, whole % 3600 / 60);
}

std::string render_html_report(const BuildReport& report) {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"generator\" "
      "content=\"xbuild\">\n";
  out += fmt::format("<title>xbuild run: {}{}</title>\n", run_outcome(report),
                     report.image_name.empty() ? "" : " · " + escape(report.image_name));
  out += std::string("<style>") + kStyle + "</style>\n</head>\n<body>\n";
  render_header(out, report);
  render_matrix(out, report);
  render_timeline(out, report);
  render_images(out, report);
  render_failures(out, report);
  out += "</body>\n</html>\n";
  return out;
}

}  // namespace xb

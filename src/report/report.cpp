#include "report/report.h"

#include <fmt/format.h>

#include <algorithm>

#include "report/log_excerpt.h"
#include "util/fs.h"
#include "util/strings.h"

namespace xb {

namespace {

// Whether the summary shows how long a stage took: it ran, and its time says something.
bool timed(const StageReport& stage) {
  return stage.result == "ok" || stage.result == "failed" || stage.result == "timed out" ||
         (stage.result == "cancelled" && stage.seconds > 0);
}

}  // namespace

std::string render_summary(const BuildReport& report) {
  std::vector<std::vector<std::string>> rows;
  const bool ccache = std::any_of(report.platforms.begin(), report.platforms.end(),
                                  [](const PlatformReport& platform) { return platform.ccache.has_value(); });
  rows.push_back({"PLATFORM", "STRATEGY", "STAGES"});
  if (ccache) rows.back().push_back("CCACHE");
  std::string details;
  for (const PlatformReport& platform : report.platforms) {
    std::vector<std::string> stages;
    for (const StageReport& stage : platform.stages) {
      stages.push_back(timed(stage) ? fmt::format("{} {} {:.1f}s", stage.stage, stage.result, stage.seconds)
                                    : fmt::format("{} {}", stage.stage, stage.result));
      if (stage.result != "ok" && stage.result != "cached" && !stage.detail.empty())
        details += fmt::format("{} {} {}: {}\n", platform.platform, stage.stage, stage.result, stage.detail);
    }
    std::string joined;
    for (const std::string& stage : stages) joined += (joined.empty() ? "" : ", ") + stage;
    rows.push_back({platform.platform, platform.strategy, joined});
    if (ccache) rows.back().push_back(platform.ccache ? describe_ccache_counts(*platform.ccache) : std::string("-"));
  }
  return render_columns(rows) + details;
}

std::string render_summary_event(const BuildReport& report, std::string_view result) {
  std::string jobs;
  for (const PlatformReport& platform : report.platforms)
    for (const StageReport& stage : platform.stages)
      jobs += fmt::format("{}{{\"platform\":{},\"stage\":{},\"state\":{},\"seconds\":{:.3f},\"detail\":{}}}",
                          jobs.empty() ? "" : ",", json_quote(platform.platform), json_quote(stage.stage),
                          json_quote(stage.result), stage.seconds, json_quote(stage.detail));
  return fmt::format(
      "{{\"event\":\"summary\",\"result\":{},\"wall_seconds\":{:.3f},\"jobs\":[{}],\"index_digest\":{}}}",
      json_quote(result), report.wall_seconds, jobs,
      report.index_digest.empty() ? std::string("null") : json_quote(report.index_digest));
}

std::string numbered_excerpt(std::string_view log, std::size_t tail_lines, std::size_t first_errors) {
  std::vector<std::string> lines = split(log, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  std::size_t first = lines.size() > tail_lines ? lines.size() - tail_lines : 0;
  std::string out;
  std::size_t shown = 0;
  for (std::size_t index = 0; index < first && shown < first_errors; ++index)
    if (looks_like_error(lines[index])) {
      out += fmt::format("{:>6} | {}\n", index + 1, lines[index]);
      ++shown;
    }
  if (first > 0)
    out += fmt::format("{:>6} | ... ({} lines before the last {} not shown)\n", "", first, lines.size() - first);
  for (std::size_t index = first; index < lines.size(); ++index)
    out += fmt::format("{:>6} | {}\n", index + 1, lines[index]);
  return out;
}

std::string render_failure_output(const BuildReport& report, std::size_t tail_lines) {
  std::string out;
  for (const PlatformReport& platform : report.platforms)
    for (const StageReport& stage : platform.stages) {
      if (stage.result != "failed" && stage.result != "timed out") continue;
      if (stage.log_file.empty()) continue;
      Result<std::string> log = read_file(stage.log_file);
      if (!log) continue;
      std::string what = stage.result == "timed out" && !stage.detail.empty() ? stage.detail
                         : stage.detail.empty()                               ? stage.result
                                                : stage.result + " (" + stage.detail + ")";
      out += fmt::format("xbuild: {} {} {}; its output ({}):\n", platform.platform, stage.stage, what,
                         stage.log_file.string());
      std::string excerpt = numbered_excerpt(log.value(), tail_lines);
      out += excerpt.empty() ? "       | (no output)\n" : excerpt;
    }
  return out;
}

std::string render_metadata(const BuildReport& report) {
  std::string out = "{\n";
  if (!report.index_digest.empty()) {
    out += fmt::format(
        "  \"containerimage.descriptor\": {{\n    \"mediaType\": {},\n    \"digest\": {},\n"
        "    \"size\": {}\n  }},\n",
        json_quote("application/vnd.oci.image.index.v1+json"), json_quote(report.index_digest), report.index_size);
    out += fmt::format("  \"containerimage.digest\": {},\n", json_quote(report.index_digest));
  }
  if (!report.image_name.empty()) out += fmt::format("  \"image.name\": {},\n", json_quote(report.image_name));
  out += "  \"platforms\": {";
  for (std::size_t index = 0; index < report.platforms.size(); ++index) {
    const PlatformReport& platform = report.platforms[index];
    out += fmt::format("{}\n    {}: {{\n", index ? "," : "", json_quote(platform.platform));
    if (!platform.manifest_digest.empty())
      out += fmt::format("      \"containerimage.digest\": {},\n", json_quote(platform.manifest_digest));
    if (platform.firmware_size)
      out += fmt::format("      \"firmware.size\": {{\"text\": {}, \"data\": {}, \"bss\": {}}},\n",
                         platform.firmware_size->text, platform.firmware_size->data, platform.firmware_size->bss);
    if (platform.ccache)
      out += fmt::format("      \"ccache\": {{\"hits\": {}, \"misses\": {}, \"remote_hits\": {}}},\n",
                         platform.ccache->hits(), platform.ccache->misses, platform.ccache->remote_hits);
    out += fmt::format("      \"strategy\": {},\n      \"stages\": {{", json_quote(platform.strategy));
    for (std::size_t stage = 0; stage < platform.stages.size(); ++stage)
      out += fmt::format("{}\n        {}: {}", stage ? "," : "", json_quote(platform.stages[stage].stage),
                         json_quote(platform.stages[stage].result));
    out += platform.stages.empty() ? "}" : "\n      }";
    std::string details;
    for (const StageReport& stage : platform.stages)
      if (stage.result != "ok" && stage.result != "cached" && !stage.detail.empty())
        details += fmt::format("{}\n        {}: {}", details.empty() ? "" : ",", json_quote(stage.stage),
                               json_quote(stage.detail));
    if (!details.empty()) out += ",\n      \"details\": {" + details + "\n      }";
    std::string durations;
    for (const StageReport& stage : platform.stages)
      if (timed(stage) || stage.result == "cached")
        durations += fmt::format("{}\n        {}: {:.3f}", durations.empty() ? "" : ",", json_quote(stage.stage),
                                 stage.result == "cached" ? stage.restore_seconds : stage.seconds);
    if (!durations.empty()) out += ",\n      \"durations\": {" + durations + "\n      }";
    out += "\n    }";
  }
  out += report.platforms.empty() ? "}\n}\n" : "\n  }\n}\n";
  return out;
}

std::string read_tail(const std::filesystem::path& file, std::size_t count) {
  Result<std::string> text = read_file(file);
  if (!text) return "";
  std::vector<std::string> lines = split(text.value(), '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  std::size_t first = lines.size() > count ? lines.size() - count : 0;
  std::string tail;
  for (std::size_t index = first; index < lines.size(); ++index) tail += lines[index] + "\n";
  return tail;
}

namespace {

bool junit_failure(const StageReport& stage) { return stage.result == "failed" || stage.result == "timed out"; }

bool junit_skipped(const StageReport& stage) {
  return stage.result == "cancelled" || stage.result == "skipped" || stage.result == "not run";
}

// Whether the stage's log file is this run's: a stage that never started may find the last
// run's there.
bool has_log(const StageReport& stage) {
  if (stage.log_file.empty()) return false;
  if (junit_skipped(stage)) return stage.result == "cancelled" && stage.seconds > 0;  // stopped while it ran
  return true;
}

// "cancelled because linux/arm64 build failed", "skipped: no aarch64-linux-gnu-gcc on this machine".
std::string skip_message(const StageReport& stage) {
  if (stage.detail.empty()) return stage.result;
  return stage.result + (stage.detail.rfind("because ", 0) == 0 ? " " : ": ") + stage.detail;
}

// One <testcase> to be written: a stage, a test its log reported, or a test of a report.
struct JunitCase {
  std::string classname;
  std::string name;
  std::string file;
  double seconds = -1;  // -1: not known, no time attribute
  enum { ok, failure, skipped } outcome = ok;
  std::string type;     // of a failure: "failed", "timed out"
  std::string message;  // failure or skip message
  std::string body;     // failure text
  std::string output;   // <system-out>
  bool cached = false;
};

struct StageLog {
  std::string text;
  bool read = false;
};

// The stage's log, read once however many cases want it.
const std::string& log_of(const StageReport& stage, StageLog& log) {
  if (!log.read && has_log(stage))
    if (Result<std::string> text = read_file(stage.log_file)) log.text = std::move(text).value();
  log.read = true;
  return log.text;
}

JunitCase stage_case(const std::string& platform, const StageReport& stage, StageLog& log,
                     const JunitOptions& options) {
  JunitCase out;
  out.classname = platform;
  out.name = stage.stage;
  out.seconds = stage.seconds;
  out.cached = stage.result == "cached";
  if (junit_failure(stage)) {
    out.outcome = JunitCase::failure;
    out.type = stage.result;
    out.message = stage.result + (stage.detail.empty() ? "" : " (" + stage.detail + ")");
    out.body = error_context(log_of(stage, log), options.context_lines);
  } else if (junit_skipped(stage)) {
    out.outcome = JunitCase::skipped;
    out.message = skip_message(stage);
  }
  return out;
}

// The stage's tests as cases, then the stage's own case when it failed and no test did.
void add_test_cases(std::vector<JunitCase>& cases, const std::string& platform, const StageReport& stage, StageLog& log,
                    const JunitOptions& options) {
  using firmware::TestStatus;
  const std::string classname = platform + "." + stage.stage;
  bool explained = false;
  for (const firmware::TestCase& test : stage.tests) {
    JunitCase out;
    out.classname = classname;
    out.name = test.name;
    out.file = test.file;
    out.seconds = test.seconds;
    out.cached = stage.result == "cached";
    const std::string where = test.file.empty() ? "" : test.file + ":" + std::to_string(test.line);
    if (test.status == TestStatus::failed) {
      out.outcome = JunitCase::failure;
      out.type = "failed";
      out.message = test.message.empty() ? "failed" : test.message.substr(0, test.message.find('\n'));
      out.body = where.empty() ? test.message : where + (test.message.empty() ? "" : ": " + test.message);
      explained = true;
    } else if (test.status == TestStatus::unfinished) {
      out.outcome = JunitCase::failure;
      out.type = "did not finish";
      out.message = "did not finish: " + stage_case(platform, stage, log, options).message;
      out.body = error_context(log_of(stage, log), options.context_lines);
      explained = true;
    } else if (test.status == TestStatus::skipped) {
      out.outcome = JunitCase::skipped;
      out.message = test.message;
    }
    cases.push_back(std::move(out));
  }
  if ((junit_failure(stage) || junit_skipped(stage)) && !explained)
    cases.push_back(stage_case(platform, stage, log, options));
}

// The stage's log goes to its own case, else to its first failed test, else to its last test.
void attach_log(std::vector<JunitCase>& cases, std::size_t first, const std::string& platform, const StageReport& stage,
                StageLog& log, const JunitOptions& options) {
  if (first == cases.size() || !has_log(stage)) return;
  auto own = [&](const JunitCase& test) { return test.classname == platform && test.name == stage.stage; };
  auto failure = [](const JunitCase& test) { return test.outcome == JunitCase::failure; };
  auto begin = cases.begin() + static_cast<std::ptrdiff_t>(first);
  auto chosen = std::find_if(begin, cases.end(), own);
  if (chosen == cases.end()) chosen = std::find_if(begin, cases.end(), failure);
  if (chosen == cases.end()) chosen = cases.end() - 1;
  chosen->output = log_excerpt(log_of(stage, log), {options.max_output_lines, options.max_output_bytes});
}

void add_reported_tests(std::vector<JunitCase>& cases, const std::string& platform, const StageReport& stage,
                        const JunitOptions& options) {
  for (const ReportedTest& test : stage.reported) {
    JunitCase out;
    out.classname = platform + "." + test.classname;
    out.name = test.name;
    out.file = test.file;
    out.seconds = test.seconds;
    out.cached = stage.result == "cached";
    out.message = test.message;
    if (test.outcome == ReportedTest::Outcome::failed) {
      // ctest and Meson write an empty <failure/>: the test's output says what failed.
      out.outcome = JunitCase::failure;
      out.type = "failed";
      if (out.message.empty()) out.message = "failed";
      out.body = test.body.empty() ? error_context(test.output, options.context_lines)
                                   : log_excerpt(test.body, {options.max_output_lines, options.max_output_bytes});
    } else if (test.outcome == ReportedTest::Outcome::skipped) {
      out.outcome = JunitCase::skipped;
    }
    if (!test.output.empty())
      out.output = log_excerpt(test.output, {options.max_output_lines, options.max_output_bytes});
    cases.push_back(std::move(out));
  }
}

std::string render_case(const JunitCase& test) {
  std::string out =
      fmt::format("    <testcase classname=\"{}\" name=\"{}\"", xml_text(test.classname), xml_text(test.name));
  if (!test.file.empty()) out += fmt::format(" file=\"{}\"", xml_text(test.file));
  if (test.seconds >= 0) out += fmt::format(" time=\"{:.3f}\"", test.seconds);
  std::string inner;
  if (test.cached)
    inner += "      <properties>\n        <property name=\"cached\" value=\"true\"/>\n      </properties>\n";
  switch (test.outcome) {
    case JunitCase::failure:
      inner += fmt::format("      <failure message=\"{}\" type=\"{}\">{}</failure>\n", xml_text(test.message),
                           xml_text(test.type), xml_text(test.body));
      break;
    case JunitCase::skipped:
      inner += test.message.empty() ? std::string("      <skipped/>\n")
                                    : fmt::format("      <skipped message=\"{}\"/>\n", xml_text(test.message));
      break;
    case JunitCase::ok:
      break;
  }
  if (!test.output.empty()) inner += fmt::format("      <system-out>{}</system-out>\n", xml_text(test.output));
  if (inner.empty()) return out + "/>\n";
  return out + ">\n" + inner + "    </testcase>\n";
}

// "2026-12-05T07:55:49.250Z": ISO 8601, UTC.
std::string iso_time(std::chrono::system_clock::time_point when) {
  using namespace std::chrono;
  const auto millis = duration_cast<milliseconds>(when.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(millis / 1000 - (millis % 1000 < 0 ? 1 : 0));
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday,
                     utc.tm_hour, utc.tm_min, utc.tm_sec, ((millis % 1000) + 1000) % 1000);
}

// When the platform's first stage started and how long from then until its last stage ended,
// over the stages that ran in this run.
std::pair<double, double> platform_span(const PlatformReport& platform) {
  double first = -1, last = 0;
  for (const StageReport& stage : platform.stages) {
    if (stage.result == "cached" || (junit_skipped(stage) && stage.seconds <= 0)) continue;
    first = first < 0 ? stage.start_offset : std::min(first, stage.start_offset);
    last = std::max(last, stage.start_offset + stage.seconds);
  }
  if (first < 0) return {0, 0};
  return {first, last - first};
}

std::chrono::system_clock::time_point after(std::chrono::system_clock::time_point start, double seconds) {
  return start +
         std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::duration<double>(seconds));
}

}  // namespace

std::string render_junit(const BuildReport& report, const JunitOptions& options) {
  std::vector<std::vector<JunitCase>> suites;
  std::size_t tests = 0, failures = 0, skipped = 0;
  for (const PlatformReport& platform : report.platforms) {
    std::vector<JunitCase>& cases = suites.emplace_back();
    for (const StageReport& stage : platform.stages) {
      StageLog log;
      std::size_t first = cases.size();
      if (stage.tests.empty())
        cases.push_back(stage_case(platform.platform, stage, log, options));
      else
        add_test_cases(cases, platform.platform, stage, log, options);
      attach_log(cases, first, platform.platform, stage, log, options);
      add_reported_tests(cases, platform.platform, stage, options);
    }
    tests += cases.size();
    for (const JunitCase& test : cases) {
      failures += test.outcome == JunitCase::failure ? 1 : 0;
      skipped += test.outcome == JunitCase::skipped ? 1 : 0;
    }
  }
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format(
      "<testsuites name=\"xbuild\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{:.3f}\" "
      "timestamp=\"{}\">\n",
      tests, failures, skipped, report.wall_seconds, iso_time(report.started_at));
  for (std::size_t index = 0; index < report.platforms.size(); ++index) {
    const PlatformReport& platform = report.platforms[index];
    const std::vector<JunitCase>& cases = suites[index];
    std::size_t suite_failures = 0, suite_skipped = 0;
    for (const JunitCase& test : cases) {
      suite_failures += test.outcome == JunitCase::failure ? 1 : 0;
      suite_skipped += test.outcome == JunitCase::skipped ? 1 : 0;
    }
    auto [start, seconds] = platform_span(platform);
    out += fmt::format(
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{:.3f}\" "
        "timestamp=\"{}\">\n",
        xml_text(platform.platform), cases.size(), suite_failures, suite_skipped, seconds,
        iso_time(after(report.started_at, start)));
    out += fmt::format("    <properties>\n      <property name=\"strategy\" value=\"{}\"/>\n    </properties>\n",
                       xml_text(platform.strategy));
    for (const JunitCase& test : cases) out += render_case(test);
    out += "  </testsuite>\n";
  }
  out += "</testsuites>\n";
  return out;
}

}  // namespace xb

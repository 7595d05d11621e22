#include "report/report.h"

#include <fmt/format.h>

#include <algorithm>

#include "util/fs.h"
#include "util/strings.h"

namespace xb {

namespace {

std::string xml_text(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        // XML 1.0 forbids most control characters, even escaped.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' && c != '\r')
          out += '?';
        else
          out += c;
    }
  }
  return out;
}

bool failed(const StageReport& stage) {
  return stage.result == "failed" || stage.result == "timed out" || stage.result == "cancelled";
}

}  // namespace

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

namespace {

// A line that reads like the cause of a failure, wherever a compiler, a test framework or a
// shell puts it.
bool error_like(std::string_view line) {
  static constexpr std::string_view kWords[] = {"error", "Error",  "ERROR",  "FAIL",     "fatal",
                                                "Fatal", "assert", "Assert", "panicked", "Traceback"};
  return std::any_of(std::begin(kWords), std::end(kWords),
                     [&](std::string_view word) { return line.find(word) != std::string_view::npos; });
}

}  // namespace

std::string log_excerpt(std::string_view log, std::size_t tail_lines, std::size_t first_errors) {
  std::vector<std::string> lines = split(log, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  std::size_t first = lines.size() > tail_lines ? lines.size() - tail_lines : 0;
  std::string out;
  std::size_t shown = 0;
  for (std::size_t index = 0; index < first && shown < first_errors; ++index)
    if (error_like(lines[index])) {
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
      std::string excerpt = log_excerpt(log.value(), tail_lines);
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

// One <testcase> to be written: a stage, or a test its log reported.
struct JunitCase {
  std::string classname;
  std::string name;
  std::string file;
  double seconds = -1;  // -1: not known, no time attribute
  enum { ok, failure, skipped } outcome = ok;
  std::string message;  // failure or skip message
  std::string body;     // failure text
};

JunitCase stage_case(const std::string& platform, const StageReport& stage, std::size_t tail_lines) {
  JunitCase out{platform, stage.stage, "", stage.seconds, JunitCase::ok, "", ""};
  if (failed(stage)) {
    out.outcome = JunitCase::failure;
    out.message = stage.result + (stage.detail.empty() ? "" : " (" + stage.detail + ")");
    out.body = read_tail(stage.log_file, tail_lines);
  } else if (stage.result == "not run") {
    out.outcome = JunitCase::skipped;
  }
  return out;
}

// The stage's tests as cases, then the stage's own case when it failed and no test did.
void add_test_cases(std::vector<JunitCase>& cases, const std::string& platform, const StageReport& stage,
                    std::size_t tail_lines) {
  using firmware::TestStatus;
  const std::string classname = platform + "." + stage.stage;
  bool explained = false;
  for (const firmware::TestCase& test : stage.tests) {
    JunitCase out{classname, test.name, test.file, test.seconds, JunitCase::ok, "", ""};
    const std::string where = test.file.empty() ? "" : test.file + ":" + std::to_string(test.line);
    if (test.status == TestStatus::failed) {
      out.outcome = JunitCase::failure;
      out.message = test.message.empty() ? "failed" : test.message.substr(0, test.message.find('\n'));
      out.body = where.empty() ? test.message : where + (test.message.empty() ? "" : ": " + test.message);
      explained = true;
    } else if (test.status == TestStatus::unfinished) {
      out.outcome = JunitCase::failure;
      out.message = "did not finish: " + stage_case(platform, stage, 0).message;
      out.body = read_tail(stage.log_file, tail_lines);
      explained = true;
    } else if (test.status == TestStatus::skipped) {
      out.outcome = JunitCase::skipped;
      out.message = test.message;
    }
    cases.push_back(std::move(out));
  }
  if (failed(stage) && !explained) cases.push_back(stage_case(platform, stage, tail_lines));
}

std::string render_case(const JunitCase& test) {
  std::string out =
      fmt::format("    <testcase classname=\"{}\" name=\"{}\"", xml_text(test.classname), xml_text(test.name));
  if (!test.file.empty()) out += fmt::format(" file=\"{}\"", xml_text(test.file));
  if (test.seconds >= 0) out += fmt::format(" time=\"{:.3f}\"", test.seconds);
  switch (test.outcome) {
    case JunitCase::failure:
      return out + fmt::format(">\n      <failure message=\"{}\">{}</failure>\n    </testcase>\n",
                               xml_text(test.message), xml_text(test.body));
    case JunitCase::skipped:
      return out +
             (test.message.empty() ? std::string(">\n      <skipped/>\n")
                                   : fmt::format(">\n      <skipped message=\"{}\"/>\n", xml_text(test.message))) +
             "    </testcase>\n";
    case JunitCase::ok:
      break;
  }
  return out + "/>\n";
}

}  // namespace

std::string render_junit(const BuildReport& report, std::size_t tail_lines) {
  std::vector<std::vector<JunitCase>> suites;
  std::size_t tests = 0, failures = 0;
  double total = 0;
  for (const PlatformReport& platform : report.platforms) {
    std::vector<JunitCase>& cases = suites.emplace_back();
    for (const StageReport& stage : platform.stages) {
      if (stage.tests.empty())
        cases.push_back(stage_case(platform.platform, stage, tail_lines));
      else
        add_test_cases(cases, platform.platform, stage, tail_lines);
      total += stage.seconds;
    }
    tests += cases.size();
    failures += static_cast<std::size_t>(std::count_if(
        cases.begin(), cases.end(), [](const JunitCase& test) { return test.outcome == JunitCase::failure; }));
  }
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format("<testsuites name=\"xbuild\" tests=\"{}\" failures=\"{}\" time=\"{:.3f}\">\n", tests, failures,
                     total);
  for (std::size_t index = 0; index < report.platforms.size(); ++index) {
    const PlatformReport& platform = report.platforms[index];
    const std::vector<JunitCase>& cases = suites[index];
    std::size_t suite_failures = 0, skipped = 0;
    double suite_time = 0;
    for (const JunitCase& test : cases) {
      suite_failures += test.outcome == JunitCase::failure ? 1 : 0;
      skipped += test.outcome == JunitCase::skipped ? 1 : 0;
    }
    for (const StageReport& stage : platform.stages) suite_time += stage.seconds;
    out += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" time=\"{:.3f}\">\n",
                       xml_text(platform.platform), cases.size(), suite_failures, skipped, suite_time);
    for (const JunitCase& test : cases) out += render_case(test);
    out += "  </testsuite>\n";
  }
  out += "</testsuites>\n";
  return out;
}

}  // namespace xb

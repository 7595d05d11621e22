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

std::string short_digest(const std::string& digest) {
  return digest.rfind("sha256:", 0) == 0 && digest.size() >= 19 ? digest.substr(0, 19) : digest;
}

bool failed(const StageReport& stage) {
  return stage.result == "failed" || stage.result == "timed out" || stage.result == "cancelled";
}

}  // namespace

std::string render_summary(const BuildReport& report) {
  std::vector<std::vector<std::string>> rows;
  const bool ccache = std::any_of(report.platforms.begin(), report.platforms.end(),
                                  [](const PlatformReport& platform) { return platform.ccache.has_value(); });
  rows.push_back({"PLATFORM", "STRATEGY", "STAGES", "IMAGE"});
  if (ccache) rows.back().insert(rows.back().begin() + 3, "CCACHE");
  for (const PlatformReport& platform : report.platforms) {
    std::vector<std::string> stages;
    for (const StageReport& stage : platform.stages)
      stages.push_back(stage.result == "ok" || failed(stage)
                           ? fmt::format("{} {} {:.1f}s", stage.stage, stage.result, stage.seconds)
                           : fmt::format("{} {}", stage.stage, stage.result));
    std::string joined;
    for (const std::string& stage : stages) joined += (joined.empty() ? "" : ", ") + stage;
    rows.push_back({platform.platform, platform.strategy, joined,
                    platform.manifest_digest.empty() ? "-" : short_digest(platform.manifest_digest)});
    if (ccache)
      rows.back().insert(rows.back().begin() + 3,
                         platform.ccache ? describe_ccache_counts(*platform.ccache) : std::string("-"));
  }
  std::string out = render_columns(rows);
  if (!report.index_digest.empty()) out += fmt::format("index {}\n", report.index_digest);
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
    out += platform.stages.empty() ? "}\n    }" : "\n      }\n    }";
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

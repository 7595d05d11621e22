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
  rows.push_back({"PLATFORM", "STRATEGY", "STAGES", "IMAGE"});
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

std::string render_junit(const BuildReport& report, std::size_t tail_lines) {
  std::size_t tests = 0, failures = 0;
  double total = 0;
  for (const PlatformReport& platform : report.platforms)
    for (const StageReport& stage : platform.stages) {
      ++tests;
      failures += failed(stage) ? 1 : 0;
      total += stage.seconds;
    }
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format("<testsuites name=\"xbuild\" tests=\"{}\" failures=\"{}\" time=\"{:.3f}\">\n", tests, failures,
                     total);
  for (const PlatformReport& platform : report.platforms) {
    std::size_t suite_failures = 0, skipped = 0;
    double suite_time = 0;
    for (const StageReport& stage : platform.stages) {
      suite_failures += failed(stage) ? 1 : 0;
      skipped += stage.result == "not run" ? 1 : 0;
      suite_time += stage.seconds;
    }
    out += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" time=\"{:.3f}\">\n",
                       xml_text(platform.platform), platform.stages.size(), suite_failures, skipped, suite_time);
    for (const StageReport& stage : platform.stages) {
      out += fmt::format("    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3f}\"", xml_text(platform.platform),
                         xml_text(stage.stage), stage.seconds);
      if (failed(stage)) {
        out += fmt::format(">\n      <failure message=\"{}\">{}</failure>\n    </testcase>\n",
                           xml_text(stage.result + (stage.detail.empty() ? "" : " (" + stage.detail + ")")),
                           xml_text(read_tail(stage.log_file, tail_lines)));
      } else if (stage.result == "not run") {
        out += ">\n      <skipped/>\n    </testcase>\n";
      } else {
        out += "/>\n";
      }
    }
    out += "  </testsuite>\n";
  }
  out += "</testsuites>\n";
  return out;
}

}  // namespace xb

#include "report/stage_reports.h"

#include <fmt/format.h>
#include <glob.h>

#include <set>

#include "report/junit_reader.h"
#include "report/log_excerpt.h"
#include "util/fs.h"
#include "util/strings.h"

namespace xb {

namespace fs = std::filesystem;

namespace {

// A directory's path as a glob that matches just it: glob(3)'s special characters escaped.
std::string escape_glob(const std::string& path) {
  std::string out;
  for (char c : path) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

// "$XBUILD_WORK/build/*.xml" -> "<work dir>/build/*.xml".
std::string resolve(const std::string& glob, const ReportRoots& roots) {
  for (const auto& [prefix, root] : {std::pair<std::string, const fs::path*>{"$XBUILD_OUT/", &roots.out},
                                     std::pair<std::string, const fs::path*>{"$XBUILD_WORK/", &roots.work}})
    if (starts_with(glob, prefix)) return escape_glob(root->string()) + "/" + glob.substr(prefix.size());
  return "";
}

void write_case(std::string& out, const ReportedTest& test) {
  out += fmt::format("    <testcase classname=\"{}\" name=\"{}\"", xml_text(test.classname), xml_text(test.name));
  if (!test.file.empty()) out += fmt::format(" file=\"{}\"", xml_text(test.file));
  if (test.seconds >= 0) out += fmt::format(" time=\"{}\"", test.seconds);
  out += ">\n";
  if (test.outcome == ReportedTest::Outcome::failed)
    out += fmt::format("      <failure message=\"{}\">{}</failure>\n", xml_text(test.message), xml_text(test.body));
  else if (test.outcome == ReportedTest::Outcome::skipped)
    out += fmt::format("      <skipped message=\"{}\"/>\n", xml_text(test.message));
  if (!test.output.empty()) out += fmt::format("      <system-out>{}</system-out>\n", xml_text(test.output));
  out += "    </testcase>\n";
}

}  // namespace

std::vector<fs::path> find_report_files(const std::vector<std::string>& globs, const ReportRoots& roots,
                                        std::vector<std::string>* unmatched) {
  std::vector<fs::path> files;
  std::set<fs::path> seen;
  for (const std::string& glob : globs) {
    std::string pattern = resolve(glob, roots);
    glob_t found{};
    bool any = false;
    if (!pattern.empty() && ::glob(pattern.c_str(), GLOB_ERR, nullptr, &found) == 0) {
      for (std::size_t index = 0; index < found.gl_pathc; ++index) {
        fs::path file = found.gl_pathv[index];
        std::error_code error;
        if (!fs::is_regular_file(file, error)) continue;
        any = true;
        if (seen.insert(file).second) files.push_back(file);
      }
    }
    globfree(&found);
    if (!any && unmatched) unmatched->push_back(glob);
  }
  return files;
}

std::vector<ReportedTest> read_stage_reports(const std::vector<std::string>& globs, const ReportRoots& roots,
                                             const std::string& label, std::vector<std::string>& warnings) {
  std::vector<std::string> unmatched;
  std::vector<ReportedTest> tests;
  for (const fs::path& file : find_report_files(globs, roots, &unmatched)) {
    Result<std::string> text = read_file(file);
    Result<std::vector<ReportedTest>> read =
        text ? read_junit_report(text.value(), file.string()) : Result<std::vector<ReportedTest>>(fail(text.error()));
    if (!read) {
      warnings.push_back(fmt::format("{}: the test report {}; its tests are not in the JUnit file", label,
                                     text ? read.error() : "cannot be read: " + text.error()));
      continue;
    }
    tests.insert(tests.end(), read.value().begin(), read.value().end());
  }
  for (const std::string& glob : unmatched)
    warnings.push_back(fmt::format("{}: no test report matches {} (its `reports`); did the stage write it there?",
                                   label, "\"" + glob + "\""));
  return tests;
}

fs::path reports_copy_file(const fs::path& log_file) {
  return log_file.parent_path() / (log_file.stem().string() + ".reports.xml");
}

Status write_reports_copy(const std::vector<ReportedTest>& tests, const fs::path& file) {
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n  <testsuite name=\"\">\n";
  for (const ReportedTest& test : tests) write_case(out, test);
  out += "  </testsuite>\n</testsuites>\n";
  return write_file_atomic(file, out);
}

std::vector<ReportedTest> read_reports_copy(const fs::path& file, const std::string& label,
                                            std::vector<std::string>& warnings) {
  Result<std::string> text = read_file(file);
  if (!text) {
    warnings.push_back(fmt::format(
        "{}: came from the cache without a copy of its test reports ({} is missing), so its tests are not in the "
        "JUnit file; --clean runs it again",
        label, file.string()));
    return {};
  }
  Result<std::vector<ReportedTest>> read = read_junit_report(text.value(), file.string());
  if (!read) {
    warnings.push_back(
        fmt::format("{}: the copy of its test reports {}; its tests are not in the JUnit file", label, read.error()));
    return {};
  }
  return std::move(read).value();
}

}  // namespace xb

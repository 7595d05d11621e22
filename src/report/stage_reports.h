// The test reports a stage declares (`reports` globs under $XBUILD_OUT or $XBUILD_WORK): found
// and read after the stage ran, and a copy of their tests kept next to its log
// (<stage>.reports.xml), which the stage cache stores with the log, so that a cached stage still
// brings its tests to the --junit file.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "report/report.h"
#include "util/error.h"

namespace xb {

// Where a stage's $XBUILD_OUT and $XBUILD_WORK are on this machine.
struct ReportRoots {
  std::filesystem::path out;
  std::filesystem::path work;
};

// The files the globs match now, in the order of the globs (each glob's matches sorted), each
// once. A glob that matches nothing adds its text to `unmatched`.
std::vector<std::filesystem::path> find_report_files(const std::vector<std::string>& globs, const ReportRoots& roots,
                                                     std::vector<std::string>* unmatched);

// The tests of every report the globs name. Each glob that matches nothing and each file that is
// not a readable JUnit report is a warning, "linux/arm64 test: ..." (`label`), in `warnings`;
// the other reports are read.
std::vector<ReportedTest> read_stage_reports(const std::vector<std::string>& globs, const ReportRoots& roots,
                                             const std::string& label, std::vector<std::string>& warnings);

// <log dir>/<stage>.reports.xml, next to the stage's log.
std::filesystem::path reports_copy_file(const std::filesystem::path& log_file);

// The copy: the tests as one JUnit file, which read_junit_report reads back as the same tests.
Status write_reports_copy(const std::vector<ReportedTest>& tests, const std::filesystem::path& file);

// The tests of a cached stage, from its copy; a copy that is missing or unreadable is a warning.
std::vector<ReportedTest> read_reports_copy(const std::filesystem::path& file, const std::string& label,
                                            std::vector<std::string>& warnings);

}  // namespace xb

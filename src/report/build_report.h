// Gathers a run's outcome (the plan, the job results, which targets came from the cache, the
// images written) into a BuildReport, and writes the --metadata-file, --junit, --report-html and
// --report-markdown files.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "package/package.h"
#include "report/report.h"
#include "run/scheduler.h"

namespace xb {

// `cached` is parallel to Plan::jobs; `images` is null when nothing was packaged; `firmware_sizes`
// (by platform, "none/arm/cortex-m4") null when none were measured; `ccache` (by platform) what
// the run's compiles did, null or without a platform when it has no ccache; `restore_seconds`
// (parallel to Plan::jobs, null: not measured) how long restoring each cached job took.
BuildReport make_build_report(const Config& config, const Plan& plan, const RunResult& result,
                              const std::vector<bool>& cached, const PackageResult* images,
                              const std::map<std::string, firmware::Sizes>* firmware_sizes = nullptr,
                              const std::map<std::string, CcacheCounts>* ccache = nullptr,
                              const std::vector<double>* restore_seconds = nullptr);

// A platform left out of the run because this machine cannot build it (--skip-unavailable): its
// stages, each reported "skipped" with the reason ("missing riscv64-linux-gnu-gcc (install
// gcc-riscv64-linux-gnu); left out by --skip-unavailable").
struct SkippedPlatform {
  std::string platform;
  std::string strategy;
  std::vector<std::string> stages;
  std::string reason;
};

// Appends the skipped platforms to the report, after the ones the run built.
void add_skipped_platforms(BuildReport& report, const std::vector<SkippedPlatform>& skipped);

// Writes the requested files atomically (each is skipped when its path is empty): metadata JSON,
// JUnit XML, the HTML page (report/html_report.h), the Markdown (report/markdown_report.h).
Status write_report_files(const BuildReport& report, const std::optional<std::filesystem::path>& metadata_file,
                          const std::optional<std::filesystem::path>& junit_file,
                          const std::optional<std::filesystem::path>& html_file = std::nullopt,
                          const std::optional<std::filesystem::path>& markdown_file = std::nullopt);

// Appends the Markdown report to `file`, as GitHub Actions asks of what a step adds to the job's
// summary ($GITHUB_STEP_SUMMARY): the step's earlier lines, another tool's, stay.
Status append_step_summary(const BuildReport& report, const std::filesystem::path& file);

}  // namespace xb

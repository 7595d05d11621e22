// The report pass: the summary table, --metadata-file, --junit, --report-html, --report-markdown
// and the Markdown appended to $GITHUB_STEP_SUMMARY when that is set, after a successful run and
// after a failed one alike; then, for a successful run, the line naming what was written and
// the digests.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "firmware/size_budget.h"
#include "package/package.h"
#include "report/build_report.h"
#include "run/scheduler.h"
#include "toolchain/ccache.h"

namespace xb {

class Terminal;

struct ReportRequest {
  const Config& config;
  const Plan& plan;
  const RunResult& result;
  const std::vector<bool>& cached;  // parallel to Plan::jobs
  const PackageResult* images;      // null when nothing was packaged
  std::optional<std::filesystem::path> metadata_file;
  std::optional<std::filesystem::path> junit_file;
  const std::map<std::string, firmware::Sizes>* firmware_sizes = nullptr;  // by platform; null: none measured
  const std::map<std::string, CcacheCounts>* ccache = nullptr;             // this run's, by platform
  const std::vector<SkippedPlatform>* skipped = nullptr;                   // left out by --skip-unavailable; null: none
  const std::vector<double>* restore_seconds = nullptr;  // parallel to Plan::jobs: a cached job's restore
  // run --shard with oci:DIR: DIR, which gets a copy of both reports for `xbuild merge`
  // (kShardMetadataFile, kShardJunitFile of build/shard.h).
  std::optional<std::filesystem::path> layout_reports;
  std::optional<std::filesystem::path> html_file;      // --report-html
  std::optional<std::filesystem::path> markdown_file;  // --report-markdown
};

// The summary (the table, or --progress json's summary event), after a failure each failed
// stage's output again (render_failure_output), then the report files.
void report(const ReportRequest& request, Terminal& terminal);

// "xbuild: built 5 platforms in 1.2 s; wrote oci:DIR (tag 1.0.0)", then each image's digest and
// the index's.
void report_written(const Plan& plan, const PackageResult& images, const OutputTarget& output, double seconds,
                    Terminal& terminal);

// The error that ends a failed run: every failed stage, or the interruption (exit status 130).
Error run_failure(const Plan& plan, const RunResult& result, const OutputTarget& output);

// --fail-on-skip after a run that built the rest: the error naming the skipped platforms (exit
// status 3).
Error skipped_failure(const std::vector<SkippedPlatform>& skipped);

}  // namespace xb

// The --report-html page of a run: one self-contained HTML file (its CSS inline, no script, a
// Content-Security-Policy that lets it load nothing) with the platform x stage matrix, the
// timeline of the jobs that ran, each platform's image digest and sizes, and each failure's log
// excerpt. Elements carry data-platform / data-stage / data-state attributes for tools and tests.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "report/report.h"

namespace xb {

// The state word a page shows for a stage: its result, with the older "not run" read as
// "skipped" ("ok", "cached", "failed", "cancelled", "skipped", "timed out").
std::string stage_state(const StageReport& stage);

// Whether the stage's own run failed (failed, timed out): the stages a page shows a log of.
bool stage_failed_itself(const StageReport& stage);

// "failed" when a stage failed, timed out or was cancelled, else "succeeded".
std::string run_outcome(const BuildReport& report);

// "7 jobs: 4 ok, 1 cached, 1 failed, 1 cancelled" (states without jobs left out).
std::string describe_job_counts(const BuildReport& report);

// The stages' names of every platform, in the order they first appear: the matrix's columns.
std::vector<std::string> matrix_stages(const BuildReport& report);

// A log cut to its first `head` and last `tail` lines, a line "... N lines left out ..." between
// them; the whole log when it is no longer than head + tail (+ 1) lines. Ends with '\n' unless
// empty.
std::string head_tail_excerpt(std::string_view log, std::size_t head, std::size_t tail);

// The text of a log without the terminal's colour and cursor sequences (ESC [ ...) and with the
// other control characters but tab and line ends as U+FFFD.
std::string plain_log_text(std::string_view log);

// "0.4 s", "12.3 s", "2 min 5 s", "1 h 2 min".
std::string format_duration(double seconds);

// The page. Logs are read from each failed stage's log_file (a missing log shows as such).
std::string render_html_report(const BuildReport& report);

}  // namespace xb

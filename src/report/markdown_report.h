// The --report-markdown text of a run, also what a GitHub Actions job summary gets
// ($GITHUB_STEP_SUMMARY): a GitHub-flavoured table of platforms x stages with the state word
// and time of each cell (no emoji: the words are the legend), each platform's image digest, and
// a line per failed stage with a short excerpt of its log.
#pragma once

#include <string>

#include "report/report.h"

namespace xb {

// The Markdown. Logs are read from each failed stage's log_file.
std::string render_markdown_report(const BuildReport& report);

}  // namespace xb

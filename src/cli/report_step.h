// The report step of `xbuild run`: the summary table on stdout, then --metadata-file and
// --junit, after a successful run and after a failed one alike.
#pragma once

#include "cli/cache_commands.h"
#include "cli/commands.h"
#include "package/package.h"

namespace xb {

class Terminal;

// Before anything runs: the directories of --metadata-file and --junit must exist (exit 2).
void check_report_files(const RunCommandOptions& options);

// `images` is null when the run failed before packaging.
void summary_step(const Config& config, const Plan& plan, const CachedRun& run, const PackageResult* images,
                  const RunCommandOptions& options, Terminal& terminal);

}  // namespace xb

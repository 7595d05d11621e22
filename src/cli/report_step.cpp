#include "cli/report_step.h"

#include "report/build_report.h"
#include "run/terminal.h"
#include "util/strings.h"

namespace xb {

void summary_step(const Config& config, const Plan& plan, const CachedRun& run, const PackageResult* images,
                  const RunCommandOptions& options, Terminal& terminal) {
  BuildReport report = make_build_report(config, plan, run.result, run.cached, images);
  for (const std::string& line : split(render_summary(report), '\n'))
    if (!line.empty()) terminal.output_line(line);
  if (Status written = write_report_files(report, options.metadata_file, options.junit_file); !written)
    throw Error(written.error());
}

}  // namespace xb

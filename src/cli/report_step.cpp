#include "cli/report_step.h"

#include <fmt/format.h>

#include "report/build_report.h"
#include "run/terminal.h"
#include "util/strings.h"

namespace xb {

namespace {

void check_report_file(const char* option, const std::optional<std::filesystem::path>& file) {
  if (!file) return;
  std::filesystem::path directory = std::filesystem::absolute(*file).parent_path();
  std::error_code error;
  if (file->empty() || std::filesystem::is_directory(*file, error))
    throw Error(fmt::format("{} \"{}\" is not a file name: name the file to write", option, file->string()), 2);
  if (!std::filesystem::is_directory(directory, error))
    throw Error(fmt::format("{} {}: the directory {} does not exist; create it first", option, file->string(),
                            directory.string()),
                2);
}

}  // namespace

void check_report_files(const RunCommandOptions& options) {
  check_report_file("--metadata-file", options.metadata_file);
  check_report_file("--junit", options.junit_file);
}

void summary_step(const Config& config, const Plan& plan, const CachedRun& run, const PackageResult* images,
                  const RunCommandOptions& options, Terminal& terminal) {
  BuildReport report = make_build_report(config, plan, run.result, run.cached, images);
  for (const std::string& line : split(render_summary(report), '\n'))
    if (!line.empty()) terminal.output_line(line);
  if (Status written = write_report_files(report, options.metadata_file, options.junit_file); !written)
    throw Error(written.error());
}

}  // namespace xb

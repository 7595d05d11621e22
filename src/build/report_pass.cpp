#include "build/report_pass.h"

#include <fmt/format.h>

#include <csignal>
#include <cstdlib>

#include "build/shard.h"
#include "emulate/binfmt.h"
#include "report/build_report.h"
#include "run/terminal.h"
#include "util/strings.h"

namespace xb {

void report(const ReportRequest& request, Terminal& terminal) {
  BuildReport report = make_build_report(request.config, request.plan, request.result, request.cached, request.images,
                                         request.firmware_sizes, request.ccache, request.restore_seconds);
  for (const std::string& warning : report.warnings) terminal.status_line("xbuild: warning: " + warning);
  if (request.skipped) add_skipped_platforms(report, *request.skipped);
  std::string table = render_summary(report);
  if (!request.result.ok()) table += render_failure_output(report);
  while (!table.empty() && table.back() == '\n') table.pop_back();
  const char* result = request.result.interrupted ? "interrupted" : request.result.ok() ? "ok" : "failed";
  terminal.run_summary(table, render_summary_event(report, result));
  if (Status written = write_report_files(report, request.metadata_file, request.junit_file, request.html_file,
                                          request.markdown_file);
      !written)
    throw Error(written.error());
  if (request.layout_reports)
    if (Status copied = write_report_files(report, *request.layout_reports / kShardMetadataFile,
                                           *request.layout_reports / kShardJunitFile);
        !copied)
      throw Error(copied.error());
  // GitHub Actions' job summary: a failure to add to it is no failure of the run.
  if (const char* summary = std::getenv("GITHUB_STEP_SUMMARY"); summary && *summary)
    if (Status appended = append_step_summary(report, summary); !appended)
      terminal.status_line("xbuild: warning: $GITHUB_STEP_SUMMARY: " + appended.error() +
                           "; the job summary lacks the matrix");
}

void report_written(const Plan& plan, const PackageResult& images, const OutputTarget& output, double seconds,
                    Terminal& terminal) {
  terminal.output_line(fmt::format("xbuild: built {} platform{} in {:.1f} s; wrote {} (tag {})", plan.targets.size(),
                                   plan.targets.size() == 1 ? "" : "s", seconds, output.str(), images.ref_name));
  std::size_t width = 5;
  for (const PackagedImage& image : images.images) width = std::max(width, image.platform.str().size());
  for (const PackagedImage& image : images.images)
    terminal.output_line(fmt::format("  {:<{}}  {}", image.platform.str(), width, image.manifest.digest));
  terminal.output_line(fmt::format("  {:<{}}  {}", "index", width, images.index.digest));
}

namespace {

// When the failed job's target ran its binaries through the host's binfmt_misc handler and that
// handler is gone now, the binaries could not run at all: say that, not only that a test failed.
std::string handler_gone(const Plan& plan, const RunResult& result) {
  const TargetPlan& target = plan.targets[plan.jobs[*result.first_failure].target];
  if (!target.binaries || target.binaries->handler != TargetBinaries::Handler::host) return "";
  BinfmtOptions binfmt;
  std::vector<BinfmtEntry> handlers = list_handlers(binfmt);
  for (const BinfmtEntry& handler : handlers)
    if (handler.enabled && handler.interpreter.find("qemu-" + target.binaries->qemu_arch) != std::string::npos)
      return "";
  return "; the binfmt_misc handler of " + target.binaries->qemu_arch + " binaries is gone (it was removed while " +
         "the run went on), so " + target.platform.str() + "'s binaries could not run: register it again (xbuild " +
         "does when it runs as root; else sudo xbuild binfmt install --arch " + target.binaries->qemu_arch +
         ") and run again";
}

}  // namespace

Error skipped_failure(const std::vector<SkippedPlatform>& skipped) {
  std::string names;
  for (const SkippedPlatform& platform : skipped) names += (names.empty() ? "" : ", ") + platform.platform;
  return Error(fmt::format("{} platform{} skipped ({}): this machine cannot build {} (--fail-on-skip)", skipped.size(),
                           skipped.size() == 1 ? " was" : "s were", names, skipped.size() == 1 ? "it" : "them"),
               3);
}

Error run_failure(const Plan& plan, const RunResult& result, const OutputTarget& output) {
  if (result.interrupted)
    return Error(fmt::format("interrupted by {}; nothing was packaged and {} {}",
                             result.interrupted == SIGINT ? "SIGINT" : "SIGTERM", output.str(),
                             plan.index_annotations.empty() || output.kind == OutputTarget::Kind::local
                                 ? "is unchanged"
                                 : "holds only this shard's result (failed)"),
                 130);
  std::string message = result.failure_message(plan);
  if (result.first_failure && *result.first_failure < plan.jobs.size()) message += handler_gone(plan, result);
  return Error(message, 1);
}

}  // namespace xb

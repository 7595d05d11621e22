#include "build/report_pass.h"

#include <fmt/format.h>

#include <csignal>

#include "emulate/binfmt.h"
#include "report/build_report.h"
#include "run/terminal.h"
#include "util/strings.h"

namespace xb {

void report(const ReportRequest& request, Terminal& terminal) {
  BuildReport report = make_build_report(request.config, request.plan, request.result, request.cached, request.images,
                                         request.firmware_sizes, request.ccache);
  for (const std::string& warning : report.warnings) terminal.status_line("xbuild: warning: " + warning);
  for (const std::string& line : split(render_summary(report), '\n'))
    if (!line.empty()) terminal.output_line(line);
  if (Status written = write_report_files(report, request.metadata_file, request.junit_file); !written)
    throw Error(written.error());
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

Error run_failure(const Plan& plan, const RunResult& result, const OutputTarget& output) {
  if (result.interrupted)
    return Error(fmt::format("interrupted by {}; nothing was packaged and {} is unchanged",
                             result.interrupted == SIGINT ? "SIGINT" : "SIGTERM", output.str()),
                 130);
  std::string message = result.failure_message(plan);
  if (result.first_failure && *result.first_failure < plan.jobs.size()) message += handler_gone(plan, result);
  return Error(message, 1);
}

}  // namespace xb

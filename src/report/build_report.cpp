// A run's outcome gathered into a BuildReport. Each stage that ran (or came from the cache, with
// its log) has its log read once: the tests it reports become the stage's tests, and a failed
// stage's detail is the last failed firmware test verdict in it when there is one, else how the
// process ended.
#include "report/build_report.h"

#include <fmt/format.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "firmware/qemu_test.h"
#include "firmware/test_lines.h"
#include "report/html_report.h"
#include "report/markdown_report.h"
#include "report/stage_reports.h"
#include "util/fs.h"

namespace xb {

namespace {

std::string failure_detail(const JobResult& job) {
  if (!job.start_error.empty()) return job.start_error;
  if (job.exit.term_signal) return fmt::format("killed by signal {}", job.exit.term_signal);
  if (job.exit.exit_status) return fmt::format("exit status {}", job.exit.exit_status);
  return "";
}

// The tests the stage's log reports, and a failed firmware test's verdict as its detail.
void read_log(StageReport& stage) {
  if (stage.log_file.empty() || stage.result == "cancelled" || stage.result == "skipped") return;
  Result<std::string> log = read_file(stage.log_file);
  if (!log) return;
  stage.tests = firmware::parse_test_lines(log.value());
  if (stage.result == "failed")
    if (std::optional<std::string> verdict = firmware::last_failed_verdict(log.value())) stage.detail = *verdict;
}

// The tests of the reports the stage declares: read where it wrote them when it ran, from the
// copy the cache restored with its log when it is cached.
void read_reports(StageReport& stage, const JobPlan& job, const TargetPlan& target,
                  std::vector<std::string>& warnings) {
  if (job.reports.empty()) return;
  if (stage.result == "cached")
    stage.reported = read_reports_copy(reports_copy_file(job.log_file), job.label(), warnings);
  else if (stage.result == "ok" || stage.result == "failed" || stage.result == "timed out")
    stage.reported = read_stage_reports(job.reports, {target.output_dir, target.work_dir}, job.label(), warnings);
}

}  // namespace

BuildReport make_build_report(const Config& config, const Plan& plan, const RunResult& result,
                              const std::vector<bool>& cached, const PackageResult* images,
                              const std::map<std::string, firmware::Sizes>* firmware_sizes,
                              const std::map<std::string, CcacheCounts>* ccache,
                              const std::vector<double>* restore_seconds) {
  BuildReport report;
  report.started_at = result.started_at;
  report.wall_seconds = result.wall_seconds;
  for (std::size_t target = 0; target < plan.targets.size(); ++target) {
    PlatformReport platform;
    platform.platform = plan.targets[target].platform.str();
    platform.strategy = strategy_name(plan.targets[target].strategy);
    for (std::size_t index = 0; index < plan.jobs.size(); ++index) {
      const JobPlan& job = plan.jobs[index];
      if (job.target != target) continue;
      StageReport stage;
      stage.stage = job.stage;
      stage.log_file = job.log_file;
      if (index < cached.size() && cached[index]) {
        stage.result = "cached";
        if (restore_seconds && index < restore_seconds->size()) stage.restore_seconds = (*restore_seconds)[index];
      } else if (index < result.jobs.size()) {
        const JobResult& job_result = result.jobs[index];
        stage.result = job_state_name(job_result.state);
        stage.seconds = job_result.seconds;
        stage.start_offset = job_result.start_offset;
        if (job_result.state == JobState::timed_out)
          stage.detail = fmt::format("timed out after {}s", job.timeout_seconds);
        else if (job_result.state == JobState::cancelled || job_result.state == JobState::skipped)
          stage.detail = job_result.reason;
        else if (job_result.state != JobState::succeeded)
          stage.detail = failure_detail(job_result);
      } else {
        stage.result = "cancelled";
      }
      read_log(stage);
      read_reports(stage, job, plan.targets[target], report.warnings);
      platform.stages.push_back(stage);
    }
    if (images && target < images->images.size()) {
      platform.manifest_digest = images->images[target].manifest.digest;
      platform.manifest_size = images->images[target].manifest.size;
    }
    if (firmware_sizes)
      if (auto found = firmware_sizes->find(platform.platform); found != firmware_sizes->end())
        platform.firmware_size = found->second;
    if (ccache)
      if (auto found = ccache->find(platform.platform); found != ccache->end()) platform.ccache = found->second;
    report.platforms.push_back(platform);
  }
  if (images) {
    report.index_digest = images->index.digest;
    report.index_size = images->index.size;
  }
  if (!config.image.name.empty())
    report.image_name = config.image.name + (config.image.tags.empty() ? "" : ":" + config.image.tags.front());
  return report;
}

void add_skipped_platforms(BuildReport& report, const std::vector<SkippedPlatform>& skipped) {
  for (const SkippedPlatform& skip : skipped) {
    PlatformReport platform;
    platform.platform = skip.platform;
    platform.strategy = skip.strategy;
    for (const std::string& name : skip.stages) {
      StageReport stage;
      stage.stage = name;
      stage.result = "skipped";
      stage.detail = skip.reason;
      platform.stages.push_back(stage);
    }
    report.platforms.push_back(platform);
  }
}

Status write_report_files(const BuildReport& report, const std::optional<std::filesystem::path>& metadata_file,
                          const std::optional<std::filesystem::path>& junit_file,
                          const std::optional<std::filesystem::path>& html_file,
                          const std::optional<std::filesystem::path>& markdown_file) {
  if (metadata_file && !metadata_file->empty())
    if (Status written = write_file_atomic(std::filesystem::absolute(*metadata_file), render_metadata(report));
        !written)
      return written;
  if (junit_file && !junit_file->empty())
    if (Status written = write_file_atomic(std::filesystem::absolute(*junit_file), render_junit(report)); !written)
      return written;
  if (html_file && !html_file->empty())
    if (Status written = write_file_atomic(std::filesystem::absolute(*html_file), render_html_report(report)); !written)
      return written;
  if (markdown_file && !markdown_file->empty())
    if (Status written = write_file_atomic(std::filesystem::absolute(*markdown_file), render_markdown_report(report));
        !written)
      return written;
  return Ok{};
}

Status append_step_summary(const BuildReport& report, const std::filesystem::path& file) {
  const std::string text = render_markdown_report(report) + "\n";
  const int fd = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return fail(fmt::format("cannot append to {}: {}", file.string(), std::strerror(errno)));
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t wrote = ::write(fd, text.data() + done, text.size() - done);
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote < 0) {
      const int error = errno;
      ::close(fd);
      return fail(fmt::format("cannot append to {}: {}", file.string(), std::strerror(error)));
    }
    done += static_cast<std::size_t>(wrote);
  }
  if (::close(fd) != 0) return fail(fmt::format("cannot append to {}: {}", file.string(), std::strerror(errno)));
  return Ok{};
}

}  // namespace xb

// The report pass: what a run says at its end, and the error a failed run ends with.
#include "build/report_pass.h"

#include <gtest/gtest.h>

#include <csignal>

#include "run/terminal.h"

namespace xb {
namespace {

Plan one_job() {
  Plan plan;
  TargetPlan target;
  target.platform = parse_platform("linux/arm64").value();
  plan.targets.push_back(target);
  JobPlan job;
  job.platform = "linux/arm64";
  job.stage = "test";
  job.log_file = "/state/logs/linux-arm64/test.log";
  plan.jobs.push_back(job);
  return plan;
}

TEST(ReportPass, AFailedRunEndsWithItsFirstFailure) {
  Plan plan = one_job();
  RunResult result;
  result.jobs.resize(1);
  result.jobs[0].state = JobState::failed;
  result.jobs[0].exit.exit_status = 3;
  result.first_failure = 0;
  OutputTarget output{OutputTarget::Kind::layout, "/out"};
  Error error = run_failure(plan, result, output);
  EXPECT_EQ(error.exit_code(), 1);
  EXPECT_EQ(std::string(error.what()),
            "stage \"test\" failed on linux/arm64 (exit status 3); its log is /state/logs/linux-arm64/test.log");
}

// A target whose binaries ran through the host's handler, for an architecture no handler on this
// machine runs: the failure says the handler is gone, not only that a test failed.
TEST(ReportPass, AFailureAfterTheHostsHandlerWentAwaySaysSo) {
  Plan plan = one_job();
  plan.targets[0].binaries = TargetBinaries{TargetBinaries::Handler::host, "no-such-arch", "", "/prefix"};
  RunResult result;
  result.jobs.resize(1);
  result.jobs[0].state = JobState::failed;
  result.jobs[0].exit.exit_status = 126;
  result.first_failure = 0;
  Error error = run_failure(plan, result, OutputTarget{OutputTarget::Kind::layout, "/out"});
  EXPECT_EQ(std::string(error.what()),
            "stage \"test\" failed on linux/arm64 (exit status 126); its log is /state/logs/linux-arm64/test.log; the "
            "binfmt_misc handler of no-such-arch binaries is gone (it was removed while the run went on), so "
            "linux/arm64's binaries could not run: register it again (xbuild does when it runs as root; else sudo "
            "xbuild binfmt install --arch no-such-arch) and run again");
}

TEST(ReportPass, AnInterruptedRunEndsWithStatus130AndTheOutputUnchanged) {
  Plan plan = one_job();
  RunResult result;
  result.jobs.resize(1);
  result.interrupted = SIGTERM;
  Error error = run_failure(plan, result, OutputTarget{OutputTarget::Kind::archive, "/out.tar"});
  EXPECT_EQ(error.exit_code(), 130);
  EXPECT_EQ(std::string(error.what()),
            "interrupted by SIGTERM; nothing was packaged and oci-archive:/out.tar is unchanged");
}

TEST(ReportPass, FailOnSkipNamesTheSkippedPlatforms) {
  Error one = skipped_failure({{"linux/riscv64", "cross", {"build"}, "missing riscv64-linux-gnu-gcc"}});
  EXPECT_EQ(one.exit_code(), 3);
  EXPECT_EQ(std::string(one.what()),
            "1 platform was skipped (linux/riscv64): this machine cannot build it (--fail-on-skip)");
  Error two = skipped_failure({{"linux/riscv64", "cross", {}, ""}, {"linux/s390x", "cross", {}, ""}});
  EXPECT_EQ(std::string(two.what()),
            "2 platforms were skipped (linux/riscv64, linux/s390x): this machine cannot build them (--fail-on-skip)");
}

// The summary goes to the terminal as a table and as an event: a json terminal prints the event.
TEST(ReportPass, TheSummaryIsATableAndAnEvent) {
  struct Summary : RecordingTerminal {
    void run_summary(std::string_view table, std::string_view event) override {
      tables.emplace_back(table);
      events.emplace_back(event);
    }
    std::vector<std::string> tables, events;
  } terminal;
  Plan plan = one_job();
  RunResult result;
  result.jobs.resize(1);
  result.jobs[0].state = JobState::cancelled;
  result.jobs[0].reason = "because the run was interrupted (SIGINT)";
  result.interrupted = SIGINT;
  Config config;
  std::vector<bool> cached(1, false);
  std::vector<SkippedPlatform> skipped = {{"linux/riscv64", "cross", {"test"}, "missing riscv64-linux-gnu-gcc"}};
  ReportRequest request{config, plan, result, cached, nullptr, std::nullopt, std::nullopt};
  request.skipped = &skipped;
  report(request, terminal);
  EXPECT_EQ(terminal.tables, (std::vector<std::string>{"PLATFORM       STRATEGY  STAGES\n"
                                                       "linux/arm64    native    test cancelled\n"
                                                       "linux/riscv64  cross     test skipped\n"
                                                       "linux/arm64 test cancelled: because the run was interrupted "
                                                       "(SIGINT)\n"
                                                       "linux/riscv64 test skipped: missing riscv64-linux-gnu-gcc"}));
  ASSERT_EQ(terminal.events.size(), 1u);
  EXPECT_EQ(terminal.events[0].rfind("{\"event\":\"summary\",\"result\":\"interrupted\",", 0), 0u)
      << terminal.events[0];
}

TEST(ReportPass, WhatWasWrittenNamesEveryDigest) {
  Plan plan = one_job();
  PackageResult images;
  images.ref_name = "1.0.0";
  images.index.digest = "sha256:index";
  images.images.push_back({plan.targets[0].platform, {}});
  images.images[0].manifest.digest = "sha256:arm64";
  RecordingTerminal terminal;
  report_written(plan, images, OutputTarget{OutputTarget::Kind::layout, "/out"}, 1.25, terminal);
  EXPECT_EQ(terminal.lines, (std::vector<std::string>{"xbuild: built 1 platform in 1.2 s; wrote oci:/out (tag 1.0.0)",
                                                      "  linux/arm64  sha256:arm64", "  index        sha256:index"}));
}

}  // namespace
}  // namespace xb

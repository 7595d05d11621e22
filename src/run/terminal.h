// The terminal behind a narrow interface: the scheduler writes whole lines to it. The real one
// writes to stdout; tests collect the lines.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace xb {

// Which job an event is about.
struct JobInfo {
  std::string platform;  // "linux/arm64"
  std::string stage;     // "build"
  std::string label;     // "linux/arm64 build": the prefix of its lines, without brackets
};

class Terminal {
 public:
  virtual ~Terminal() = default;
  // A line of output ("[linux/arm64 build] cc -o hello ...", the summary table, ...).
  virtual void output_line(std::string_view line) = 0;
  // A status message from xbuild itself ("xbuild: ...").
  virtual void status_line(std::string_view line) = 0;
  // Job events from the scheduler. By default a job's line is output_line("[label] line") and
  // the other events print nothing (the plain progress of `--progress plain`).
  // run_started: how many jobs the run has (cached ones included); run_finished: none is left.
  virtual void run_started(std::size_t jobs) { (void)jobs; }
  virtual void run_finished() {}
  virtual void job_started(const JobInfo& job) { (void)job; }
  virtual void job_line(const JobInfo& job, std::string_view line) {
    output_line("[" + job.label + "] " + std::string(line));
  }
  // `state` one of the words of every output: "ok", "cached", "failed", "cancelled", "skipped",
  // "timed out"; `exit_status` -1 when it did not exit by itself (never started, or killed by a
  // signal); `detail` why a job was cancelled or skipped ("because linux/arm64 build failed"),
  // else empty.
  virtual void job_finished(const JobInfo& job, std::string_view state, double seconds, std::int64_t exit_status,
                            std::string_view detail) {
    (void)job, (void)state, (void)seconds, (void)exit_status, (void)detail;
  }
  // The end of a run: `table` the human summary (lines ending with '\n', printed as output
  // lines), `event` the same as one JSON object ({"event":"summary",...}), which `--progress json`
  // prints instead, as its last line.
  virtual void run_summary(std::string_view table, std::string_view event) {
    (void)event;
    std::string_view rest = table;
    while (!rest.empty()) {
      std::size_t end = rest.find('\n');
      output_line(rest.substr(0, end));
      if (end == std::string_view::npos) break;
      rest.remove_prefix(end + 1);
    }
  }
  // Called every kTickInterval while jobs run, also when none prints anything: clocks (the tty
  // board's elapsed times) keep moving for a stage that works silently.
  virtual void tick() {}
  static constexpr std::uint64_t kTickIntervalMs = 500;
};

// `--progress plain`: job lines and each job's start and end (with the time since the run began)
// on stdout, xbuild's messages on stderr.
std::unique_ptr<Terminal> make_stdout_terminal();
// The same on other streams (tests).
std::unique_ptr<Terminal> make_plain_terminal(std::FILE* out, std::FILE* err);

// `--progress`: "plain" (make_stdout_terminal), "json" (one JSON object per line on stdout:
// started / output / finished / message / status events, a summary event at the end), "tty" (a live board on stdout,
// one row per running job, finished jobs collapsed to one line each), or "auto" (tty when stdout is a terminal whose
// TERM is not "dumb", else plain: no escape sequences reach a log or a dumb terminal). Colors unless NO_COLOR is set.
// Empty for an unknown mode.
std::unique_ptr<Terminal> make_progress_terminal(std::string_view mode);

// Keeps every line, for tests.
class RecordingTerminal : public Terminal {
 public:
  void output_line(std::string_view line) override { lines.emplace_back(line); }
  void status_line(std::string_view line) override { lines.emplace_back(line); }
  std::vector<std::string> lines;
};

}  // namespace xb

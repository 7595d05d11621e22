#include "run/terminal.h"

#include <chrono>
#include <cstdio>
#include <string>

namespace xb {
namespace {

// Job output to stdout, xbuild's own messages to stderr; each line flushed as it comes, so the
// two streams interleave on a terminal the way they happened. Each job's start and end are lines
// of their own, with the time since the run began, so a CI log shows a silent stage running and
// how long each took: "[+1.2s] linux/arm64 build started", "[+9.8s] linux/arm64 build ok in 8.6s",
// "[+9.9s] linux/amd64 test cancelled in 3.0s (because linux/arm64 build failed)".
class StdoutTerminal : public Terminal {
 public:
  StdoutTerminal(std::FILE* out, std::FILE* err) : out_(out), err_(err) {}
  void output_line(std::string_view line) override { write_line(out_, line); }
  void status_line(std::string_view line) override { write_line(err_, line); }
  void job_started(const JobInfo& job) override { write_line(out_, offset() + " " + job.label + " started"); }
  void job_finished(const JobInfo& job, std::string_view state, double seconds, std::int64_t exit_status,
                    std::string_view detail) override {
    std::string line = offset() + " " + job.label + " " + std::string(state);
    char took[64];
    if (state == "ok" || state == "failed" || (state == "cancelled" && seconds > 0)) {
      std::snprintf(took, sizeof took, " in %.1fs", seconds);
      line += took;
    } else if (state == "timed out") {
      std::snprintf(took, sizeof took, " after %.1fs", seconds);
      line += took;
    }
    if (state == "failed" && exit_status >= 0) line += " (exit status " + std::to_string(exit_status) + ")";
    if (!detail.empty()) line += " (" + std::string(detail) + ")";
    write_line(out_, line);
  }

 private:
  std::string offset() const {
    char text[32];
    std::snprintf(text, sizeof text, "[+%.1fs]",
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count());
    return text;
  }
  static void write_line(std::FILE* stream, std::string_view line) {
    std::fwrite(line.data(), 1, line.size(), stream);
    std::fputc('\n', stream);
    std::fflush(stream);
  }
  std::FILE* out_;
  std::FILE* err_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace

std::unique_ptr<Terminal> make_stdout_terminal() { return std::make_unique<StdoutTerminal>(stdout, stderr); }

std::unique_ptr<Terminal> make_plain_terminal(std::FILE* out, std::FILE* err) {
  return std::make_unique<StdoutTerminal>(out, err);
}

}  // namespace xb

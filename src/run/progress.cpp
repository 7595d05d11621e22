// The --progress terminals. json writes one object per event, flushed per line, for other
// programs, and the run's summary as one last event. tty keeps a board at the bottom of the
// screen: a header counting the run's jobs ("[+] 12.3s 6/15 done, 2 running, 7 queued"), then
// one row per running job (elapsed time and its last output line), redrawn in place — the cursor goes up over the rows
// drawn last time, clears to the end of the screen, prints whatever became permanent since (finished jobs collapse to
// one line each, the last lines of a failed job, xbuild's messages) and then the rows of the jobs still running.
// Redraws come with events, at most every 50 ms for output lines, a finished job always redraws, and the scheduler's
// clock redraws every half second so that the elapsed times of silent jobs keep counting.
#include <sys/ioctl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <string>
#include <vector>

#include "run/progress.h"
#include "run/terminal.h"
#include "util/strings.h"

namespace xb {

namespace {

using Clock = std::chrono::steady_clock;

void write_line(std::FILE* stream, std::string_view line) {
  std::fwrite(line.data(), 1, line.size(), stream);
  std::fputc('\n', stream);
  std::fflush(stream);
}

class JsonTerminal : public Terminal {
 public:
  explicit JsonTerminal(std::FILE* out) : out_(out) {}
  // The summary is the stream's last line, after the closing messages (what was written).
  ~JsonTerminal() override {
    if (!summary_.empty()) emit(summary_);
  }
  void output_line(std::string_view line) override {
    emit("{\"event\":\"message\",\"text\":" + json_quote(line) + "}");
  }
  void status_line(std::string_view line) override { emit("{\"event\":\"status\",\"text\":" + json_quote(line) + "}"); }
  void job_started(const JobInfo& job) override { emit("{\"event\":\"started\"," + names(job) + "}"); }
  void job_line(const JobInfo& job, std::string_view line) override {
    emit("{\"event\":\"output\"," + names(job) + ",\"line\":" + json_quote(line) + "}");
  }
  void job_finished(const JobInfo& job, std::string_view state, double seconds, std::int64_t exit_status,
                    std::string_view detail) override {
    char elapsed[32];
    std::snprintf(elapsed, sizeof elapsed, "%.3f", seconds);
    emit("{\"event\":\"finished\"," + names(job) + ",\"state\":" + json_quote(state) + ",\"elapsed\":" + elapsed +
         ",\"exit\":" + (exit_status < 0 ? std::string("null") : std::to_string(exit_status)) +
         (detail.empty() ? "" : ",\"detail\":" + json_quote(detail)) + "}");
  }
  // The summary as data: the human table would be free text in a stream of events.
  void run_summary(std::string_view table, std::string_view event) override {
    (void)table;
    summary_ = event;
  }

 private:
  static std::string names(const JobInfo& job) {
    return "\"platform\":" + json_quote(job.platform) + ",\"stage\":" + json_quote(job.stage);
  }
  void emit(const std::string& object) { write_line(out_, object); }
  std::FILE* out_;
  std::string summary_;
};

class TtyTerminal : public Terminal {
 public:
  TtyTerminal(std::FILE* out, bool color) : out_(out), color_(color) {}
  ~TtyTerminal() override { redraw(); }

  void output_line(std::string_view line) override { permanent(std::string(line)); }
  void status_line(std::string_view line) override { permanent(std::string(line)); }
  void run_started(std::size_t jobs) override {
    total_ = jobs;
    done_ = 0;
    run_began_ = Clock::now();
    active_ = true;
  }
  void run_finished() override {
    active_ = false;
    redraw();
  }
  void job_started(const JobInfo& job) override {
    rows_.push_back({job, Clock::now(), {}});
    redraw();
  }
  void job_line(const JobInfo& job, std::string_view line) override {
    Row* row = find(job);
    if (!row) return;
    row->tail.emplace_back(line);
    if (row->tail.size() > kTailLines) row->tail.pop_front();
    if (Clock::now() - last_draw_ >= std::chrono::milliseconds(50)) redraw();
  }
  void tick() override {
    if (active_ || !rows_.empty()) redraw();
  }
  // A finished job collapses to one line. Only a failure is red and keeps its last lines on
  // screen: a job cancelled or skipped because of another is drawn apart, without its output,
  // so the one that failed stands out.
  void job_finished(const JobInfo& job, std::string_view state, double seconds, std::int64_t exit_status,
                    std::string_view detail) override {
    (void)exit_status;
    ++done_;
    bool failure = state == "failed" || state == "timed out";
    std::string mark = state == "ok"       ? paint("32", "✔")
                       : state == "cached" ? paint("2", "✔")
                       : failure           ? paint("31", "✘")
                                           : paint("33", "-");
    char line[512];
    if (state == "ok" || failure || (state == "cancelled" && seconds > 0))
      std::snprintf(line, sizeof line, "%s %s %s %.1fs", mark.c_str(), job.label.c_str(), std::string(state).c_str(),
                    seconds);
    else
      std::snprintf(line, sizeof line, "%s %s %s", mark.c_str(), job.label.c_str(), std::string(state).c_str());
    std::string text = line;
    if (!detail.empty()) text += " (" + std::string(detail) + ")";
    pending_.push_back(state == "cancelled" || state == "skipped" ? paint("2", text) : text);
    for (std::size_t i = 0; i < rows_.size(); ++i) {
      if (rows_[i].job.label != job.label) continue;
      if (failure)
        for (const std::string& tail : rows_[i].tail) pending_.push_back("  " + paint("2", "│") + " " + tail);
      rows_.erase(rows_.begin() + static_cast<std::ptrdiff_t>(i));
      break;
    }
    redraw();
  }

 private:
  static constexpr std::size_t kTailLines = 5;
  struct Row {
    JobInfo job;
    Clock::time_point started;
    std::deque<std::string> tail;
  };

  Row* find(const JobInfo& job) {
    for (Row& row : rows_)
      if (row.job.label == job.label) return &row;
    return nullptr;
  }

  // "[+] 12.3s 6/15 done, 2 running, 7 queued": the whole run at a glance, above the rows.
  std::string header() const {
    std::size_t running = rows_.size();
    std::size_t queued = total_ > done_ + running ? total_ - done_ - running : 0;
    char text[128];
    std::snprintf(text, sizeof text, "[+] %.1fs %zu/%zu done, %zu running, %zu queued",
                  std::chrono::duration<double>(Clock::now() - run_began_).count(), done_, total_, running, queued);
    return text;
  }

  std::string paint(const char* code, std::string_view text) const {
    if (!color_) return std::string(text);
    return std::string("\x1b[") + code + "m" + std::string(text) + "\x1b[0m";
  }

  void permanent(std::string line) {
    pending_.push_back(std::move(line));
    redraw();
  }

  std::size_t width() const {
    struct winsize size {};
    if (::ioctl(::fileno(out_), TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
    return 80;
  }

  void redraw() {
    std::string frame;
    if (drawn_ > 0) frame += "\x1b[" + std::to_string(drawn_) + "A";
    frame += "\r\x1b[J";
    for (const std::string& line : pending_) frame += line + "\n";
    pending_.clear();
    std::size_t columns = width();
    std::size_t lines = rows_.size();
    if (active_) {
      frame += paint("1", header()) + "\n";
      ++lines;
    }
    for (const Row& row : rows_) {
      char head[256];
      double elapsed = std::chrono::duration<double>(Clock::now() - row.started).count();
      std::snprintf(head, sizeof head, "[+] %5.1fs %s", elapsed, row.job.label.c_str());
      std::string text = head;
      if (!row.tail.empty()) text += "  " + row.tail.back();
      if (text.size() > columns - 1) text.resize(columns - 1);  // one screen line per row
      frame += paint("36", text) + "\n";
    }
    drawn_ = lines;
    std::fwrite(frame.data(), 1, frame.size(), out_);
    std::fflush(out_);
    last_draw_ = Clock::now();
  }

  std::FILE* out_;
  bool color_;
  std::vector<Row> rows_;
  std::vector<std::string> pending_;
  std::size_t drawn_ = 0;
  bool active_ = false;  // between run_started and run_finished: the header is drawn
  std::size_t total_ = 0;
  std::size_t done_ = 0;
  Clock::time_point run_began_ = Clock::now();
  Clock::time_point last_draw_{};
};

}  // namespace

std::unique_ptr<Terminal> make_json_terminal(std::FILE* out) { return std::make_unique<JsonTerminal>(out); }

std::unique_ptr<Terminal> make_tty_terminal(std::FILE* out, bool color) {
  return std::make_unique<TtyTerminal>(out, color);
}

std::unique_ptr<Terminal> make_progress_terminal(std::string_view mode) {
  if (mode == "auto") {
    const char* term = std::getenv("TERM");
    bool dumb = term && std::string_view(term) == "dumb";
    mode = ::isatty(STDOUT_FILENO) && !dumb ? "tty" : "plain";
  }
  const char* no_color = std::getenv("NO_COLOR");
  if (mode == "plain") return make_stdout_terminal();
  if (mode == "json") return make_json_terminal(stdout);
  if (mode == "tty") return make_tty_terminal(stdout, !(no_color && *no_color));
  return nullptr;
}

}  // namespace xb

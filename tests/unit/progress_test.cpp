// The --progress terminals: plain and json by exact content, tty on a real pseudo-terminal.
#include "run/progress.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <pty.h>
#include <unistd.h>

#include <cstdio>
#include <string>

namespace xb {
namespace {

const JobInfo kBuild{"linux/arm64", "build", "linux/arm64 build"};
const JobInfo kTest{"linux/arm64", "test", "linux/arm64 test"};

// Everything written to a FILE*, read back.
class Capture {
 public:
  Capture() : file_(std::tmpfile()) {}
  ~Capture() { std::fclose(file_); }
  std::FILE* file() { return file_; }
  std::string text() {
    std::fflush(file_);
    std::rewind(file_);
    std::string out;
    char buffer[4096];
    while (std::size_t n = std::fread(buffer, 1, sizeof buffer, file_)) out.append(buffer, n);
    return out;
  }

 private:
  std::FILE* file_;
};

TEST(Progress, PlainPrefixesEachJobLine) {
  RecordingTerminal terminal;
  terminal.job_started(kBuild);
  terminal.job_line(kBuild, "cc -o hello hello.c");
  terminal.job_finished(kBuild, "ok", 1.5, 0, "");
  EXPECT_EQ(terminal.lines, std::vector<std::string>{"[linux/arm64 build] cc -o hello hello.c"});
}

TEST(Progress, PlainSaysWhenEachJobStartsAndEndsAndHowItEnded) {
  Capture out, err;
  std::unique_ptr<Terminal> terminal = make_plain_terminal(out.file(), err.file());
  terminal->job_started(kBuild);
  terminal->job_line(kBuild, "cc -o hello hello.c");
  terminal->status_line("xbuild: a message");
  terminal->job_finished(kBuild, "ok", 1.5, 0, "");
  terminal->job_started(kTest);
  terminal->job_finished(kTest, "failed", 0.25, 3, "");
  terminal->job_finished({"linux/amd64", "test", "linux/amd64 test"}, "cancelled", 0, -1,
                         "because linux/arm64 test failed");
  terminal->job_finished({"linux/amd64", "build", "linux/amd64 build"}, "cancelled", 2, -1,
                         "because linux/arm64 test failed");
  terminal->job_finished({"linux/s390x", "build", "linux/s390x build"}, "cached", 0, -1, "");
  terminal->job_finished({"linux/s390x", "test", "linux/s390x test"}, "skipped", 0, -1,
                         "because linux/s390x build, which it needs, failed");
  terminal->job_finished({"linux/riscv64", "test", "linux/riscv64 test"}, "timed out", 60, -1, "");
  std::string text = out.text();
  // The offsets count from the terminal's start: well under a second here.
  for (char& c : text)
    if (c >= '0' && c <= '9') c = 'N';
  EXPECT_EQ(text,
            "[+N.Ns] linux/armNN build started\n"
            "[linux/armNN build] cc -o hello hello.c\n"
            "[+N.Ns] linux/armNN build ok in N.Ns\n"
            "[+N.Ns] linux/armNN test started\n"
            "[+N.Ns] linux/armNN test failed in N.Ns (exit status N)\n"
            "[+N.Ns] linux/amdNN test cancelled (because linux/armNN test failed)\n"
            "[+N.Ns] linux/amdNN build cancelled in N.Ns (because linux/armNN test failed)\n"
            "[+N.Ns] linux/sNNNx build cached\n"
            "[+N.Ns] linux/sNNNx test skipped (because linux/sNNNx build, which it needs, failed)\n"
            "[+N.Ns] linux/riscvNN test timed out after NN.Ns\n");
  EXPECT_EQ(err.text(), "xbuild: a message\n");
}

TEST(Progress, JsonWritesOneObjectPerEvent) {
  Capture capture;
  {
    std::unique_ptr<Terminal> terminal = make_json_terminal(capture.file());
    terminal->job_started(kBuild);
    terminal->job_line(kBuild, "say \"hi\"\tnow\\");
    terminal->job_finished(kBuild, "ok", 1.25, 0, "");
    terminal->job_started(kTest);
    terminal->job_finished(kTest, "timed out", 30.0004, -1, "");
    terminal->status_line("xbuild: stage \"test\" failed on linux/arm64 (timed out after 30s)");
    terminal->job_finished(kTest, "cancelled", 0, -1, "because linux/arm64 build failed");
    terminal->output_line("index sha256:abc");
    terminal->run_summary("PLATFORM ...\n", "{\"event\":\"summary\"}");
  }
  EXPECT_EQ(
      capture.text(),
      "{\"event\":\"started\",\"platform\":\"linux/arm64\",\"stage\":\"build\"}\n"
      "{\"event\":\"output\",\"platform\":\"linux/arm64\",\"stage\":\"build\",\"line\":\"say \\\"hi\\\"\\tnow\\\\\"}\n"
      "{\"event\":\"finished\",\"platform\":\"linux/arm64\",\"stage\":\"build\",\"state\":\"ok\",\"elapsed\":1.250,"
      "\"exit\":0}\n"
      "{\"event\":\"started\",\"platform\":\"linux/arm64\",\"stage\":\"test\"}\n"
      "{\"event\":\"finished\",\"platform\":\"linux/arm64\",\"stage\":\"test\",\"state\":\"timed out\","
      "\"elapsed\":30.000,\"exit\":null}\n"
      "{\"event\":\"status\",\"text\":\"xbuild: stage \\\"test\\\" failed on linux/arm64 (timed out after 30s)\"}\n"
      "{\"event\":\"finished\",\"platform\":\"linux/arm64\",\"stage\":\"test\",\"state\":\"cancelled\","
      "\"elapsed\":0.000,\"exit\":null,\"detail\":\"because linux/arm64 build failed\"}\n"
      "{\"event\":\"message\",\"text\":\"index sha256:abc\"}\n"
      "{\"event\":\"summary\"}\n");
}

// A pseudo-terminal 60 columns wide; what the terminal side receives, read from the master.
class Pty {
 public:
  Pty() {
    struct winsize size {};
    size.ws_col = 60;
    size.ws_row = 20;
    EXPECT_EQ(openpty(&master_, &slave_, nullptr, nullptr, &size), 0);
    struct termios mode {};
    tcgetattr(slave_, &mode);
    cfmakeraw(&mode);  // no "\n" -> "\r\n"
    tcsetattr(slave_, TCSANOW, &mode);
    stream_ = fdopen(slave_, "w");
    fcntl(master_, F_SETFL, O_NONBLOCK);
  }
  ~Pty() {
    std::fclose(stream_);
    close(master_);
  }
  std::FILE* stream() { return stream_; }
  std::string read_all() {
    std::string out;
    char buffer[4096];
    ssize_t n;
    while ((n = read(master_, buffer, sizeof buffer)) > 0) out.append(buffer, static_cast<std::size_t>(n));
    return out;
  }

 private:
  int master_ = -1, slave_ = -1;
  std::FILE* stream_ = nullptr;
};

TEST(Progress, TtyRedrawsTheRunningRowsInPlaceAndCollapsesFinishedOnes) {
  Pty pty;
  std::unique_ptr<Terminal> terminal = make_tty_terminal(pty.stream(), false);
  terminal->job_started(kBuild);
  EXPECT_EQ(pty.read_all(), "\r\x1b[J[+]   0.0s linux/arm64 build\n");
  terminal->job_started(kTest);
  EXPECT_EQ(pty.read_all(), "\x1b[1A\r\x1b[J[+]   0.0s linux/arm64 build\n[+]   0.0s linux/arm64 test\n");
  terminal->job_finished(kBuild, "ok", 1.5, 0, "");
  EXPECT_EQ(pty.read_all(), "\x1b[2A\r\x1b[J✔ linux/arm64 build ok 1.5s\n[+]   0.0s linux/arm64 test\n");
  terminal->job_line(kTest, "running a very long test line that does not fit in sixty columns at all");
  terminal->job_finished(kTest, "failed", 0.25, 1, "");
  std::string last = pty.read_all();
  EXPECT_EQ(last.substr(last.rfind("\x1b[1A")),
            "\x1b[1A\r\x1b[J✘ linux/arm64 test failed 0.2s\n"
            "  │ running a very long test line that does not fit in sixty columns at all\n");
  terminal.reset();
  EXPECT_EQ(pty.read_all(), "\r\x1b[J");
}

// The header counts the run's jobs; a job cancelled because of another is one dim line, no ✘ and
// none of its output, so the failure it follows stands out.
TEST(Progress, TtyHeaderCountsTheJobsAndCancelledJobsAreNotFailures) {
  Pty pty;
  std::unique_ptr<Terminal> terminal = make_tty_terminal(pty.stream(), false);
  const JobInfo other{"linux/amd64", "build", "linux/amd64 build"};
  terminal->run_started(5);
  terminal->job_finished({"linux/s390x", "build", "linux/s390x build"}, "cached", 0, -1, "");
  EXPECT_EQ(pty.read_all(), "\r\x1b[J✔ linux/s390x build cached\n[+] 0.0s 1/5 done, 0 running, 4 queued\n");
  terminal->job_started(kBuild);
  terminal->job_started(other);
  EXPECT_EQ(pty.read_all(),
            "\x1b[1A\r\x1b[J[+] 0.0s 1/5 done, 1 running, 3 queued\n[+]   0.0s linux/arm64 build\n"
            "\x1b[2A\r\x1b[J[+] 0.0s 1/5 done, 2 running, 2 queued\n[+]   0.0s linux/arm64 build\n"
            "[+]   0.0s linux/amd64 build\n");
  terminal->job_line(other, "compiling");
  terminal->job_finished(kBuild, "failed", 0.5, 1, "");
  terminal->job_finished(other, "cancelled", 0.5, -1, "because linux/arm64 build failed");
  std::string last = pty.read_all();
  EXPECT_EQ(last.substr(last.rfind("\x1b[")),
            "\x1b[J- linux/amd64 build cancelled 0.5s (because linux/arm64 build failed)\n"
            "[+] 0.0s 3/5 done, 0 running, 2 queued\n");
  EXPECT_EQ(last.find("│ compiling"), std::string::npos) << last;
  terminal->job_finished(kTest, "cancelled", 0, -1, "because linux/arm64 build failed");
  terminal->run_finished();
  last = pty.read_all();
  EXPECT_EQ(last.substr(last.rfind("\x1b[")), "\x1b[J");
  EXPECT_NE(last.find("- linux/arm64 test cancelled (because linux/arm64 build failed)\n[+] 0.0s 4/5 done"),
            std::string::npos)
      << last;
}

TEST(Progress, TtyColorsUnlessAskedNotTo) {
  Pty pty;
  std::unique_ptr<Terminal> terminal = make_tty_terminal(pty.stream(), true);
  terminal->job_started(kBuild);
  terminal->job_line(kBuild, std::string(100, 'x'));
  terminal->job_finished(kBuild, "ok", 2, 0, "");
  std::string out = pty.read_all();
  EXPECT_NE(out.find("\x1b[32m✔\x1b[0m linux/arm64 build ok 2.0s\n"), std::string::npos) << out;
  EXPECT_NE(out.find("\x1b[36m[+]   0.0s linux/arm64 build\x1b[0m\n"), std::string::npos) << out;
}

TEST(Progress, UnknownModeIsRefused) { EXPECT_EQ(make_progress_terminal("fancy"), nullptr); }

}  // namespace
}  // namespace xb

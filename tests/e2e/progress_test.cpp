// --progress end to end: json by exact content (times and digests masked), and auto on a
// pseudo-terminal, which draws the live board.
#include <gtest/gtest.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <regex>

#include "e2e/e2e_support.h"

namespace xb::testing {
namespace {

namespace fs = std::filesystem;

const char* const kConfig = R"(
[project]
name = "hello"

[targets]
platforms = ["linux/amd64"]

[stage.build]
run = 'make -s -C src CC="$CC" OUT="$XBUILD_OUT"'

[stage.test]
needs = ["build"]
run = '$XBUILD_EXEC "$XBUILD_OUT/hello" --self-test'

[image]
entrypoint = ["/app/hello"]
copy = [{ from = "hello", to = "/app/hello" }]
)";

std::string mask(std::string text) {
  text = std::regex_replace(text, std::regex("sha256:[0-9a-f]+"), "sha256:D");
  text = std::regex_replace(text, std::regex("\"(elapsed|seconds|wall_seconds)\":[0-9.]+"), "\"$1\":T");
  text = std::regex_replace(text, std::regex("[0-9]+\\.[0-9] ?s\\b"), "Ts");
  return text;
}

TEST(Progress, JsonIsOneEventPerLine) {
  XB_REQUIRE_TOOLS("make");
  ScratchDir scratch;
  fs::path project = copy_example("hello", scratch / "hello");
  scratch.write("hello/xbuild.toml", kConfig);
  CommandResult result = xbuild({"run", "--progress", "json", "-o", "oci:" + (scratch / "layout").string()}, project);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.err, "");
  EXPECT_EQ(
      mask(result.out),
      "{\"event\":\"started\",\"platform\":\"linux/amd64\",\"stage\":\"build\"}\n"
      "{\"event\":\"finished\",\"platform\":\"linux/amd64\",\"stage\":\"build\",\"state\":\"ok\",\"elapsed\":T,"
      "\"exit\":0}\n"
      "{\"event\":\"started\",\"platform\":\"linux/amd64\",\"stage\":\"test\"}\n"
      "{\"event\":\"output\",\"platform\":\"linux/amd64\",\"stage\":\"test\",\"line\":\"self-test passed on amd64 "
      "(64-bit)\"}\n"
      "{\"event\":\"finished\",\"platform\":\"linux/amd64\",\"stage\":\"test\",\"state\":\"ok\",\"elapsed\":T,"
      "\"exit\":0}\n"
      "{\"event\":\"message\",\"text\":\"xbuild: built 1 platform in Ts; wrote oci:" +
          (scratch / "layout").string() +
          " (tag latest)\"}\n"
          "{\"event\":\"message\",\"text\":\"  linux/amd64  sha256:D\"}\n"
          "{\"event\":\"message\",\"text\":\"  index        sha256:D\"}\n"
          "{\"event\":\"summary\",\"result\":\"ok\",\"wall_seconds\":T,\"jobs\":["
          "{\"platform\":\"linux/amd64\",\"stage\":\"build\",\"state\":\"ok\",\"seconds\":T,\"detail\":\"\"},"
          "{\"platform\":\"linux/amd64\",\"stage\":\"test\",\"state\":\"ok\",\"seconds\":T,\"detail\":\"\"}],"
          "\"index_digest\":\"sha256:D\"}\n");
}

TEST(Progress, PlainIsPrefixedLines) {
  XB_REQUIRE_TOOLS("make");
  ScratchDir scratch;
  fs::path project = copy_example("hello", scratch / "hello");
  scratch.write("hello/xbuild.toml", kConfig);
  CommandResult result = xbuild({"run", "--progress", "plain", "-o", "oci:" + (scratch / "layout").string()}, project);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(mask(result.out),
            "[+Ts] linux/amd64 build started\n"
            "[+Ts] linux/amd64 build ok in Ts\n"
            "[+Ts] linux/amd64 test started\n"
            "[linux/amd64 test] self-test passed on amd64 (64-bit)\n"
            "[+Ts] linux/amd64 test ok in Ts\n"
            "PLATFORM     STRATEGY  STAGES\n"
            "linux/amd64  native    build ok Ts, test ok Ts\n"
            "xbuild: built 1 platform in Ts; wrote oci:" +
                (scratch / "layout").string() +
                " (tag latest)\n"
                "  linux/amd64  sha256:D\n"
                "  index        sha256:D\n");
}

// Runs xbuild with its stdout and stderr on a pseudo-terminal and returns what it drew.
std::string run_on_pty(const std::vector<std::string>& args, const fs::path& cwd, int* status,
                       const char* term = "xterm") {
  struct winsize size {};
  size.ws_col = 100;
  size.ws_row = 30;
  int master = -1;
  std::string binary = xbuild_binary().string();  // before chdir: it may be relative to here
  pid_t child = forkpty(&master, nullptr, nullptr, &size);
  if (child == 0) {
    if (chdir(cwd.c_str()) != 0) _exit(127);
    setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
    setenv("NO_COLOR", "1", 1);
    setenv("TERM", term, 1);
    std::vector<char*> argv = {binary.data()};
    std::vector<std::string> copies = args;
    for (std::string& arg : copies) argv.push_back(arg.data());
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  std::string out;
  char buffer[4096];
  ssize_t n;
  while ((n = read(master, buffer, sizeof buffer)) > 0) out.append(buffer, static_cast<std::size_t>(n));
  close(master);
  waitpid(child, status, 0);
  return out;
}

TEST(Progress, AutoOnATerminalDrawsTheBoard) {
  XB_REQUIRE_TOOLS("make");
  ScratchDir scratch;
  fs::path project = copy_example("hello", scratch / "hello");
  scratch.write("hello/xbuild.toml", kConfig);
  int status = 0;
  std::string drawn = run_on_pty({"run", "--no-cache", "-o", "oci:" + (scratch / "layout").string()}, project, &status);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << drawn;
  // The header counts the run's jobs above the rows of the running ones.
  EXPECT_NE(drawn.find("\r\x1b[J[+] 0.0s 0/2 done, 1 running, 1 queued\r\n[+]   0.0s linux/amd64 build\r\n"),
            std::string::npos)
      << drawn;
  EXPECT_NE(drawn.find("\x1b[2A\r\x1b[J✔ linux/amd64 build ok "), std::string::npos) << drawn;
  EXPECT_TRUE(std::regex_search(drawn, std::regex("\\[\\+\\] [0-9.]+s 1/2 done, 1 running, 0 queued\r\n"))) << drawn;
  EXPECT_NE(drawn.find("✔ linux/amd64 test ok "), std::string::npos) << drawn;
  EXPECT_EQ(drawn.find("[linux/amd64 test] "), std::string::npos) << "no prefixed lines on the board:\n" << drawn;
  EXPECT_EQ(drawn.find("\x1b[3"), std::string::npos) << "NO_COLOR is set";
  EXPECT_NE(drawn.find("  index        sha256:"), std::string::npos) << drawn;
}

// A terminal that cannot move its cursor (TERM=dumb, as Emacs' shell and some CI consoles set it)
// gets the plain lines, no escape sequence at all.
TEST(Progress, AutoOnADumbTerminalIsPlain) {
  XB_REQUIRE_TOOLS("make");
  ScratchDir scratch;
  fs::path project = copy_example("hello", scratch / "hello");
  scratch.write("hello/xbuild.toml", kConfig);
  int status = 0;
  std::string drawn =
      run_on_pty({"run", "--no-cache", "-o", "oci:" + (scratch / "layout").string()}, project, &status, "dumb");
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << drawn;
  EXPECT_EQ(drawn.find('\x1b'), std::string::npos) << drawn;
  EXPECT_NE(drawn.find("[linux/amd64 test] self-test passed on amd64 (64-bit)\r\n"), std::string::npos) << drawn;
  EXPECT_NE(mask(drawn).find("[+Ts] linux/amd64 test ok in Ts\r\n"), std::string::npos) << drawn;
}

}  // namespace
}  // namespace xb::testing

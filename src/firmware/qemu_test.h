// Runs a firmware test image under qemu-system-arm with semihosting and decides pass or fail.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "toolchain/firmware_target.h"
#include "util/error.h"

namespace xb::firmware {

// Unity's summary with no failures, then OK (an ECMAScript regex searched in the console). Unity
// ends the summary line with a space; a console may end lines with \r\n.
inline constexpr const char* kDefaultPassPattern =
    "(^|\\n)[0-9]+ Tests 0 Failures [0-9]+ Ignored ?\\r?\\nOK ?\\r?(\\n|$)";

// How many of the console's last non-blank lines a failed verdict quotes.
inline constexpr std::size_t kQuotedLines = 5;

struct TestOptions {
  std::filesystem::path elf;
  std::chrono::milliseconds timeout{10000};
  std::string pass_pattern = kDefaultPassPattern;
  std::function<void(std::string_view line)> on_line;  // each console line as it comes
};

struct TestOutcome {
  bool passed = false;
  bool timed_out = false;
  std::int64_t exit_code = 0;
  bool pattern_matched = false;
  std::string verdict;                    // the one-line result printed after the console output
  std::vector<std::string> console_tail;  // failed: the console's last non-blank lines (at most kQuotedLines)
  std::vector<std::string> hint;          // failed before QEMU started: why, and how to fix it
};

// How QEMU ended.
struct QemuEnd {
  bool timed_out = false;
  int term_signal = 0;
  std::int64_t exit_code = 0;
};

// The verdict on a finished run: the exit code first (semihosting hands QEMU the firmware's
// own), then the pass pattern (ECMAScript) searched in the whole console. `timeout` is only
// named in the verdict. A pattern that is not a valid regex is an error.
Result<TestOutcome> judge(const QemuEnd& end, const std::string& console, const std::string& pass_pattern,
                          std::chrono::milliseconds timeout);

// The lines `xbuild firmware test` prints after the verdict of a failed test: a heading and the
// quoted tail, or a line saying the console was empty; for a test that failed before QEMU
// started, the hint.
std::vector<std::string> quoted_console(const TestOutcome& outcome);

// The qemu-system-arm command line for `elf` on the target's machine and CPU.
std::vector<std::string> qemu_command(const Target& target, const std::filesystem::path& elf);

// Runs the test synchronously (util/probe.h run_sync). Passed: QEMU exits 0 and the console matches the pattern.
// An ELF without a vector table where the target's ldflags put it (firmware/vector_table.h)
// fails at once, with a hint, and QEMU is not started.
// At the timeout QEMU's process group is ended and the test fails. A bad pattern or a QEMU that
// cannot start is an error.
Result<TestOutcome> run_test(const Target& target, const TestOptions& options);

}  // namespace xb::firmware

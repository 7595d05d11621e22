// Runs a firmware test image under qemu-system-arm with semihosting and decides pass or fail.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
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

// QEMU's instruction counting (-icount shift=N,align=off,sleep=off): every instruction moves the
// virtual clock on by 2^N ns, so the board's timers follow the program instead of the host's load,
// and an idle CPU jumps to its next timer at once. N = 6 is a 15.6 MHz virtual CPU. QEMU takes
// shifts 0 to 10.
inline constexpr int kDefaultIcountShift = 6;
inline constexpr int kMaxIcountShift = 10;

struct TestOptions {
  std::filesystem::path elf;
  std::chrono::milliseconds timeout{10000};
  // No console output for this long: the test hung and is stopped (0: never; at most `timeout`).
  std::chrono::milliseconds hang_timeout{10000};
  std::optional<int> icount_shift = kDefaultIcountShift;  // nullopt: QEMU's clock follows the host's
  std::string pass_pattern = kDefaultPassPattern;
  std::function<void(std::string_view line)> on_line;  // each console line as it comes
};

struct TestOutcome {
  bool passed = false;
  bool timed_out = false;
  bool hung = false;  // stopped after `hang_timeout` without console output
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
  bool hung = false;  // stopped for want of console output
};

// The verdict on a finished run: a hang or the timeout, then the exit code (semihosting hands
// QEMU the firmware's own), then the pass pattern (ECMAScript) searched in the whole console.
// A hung verdict names the last test the console reported (firmware/test_lines.h: hung_where).
// `timeout` and `hang_timeout` are only named in the verdict. A pattern that is not a valid
// regex is an error.
Result<TestOutcome> judge(const QemuEnd& end, const std::string& console, const std::string& pass_pattern,
                          std::chrono::milliseconds timeout, std::chrono::milliseconds hang_timeout);

// The lines `xbuild firmware test` prints after the verdict of a failed test: a heading and the
// quoted tail, or a line saying the console was empty; for a test that failed before QEMU
// started, the hint.
std::vector<std::string> quoted_console(const TestOutcome& outcome);

// The line `xbuild firmware test` prints after the console: "firmware test <elf's file name> on
// <cpu> (<machine>): <verdict>".
std::string verdict_line(const Target& target, const std::filesystem::path& elf, const TestOutcome& outcome);

// What the last failed verdict line in a log says after "FAILED: " ("hung after x (...); ...",
// "exit code 1"), or nullopt when the log has none.
std::optional<std::string> last_failed_verdict(std::string_view log);

// The qemu-system-arm command line for `elf` on the target's machine and CPU, with instruction
// counting at `icount_shift` when it is given, and `program_args` as the program's semihosting
// arguments (the first its name; QEMU joins them with spaces).
std::vector<std::string> qemu_command(const Target& target, const std::filesystem::path& elf,
                                      std::optional<int> icount_shift = std::nullopt,
                                      const std::vector<std::string>& program_args = {});

// Runs the test synchronously (util/probe.h run_sync). Passed: QEMU exits 0 and the console matches the pattern.
// An ELF without a vector table where the target's ldflags put it (firmware/vector_table.h)
// fails at once, with a hint, and QEMU is not started.
// At the timeout, or when the console has been silent for the hang timeout, QEMU's process group
// is ended (SIGTERM, then SIGKILL) and the test fails. A bad pattern or a QEMU that cannot start
// is an error.
Result<TestOutcome> run_test(const Target& target, const TestOptions& options);

}  // namespace xb::firmware

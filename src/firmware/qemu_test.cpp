// A firmware test run: qemu-system-arm -M <machine> -cpu <qemu_cpu> -nographic -monitor none
// -semihosting-config enable=on,target=native [-icount shift=N,align=off,sleep=off] <qemu_args>
// -kernel <elf>, run synchronously (util/probe.h run_sync) in a process group of its own. Console
// lines are collected (and handed to the caller as they come); with semihosting, QEMU exits with
// the program's own exit code. At the timeout, or once the console has been silent for the hang
// timeout (run_sync's idle timeout), the process group is terminated (SIGTERM, then SIGKILL
// after 1 s) and the run is a failure whatever the console said; a hang's verdict names the
// last test the console reported (test_lines.h). Otherwise the verdict combines the exit code with a regex
// searched in the whole console (Unity's summary by default), so a firmware that exits 0
// without printing its summary, or prints it and then crashes, fails. A failed verdict keeps
// the console's last non-blank lines, read backwards from its end, to quote them. Before all
// that, an ELF without a vector table fails without starting QEMU (vector_table.h).
#include "firmware/qemu_test.h"

#include <algorithm>
#include <regex>

#include "firmware/test_lines.h"
#include "firmware/vector_table.h"
#include "util/probe.h"
#include "util/strings.h"

namespace xb::firmware {

std::vector<std::string> qemu_command(const Target& target, const std::filesystem::path& elf,
                                      std::optional<int> icount_shift, const std::vector<std::string>& program_args) {
  std::string semihosting = "enable=on,target=native";
  for (const std::string& arg : program_args)
    semihosting += ",arg=" + replace_all(arg, ",", ",,");  // QEMU's comma escape
  std::vector<std::string> command = {"qemu-system-arm",     "-M",         target.machine, "-cpu",
                                      target.qemu_cpu,       "-nographic", "-monitor",     "none",
                                      "-semihosting-config", semihosting};
  if (icount_shift) {
    command.push_back("-icount");
    command.push_back("shift=" + std::to_string(*icount_shift) + ",align=off,sleep=off");
  }
  command.insert(command.end(), target.qemu_args.begin(), target.qemu_args.end());
  command.push_back("-kernel");
  command.push_back(elf.string());
  return command;
}

namespace {

Result<std::regex> compile(const std::string& pass_pattern) {
  try {
    return std::regex(pass_pattern, std::regex::ECMAScript);
  } catch (const std::regex_error& error) {
    return Failure{"the pass pattern \"" + pass_pattern + "\" is not a valid regex (" + error.what() + ")"};
  }
}

// The last non-blank lines of the console, without trailing spaces or carriage returns.
std::vector<std::string> console_tail(const std::string& console) {
  std::vector<std::string> tail;
  std::size_t end = console.size();
  while (end > 0 && tail.size() < kQuotedLines) {
    std::size_t start = console.rfind('\n', end - 1);
    start = start == std::string::npos ? 0 : start + 1;
    std::string line = console.substr(start, end - start);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t' || line.back() == '\n'))
      line.pop_back();
    if (!line.empty()) tail.insert(tail.begin(), line);
    end = start == 0 ? 0 : start - 1;
  }
  return tail;
}

// QEMU's notice of the SIGTERM that stopped it, which says nothing about the firmware.
constexpr const char* kStopNotice = "qemu-system-arm: terminating on signal ";

std::string without_stop_notice(const std::string& console) {
  std::size_t at = console.rfind(kStopNotice);
  if (at == std::string::npos || (at > 0 && console[at - 1] != '\n')) return console;
  return console.substr(0, at);
}

}  // namespace

Result<TestOutcome> judge(const QemuEnd& end, const std::string& console, const std::string& pass_pattern,
                          std::chrono::milliseconds timeout, std::chrono::milliseconds hang_timeout) {
  Result<std::regex> pattern = compile(pass_pattern);
  if (!pattern) return Failure{pattern.error()};
  TestOutcome outcome;
  outcome.timed_out = end.timed_out;
  outcome.hung = end.hung;
  outcome.exit_code = end.exit_code;
  outcome.pattern_matched = std::regex_search(console, pattern.value());
  if (outcome.hung) {
    outcome.verdict = "FAILED: hung " + hung_where(without_stop_notice(console)) + " (no console output for " +
                      std::to_string(hang_timeout.count()) + " ms); qemu-system-arm was stopped";
  } else if (outcome.timed_out) {
    outcome.verdict =
        "FAILED: no exit after the timeout (" + std::to_string(timeout.count()) + " ms); qemu-system-arm was stopped";
  } else if (end.term_signal != 0) {
    outcome.verdict = "FAILED: qemu-system-arm ended by signal " + std::to_string(end.term_signal);
  } else if (outcome.exit_code != 0) {
    outcome.verdict = "FAILED: exit code " + std::to_string(outcome.exit_code);
  } else if (!outcome.pattern_matched) {
    outcome.verdict = "FAILED: exit code 0 but the console never matched the pass pattern";
  } else {
    outcome.passed = true;
    outcome.verdict = "passed (exit code 0, pass pattern matched)";
  }
  if (!outcome.passed) outcome.console_tail = console_tail(console);
  // QEMU's notice of the SIGTERM that ended it says nothing about the firmware.
  if ((outcome.timed_out || outcome.hung) && !outcome.console_tail.empty() &&
      outcome.console_tail.back().rfind(kStopNotice, 0) == 0)
    outcome.console_tail.pop_back();
  return outcome;
}

std::string verdict_line(const Target& target, const std::filesystem::path& elf, const TestOutcome& outcome) {
  return "firmware test " + elf.filename().string() + " on " + target.cpu + " (" + target.machine +
         "): " + outcome.verdict;
}

std::optional<std::string> last_failed_verdict(std::string_view log) {
  static const std::regex line("^firmware test .+ on .+ \\(.+\\): FAILED: (.+?)\r?$");
  std::optional<std::string> verdict;
  for (std::size_t at = log.find("firmware test "); at != std::string_view::npos;
       at = log.find("firmware test ", at + 1)) {
    if (at > 0 && log[at - 1] != '\n') continue;
    std::size_t end = log.find('\n', at);
    std::string text(log.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at));
    std::smatch match;
    if (std::regex_match(text, match, line)) verdict = match[1];
  }
  return verdict;
}

std::vector<std::string> quoted_console(const TestOutcome& outcome) {
  if (outcome.passed) return {};
  if (!outcome.hint.empty()) return outcome.hint;
  if (outcome.console_tail.empty()) return {"the console was empty"};
  std::vector<std::string> lines = {"the console ended with:"};
  for (const std::string& line : outcome.console_tail) lines.push_back("  | " + line);
  return lines;
}

Result<TestOutcome> run_test(const Target& target, const TestOptions& options) {
  if (Result<std::regex> pattern = compile(options.pass_pattern); !pattern) return Failure{pattern.error()};
  if (std::optional<std::uint32_t> address = vector_table_address(target)) {
    Result<std::optional<std::string>> problem = vector_table_problem(options.elf, *address);
    if (!problem) return Failure{problem.error()};
    if (problem.value()) {
      TestOutcome outcome;
      outcome.verdict = "FAILED: " + *problem.value() + "; qemu-system-arm was not started";
      outcome.hint = vector_table_hint(target, *address);
      return outcome;
    }
  }
  std::string console;
  CommandOptions run;
  run.timeout = std::max(options.timeout, std::chrono::milliseconds(1));  // 0 is no time, not no limit
  const std::chrono::milliseconds hang_timeout =
      options.hang_timeout.count() > 0 ? std::min(options.hang_timeout, run.timeout) : std::chrono::milliseconds(0);
  run.idle_timeout = hang_timeout;
  run.kill_grace = std::chrono::milliseconds(1000);
  run.on_line = [&](std::string_view line) {
    console.append(line).push_back('\n');
    if (options.on_line) options.on_line(line);
  };
  Result<CommandExit> exit = run_sync(qemu_command(target, options.elf, options.icount_shift), run);
  if (!exit)
    return Failure{exit.error() + "; install " + join(target.packages.at("runner"), " ") + " (target " + target.name +
                   ")"};
  return judge(
      {exit.value().timed_out, exit.value().term_signal, exit.value().exit_status, exit.value().idle_timed_out},
      console, options.pass_pattern, options.timeout, hang_timeout);
}

}  // namespace xb::firmware

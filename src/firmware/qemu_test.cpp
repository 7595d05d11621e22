// A firmware test run: qemu-system-arm -M <machine> -cpu <qemu_cpu> -nographic -monitor none
// -semihosting-config enable=on,target=native <qemu_args> -kernel <elf>, run synchronously (util/probe.h
// run_sync) in a process group of its own. Console lines are collected (and handed to the
// caller as they come); with semihosting, QEMU exits with the program's own exit code. At the
// timeout the process group is terminated (SIGTERM, then SIGKILL after 1 s) and the run is a
// failure whatever the console said. Otherwise the verdict combines the exit code with a regex
// searched in the whole console (Unity's summary by default), so a firmware that exits 0
// without printing its summary, or prints it and then crashes, fails. A failed verdict keeps
// the console's last non-blank lines, read backwards from its end, to quote them. Before all
// that, an ELF without a vector table fails without starting QEMU (vector_table.h).
#include "firmware/qemu_test.h"

#include <algorithm>
#include <regex>

#include "firmware/vector_table.h"
#include "util/probe.h"
#include "util/strings.h"

namespace xb::firmware {

std::vector<std::string> qemu_command(const Target& target, const std::filesystem::path& elf) {
  std::vector<std::string> command = {"qemu-system-arm",
                                      "-M",
                                      target.machine,
                                      "-cpu",
                                      target.qemu_cpu,
                                      "-nographic",
                                      "-monitor",
                                      "none",
                                      "-semihosting-config",
                                      "enable=on,target=native"};
  command.insert(command.end(), target.qemu_args.begin(), target.qemu_args.end());
  command.insert(command.end(), {"-kernel", elf.string()});
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

}  // namespace

Result<TestOutcome> judge(const QemuEnd& end, const std::string& console, const std::string& pass_pattern,
                          std::chrono::milliseconds timeout) {
  Result<std::regex> pattern = compile(pass_pattern);
  if (!pattern) return Failure{pattern.error()};
  TestOutcome outcome;
  outcome.timed_out = end.timed_out;
  outcome.exit_code = end.exit_code;
  outcome.pattern_matched = std::regex_search(console, pattern.value());
  if (outcome.timed_out) {
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
  if (outcome.timed_out && !outcome.console_tail.empty() &&
      outcome.console_tail.back().rfind("qemu-system-arm: terminating on signal ", 0) == 0)
    outcome.console_tail.pop_back();
  return outcome;
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
  run.kill_grace = std::chrono::milliseconds(1000);
  run.on_line = [&](std::string_view line) {
    console.append(line).push_back('\n');
    if (options.on_line) options.on_line(line);
  };
  Result<CommandExit> exit = run_sync(qemu_command(target, options.elf), run);
  if (!exit)
    return Failure{exit.error() + "; install " + join(target.packages.at("runner"), " ") + " (target " + target.name +
                   ")"};
  return judge({exit.value().timed_out, exit.value().term_signal, exit.value().exit_status}, console,
               options.pass_pattern, options.timeout);
}

}  // namespace xb::firmware

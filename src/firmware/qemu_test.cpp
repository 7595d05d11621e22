// A firmware test run: qemu-system-arm -M <machine> -cpu <cpu> -nographic -monitor none
// -semihosting-config enable=on,target=native -kernel <elf>, run synchronously (util/probe.h
// run_sync) in a process group of its own. Console lines are collected (and handed to the
// caller as they come); with semihosting, QEMU exits with the program's own exit code. At the
// timeout the process group is terminated (SIGTERM, then SIGKILL after 1 s) and the run is a
// failure whatever the console said. Otherwise the verdict combines the exit code with a regex
// searched in the whole console (Unity's summary by default), so a firmware that exits 0
// without printing its summary, or prints it and then crashes, fails.
#include "firmware/qemu_test.h"

#include <algorithm>
#include <regex>

#include "util/probe.h"
#include "util/strings.h"

namespace xb::firmware {

std::vector<std::string> qemu_command(const Target& target, const std::filesystem::path& elf) {
  return {"qemu-system-arm",
          "-M",
          target.machine,
          "-cpu",
          target.cpu,
          "-nographic",
          "-monitor",
          "none",
          "-semihosting-config",
          "enable=on,target=native",
          "-kernel",
          elf.string()};
}

Result<TestOutcome> run_test(const Target& target, const TestOptions& options) {
  std::regex pattern;
  try {
    pattern = std::regex(options.pass_pattern, std::regex::ECMAScript);
  } catch (const std::regex_error& error) {
    return Failure{"the pass pattern \"" + options.pass_pattern + "\" is not a valid regex (" + error.what() + ")"};
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

  TestOutcome outcome;
  outcome.timed_out = exit.value().timed_out;
  outcome.exit_code = exit.value().exit_status;
  outcome.pattern_matched = std::regex_search(console, pattern);
  if (outcome.timed_out) {
    outcome.verdict = "FAILED: no exit after the timeout (" + std::to_string(options.timeout.count()) +
                      " ms); qemu-system-arm was stopped";
  } else if (exit.value().term_signal != 0) {
    outcome.verdict = "FAILED: qemu-system-arm ended by signal " + std::to_string(exit.value().term_signal);
  } else if (outcome.exit_code != 0) {
    outcome.verdict = "FAILED: exit code " + std::to_string(outcome.exit_code);
  } else if (!outcome.pattern_matched) {
    outcome.verdict = "FAILED: exit code 0 but the console never matched the pass pattern";
  } else {
    outcome.passed = true;
    outcome.verdict = "passed (exit code 0, pass pattern matched)";
  }
  return outcome;
}

}  // namespace xb::firmware

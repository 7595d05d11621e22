// A firmware test run: qemu-system-arm -M <machine> -cpu <cpu> -nographic -monitor none
// -semihosting-config enable=on,target=native -kernel <elf>, started through the process layer
// on a private uv loop together with a uv timer. Console lines are collected (and handed to the
// caller as they come); with semihosting, QEMU exits with the program's own exit code. If the
// timer fires first, the process group is terminated (SIGTERM, then SIGKILL after 1 s) and the
// run is a failure whatever the console said. Otherwise the verdict combines the exit code with
// a regex searched in the whole console (Unity's summary by default), so a firmware that exits 0
// without printing its summary, or prints it and then crashes, fails.
#include "firmware/qemu_test.h"

#include <uv.h>

#include <optional>
#include <regex>

#include "exec/process.h"
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
  uv_loop_t loop;
  uv_loop_init(&loop);
  std::unique_ptr<ProcessRunner> runner = make_uv_process_runner(&loop);
  std::string console;
  std::optional<ProcessExit> exit;
  bool timed_out = false;
  ProcessCallbacks callbacks;
  callbacks.on_line = [&](std::string_view line) {
    console.append(line).push_back('\n');
    if (options.on_line) options.on_line(line);
  };
  uv_timer_t timer;
  uv_timer_init(&loop, &timer);
  callbacks.on_exit = [&](const ProcessExit& ended) {
    exit = ended;
    uv_timer_stop(&timer);
  };
  Result<ProcessId> id = runner->start({qemu_command(target, options.elf), {}, {}}, std::move(callbacks));
  if (!id) {
    uv_close(reinterpret_cast<uv_handle_t*>(&timer), nullptr);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    return Failure{id.error() + "; install " + join(target.packages.at("runner"), " ") + " (target " + target.name +
                   ")"};
  }
  struct TimerContext {
    ProcessRunner* runner;
    ProcessId id;
    bool* timed_out;
  } context{runner.get(), id.value(), &timed_out};
  timer.data = &context;
  uv_timer_start(
      &timer,
      [](uv_timer_t* handle) {
        auto* ctx = static_cast<TimerContext*>(handle->data);
        *ctx->timed_out = true;
        ctx->runner->terminate(ctx->id, std::chrono::milliseconds(1000));
      },
      static_cast<std::uint64_t>(options.timeout.count()), 0);
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer), nullptr);
  uv_run(&loop, UV_RUN_DEFAULT);
  runner.reset();
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);

  TestOutcome outcome;
  outcome.timed_out = timed_out;
  outcome.exit_code = exit ? exit->exit_status : -1;
  outcome.pattern_matched = std::regex_search(console, pattern);
  if (timed_out) {
    outcome.verdict = "FAILED: no exit after the timeout (" + std::to_string(options.timeout.count()) +
                      " ms); qemu-system-arm was stopped";
  } else if (exit && exit->term_signal != 0) {
    outcome.verdict = "FAILED: qemu-system-arm ended by signal " + std::to_string(exit->term_signal);
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

// The pipelines of `xbuild run` and `xbuild plan`, top to bottom:
//   parse -> plan -> run -> package -> publish -> report
// Each step hands a plain value to the next; a step that fails throws xb::Error with the
// message the user sees, and nothing after it runs.
#include <unistd.h>
#include <uv.h>

#include <fmt/format.h>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>

#include "cli/cache_commands.h"
#include "cli/commands.h"
#include "cli/registry_commands.h"
#include "cli/report_step.h"
#include "cli/shard_step.h"
#include "config/config.h"
#include "emulate/qemu_catalog.h"
#include "exec/process.h"
#include "package/package.h"
#include "plan/plan.h"
#include "remote/builder.h"
#include "run/scheduler.h"
#include "run/terminal.h"
#include "toolchain/toolchain.h"
#include "util/probe.h"
#include "util/strings.h"

namespace xb {

namespace fs = std::filesystem;

namespace {

// Config errors are printed all at once; the command then stops with exit status 2.
Config parse_step(const fs::path& file) {
  ConfigResult result = load_config(file);
  if (auto* errors = std::get_if<ConfigErrors>(&result)) {
    for (const Diagnostic& diagnostic : errors->diagnostics) std::fputs(diagnostic.render().c_str(), stderr);
    std::size_t count = errors->diagnostics.size();
    throw Error(fmt::format("{} {} in {}; nothing was run", count, count == 1 ? "error" : "errors", file.string()), 2);
  }
  return std::get<Config>(std::move(result));
}

// SOURCE_DATE_EPOCH from the environment, else the time of the project's last git commit, else 0.
long long source_date_epoch(const fs::path& project_dir) {
  if (const char* value = std::getenv("SOURCE_DATE_EPOCH"); value && *value) {
    char* end = nullptr;
    long long seconds = std::strtoll(value, &end, 10);
    if (*end != '\0' || seconds < 0)
      throw Error(fmt::format("SOURCE_DATE_EPOCH=\"{}\" is not a non-negative whole number of seconds", value), 2);
    return seconds;
  }
  ProbeOptions probe;
  probe.working_directory = project_dir;
  Result<std::string> commit_time = probe_output({"git", "log", "-1", "--format=%ct"}, probe);
  if (commit_time.ok() && !trim(commit_time.value()).empty())
    return std::strtoll(std::string(trim(commit_time.value())).c_str(), nullptr, 10);
  return 0;
}

Plan plan_step(const Config& config, const std::optional<fs::path>& state_dir) {
  Result<ToolchainCatalog> catalog = ToolchainCatalog::load(data_directory() / "toolchains");
  if (!catalog) throw Error(catalog.error());
  std::unique_ptr<ToolFinder> finder = make_system_tool_finder();
  PlanOptions options;
  if (state_dir) options.state_dir = fs::absolute(*state_dir);
  options.source_date_epoch = source_date_epoch(config.directory);
  options.host = host_platform();
  QemuCatalog qemu = load_qemu_catalog();
  options.qemu = &qemu;
  std::error_code self_error;
  options.xbuild_binary = fs::read_symlink("/proc/self/exe", self_error);
  options.root = geteuid() == 0;
  return make_plan(config, catalog.value(), *finder, options);
}

void require_ready(const Plan& plan) {
  if (plan.ready()) return;
  std::string message = "cannot build every platform:\n" + render_plan(plan);
  while (!message.empty() && message.back() == '\n') message.pop_back();
  throw Error(message, 2);
}

OutputTarget output_step(const std::optional<std::string>& requested, const Plan& plan) {
  std::string text = requested ? *requested : "oci:" + (plan.state_dir / "oci").string();
  Result<OutputTarget> output = parse_output(text, fs::current_path());
  if (!output) throw Error(output.error(), 2);
  return output.value();
}

// The state directory was prepared by cached_run_step; `plan` holds the jobs not cached.
RunResult run_step(const Plan& plan, const RunCommandOptions& options, Terminal& terminal) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  std::unique_ptr<ProcessRunner> runner = make_uv_process_runner(&loop);
  SchedulerOptions scheduler;
  scheduler.jobs = options.jobs ? options.jobs : std::max(1u, uv_available_parallelism());
  scheduler.keep_going = options.keep_going;
  scheduler.handle_interrupts = true;
  RunResult result = run_jobs(&loop, plan, *runner, terminal, scheduler);
  runner.reset();
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  return result;
}

void report_step(const Plan& plan, const PackageResult& images, const OutputTarget& output, Terminal& terminal,
                 double seconds) {
  terminal.output_line(fmt::format("xbuild: built {} platform{} in {:.1f} s; wrote {} (tag {})", plan.targets.size(),
                                   plan.targets.size() == 1 ? "" : "s", seconds, output.str(), images.ref_name));
  std::size_t width = 5;
  for (const PackagedImage& image : images.images) width = std::max(width, image.platform.str().size());
  for (const PackagedImage& image : images.images)
    terminal.output_line(fmt::format("  {:<{}}  {}", image.platform.str(), width, image.manifest.digest));
  terminal.output_line(fmt::format("  {:<{}}  {}", "index", width, images.index.digest));
}

}  // namespace

int run_command(const RunCommandOptions& options) {
  auto started = std::chrono::steady_clock::now();
  std::unique_ptr<Terminal> terminal = make_progress_terminal(options.progress);
  check_report_files(options);

  std::optional<Shard> shard = options.shard ? std::optional<Shard>(parse_shard(*options.shard)) : std::nullopt;
  if (shard && options.push)
    throw Error(
        "--push with --shard would tag an index of one shard; merge the shards, then push: xbuild merge "
        "LAYOUT... -o oci:DIR --push REF",
        2);
  Config config = parse_step(options.config_file);
  std::map<std::string, std::string> shard_annotations;
  if (shard) shard_annotations = shard_step(config, *shard);
  Plan plan = plan_step(config, options.state_dir);
  plan.index_annotations = shard_annotations;
  Plan local = plan;  // remote builders: what a fallback = "local" builds instead
  route_to_builders(config, plan);
  OutputTarget output = output_step(options.output, plan);
  std::vector<std::string> push_targets = options.push ? push_references(config, output) : std::vector<std::string>{};
  require_ready(plan);
  std::vector<oci::BaseImage> bases = base_images_step(config, plan, options.insecure_registries);
  FileLock state_lock = lock_state_step(plan, *terminal);
  for (const std::string& line : reach_builders(config, plan, local)) terminal->output_line(line);
  require_ready(plan);
  prepare_emulation(plan, *terminal);
  CachedRun run = cached_run_step(config, plan, {!options.no_cache, options.cache_dir}, *terminal,
                                  [&](const Plan& jobs) { return run_step(jobs, options, *terminal); });
  if (!run.result.ok()) {
    summary_step(config, plan, run, nullptr, options, *terminal);
    if (run.result.interrupted)
      throw Error(fmt::format("interrupted by {}; nothing was packaged and {} is unchanged",
                              run.result.interrupted == SIGINT ? "SIGINT" : "SIGTERM", output.str()),
                  130);
    throw Error(run.result.failure_message(plan), 1);
  }
  std::optional<PackageResult> reused = reuse_package_step(config, plan, run, output, bases);
  Result<PackageResult> images =
      reused ? Result<PackageResult>(*reused) : package_and_publish(config, plan, output, bases);
  if (!images) throw Error(images.error());
  if (!reused) record_package_step(plan, run, output, bases, images.value());
  if (options.push) push_step(push_targets, output, options.insecure_registries, *terminal);
  summary_step(config, plan, run, &images.value(), options, *terminal);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  report_step(plan, images.value(), output, *terminal, seconds);
  return 0;
}

int plan_command(const PlanCommandOptions& options) {
  std::optional<Shard> shard = options.shard ? std::optional<Shard>(parse_shard(*options.shard)) : std::nullopt;
  Config config = parse_step(options.config_file);
  if (shard) std::fputs(shard_plan_line(config, *shard).c_str(), stdout);
  Plan plan = plan_step(config, options.state_dir);
  route_to_builders(config, plan);
  check_base_step(config, plan, {});
  std::fputs(render_plan(plan).c_str(), stdout);
  return plan.ready() ? 0 : 2;
}

}  // namespace xb

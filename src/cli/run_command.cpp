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
#include <cstring>
#include <thread>

#include "cache/store.h"
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
#include "util/libarchive.h"
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

// Asks the compilers of every platform that may cross or build natively their version at once,
// one thread each: each answer costs a process start, and the finder remembers them for the
// plan's discovery, which asks one platform after another. (A probe's output pipe may be
// inherited by a compiler probed at the same time, so its end of output can wait for that one
// too: never longer than the slowest of them.)
void probe_compilers(const Config& config, const ToolchainCatalog& catalog, ToolFinder& finder) {
  std::vector<std::thread> probes;
  for (const Platform& platform : config.platforms) {
    auto override_spec = config.overrides.find(platform.str());
    if (override_spec != config.overrides.end() && override_spec->second.strategy == Strategy::emulate) continue;
    const Toolchain* toolchain = catalog.find(platform);
    if (!toolchain || !toolchain->tools.count("CC")) continue;
    // A version the finder knows without asking (remembered from the last run) needs no thread:
    // starting one costs more than the lookup.
    std::optional<fs::path> compiler = finder.find_program(toolchain->tools.at("CC"));
    if (compiler && !finder.known_compiler_version(*compiler))
      probes.emplace_back([&finder, compiler = *compiler] { finder.compiler_version(compiler); });
  }
  for (std::thread& probe : probes) probe.join();
}

// `finder` decides how compiler versions are learnt: asked, remembered between runs, or not at all.
Plan plan_step(const Config& config, const std::optional<fs::path>& state_dir, ToolFinder& finder) {
  Result<ToolchainCatalog> catalog = ToolchainCatalog::load(data_directory() / "toolchains");
  if (!catalog) throw Error(catalog.error());
  probe_compilers(config, catalog.value(), finder);
  PlanOptions options;
  if (state_dir) options.state_dir = fs::absolute(*state_dir);
  options.source_date_epoch = source_date_epoch(config.directory);
  options.host = host_platform();
  QemuCatalog qemu = load_qemu_catalog();
  options.qemu = &qemu;
  std::error_code self_error;
  options.xbuild_binary = fs::read_symlink("/proc/self/exe", self_error);
  options.root = geteuid() == 0;
  options.firmware_dir = data_directory() / "toolchains" / "firmware";
  return make_plan(config, catalog.value(), finder, options);
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

// A target's runner may need one-time setup before its stages run (wine: `wineboot --init`
// fills WINEPREFIX, which takes a while once and then stays in the state directory). Every
// setup the jobs in `plan` need runs now, side by side, its output going to a log file.
void runner_setup_step(const Plan& plan, uv_loop_t* loop, ProcessRunner& runner, Terminal& terminal) {
  struct Setup {
    const TargetPlan* target = nullptr;
    fs::path log;
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> file{nullptr, &std::fclose};
    ProcessExit exit;
  };
  std::vector<std::unique_ptr<Setup>> setups;
  std::vector<bool> started(plan.targets.size(), false);
  for (const JobPlan& job : plan.jobs) {
    const TargetPlan& target = plan.targets[job.target];
    std::error_code error;
    if (started[job.target] || target.runner_setup.empty() || fs::exists(target.runner_setup_creates, error)) continue;
    started[job.target] = true;
    auto setup = std::make_unique<Setup>();
    setup->target = &target;
    setup->log = job.log_file.parent_path() / "runner-setup.log";
    fs::create_directories(setup->log.parent_path(), error);
    fs::create_directories(target.runner_setup_creates.parent_path(), error);  // wine wants its prefix to exist
    setup->file.reset(std::fopen(setup->log.c_str(), "w"));
    if (!setup->file) throw Error(fmt::format("cannot write {}: {}", setup->log.string(), std::strerror(errno)));
    terminal.output_line(fmt::format("xbuild: {}: setting up {} once for this state directory: {} (log: {})",
                                     target.platform.str(),
                                     target.exec_prefix.empty() ? "the runner" : target.exec_prefix[0],
                                     shell_join(target.runner_setup), setup->log.string()));
    ProcessSpec spec{target.runner_setup, job.env, {}};
    Setup* raw = setup.get();
    Result<ProcessId> id = runner.start(
        spec, {[raw](std::string_view line) { std::fprintf(raw->file.get(), "%.*s\n", int(line.size()), line.data()); },
               [raw](const ProcessExit& exit) { raw->exit = exit; }});
    if (!id) throw Error(fmt::format("{}: cannot set up the runner: {}", target.platform.str(), id.error()));
    setups.push_back(std::move(setup));
  }
  if (setups.empty()) return;
  uv_run(loop, UV_RUN_DEFAULT);
  for (const auto& setup : setups) {
    if (setup->exit.success()) continue;
    throw Error(fmt::format("{}: {} failed ({}); its output is in {}", setup->target->platform.str(),
                            shell_join(setup->target->runner_setup),
                            setup->exit.term_signal ? fmt::format("signal {}", setup->exit.term_signal)
                                                    : fmt::format("exit status {}", setup->exit.exit_status),
                            setup->log.string()));
  }
}

// Starts packing a target's layer once its last stage to run has succeeded (at once for a
// target whose stages all came from the cache), while the other targets' stages still run.
JobHooks pack_when_done(const Plan& plan, JobHooks hooks, LayerPacker& packer) {
  auto left = std::make_shared<std::vector<std::size_t>>(plan.targets.size(), 0);
  for (const JobPlan& job : plan.jobs) ++(*left)[job.target];
  for (std::size_t target = 0; target < left->size(); ++target)
    if ((*left)[target] == 0) packer.start(target);
  hooks.finished = [&plan, &packer, left, inner = std::move(hooks.finished)](std::size_t job, const JobResult& result) {
    if (inner) inner(job, result);
    if (result.state == JobState::succeeded && --(*left)[plan.jobs[job].target] == 0)
      packer.start(plan.jobs[job].target);
  };
  return hooks;
}

// The state directory was prepared by cached_run_step; `plan` holds the jobs not cached.
RunResult run_step(const Plan& plan, const JobHooks& hooks, const RunCommandOptions& options, Terminal& terminal) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  std::unique_ptr<ProcessRunner> runner = make_uv_process_runner(&loop);
  runner_setup_step(plan, &loop, *runner, terminal);
  SchedulerOptions scheduler;
  scheduler.jobs = options.jobs ? options.jobs : std::max(1u, uv_available_parallelism());
  scheduler.keep_going = options.keep_going;
  scheduler.handle_interrupts = true;
  scheduler.hooks = hooks;
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
  // Compiler versions are part of the cache keys and of nothing else a run writes: remembered
  // next to the cache, and not asked at all with --no-cache (each would be a process start).
  std::unique_ptr<ToolFinder> finder =
      options.no_cache
          ? make_versionless_tool_finder()
          : make_remembering_tool_finder((options.cache_dir ? *options.cache_dir : default_cache_dir()) / "compilers");
  Plan plan = plan_step(config, options.state_dir, *finder);
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
  LayerPacker packer(config, plan, output);  // packs each platform's layer as soon as it is built
  CachedRun run = cached_run_step(config, plan, {!options.no_cache, options.cache_dir}, *terminal,
                                  [&](const Plan& jobs, const JobHooks& hooks) {
                                    // Stages to run mean layers to pack: a missing libarchive
                                    // is said before they run, not after.
                                    if (Status loaded = require_libarchive(); !loaded) throw Error(loaded.error());
                                    return run_step(jobs, pack_when_done(jobs, hooks, packer), options, *terminal);
                                  });
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
      reused ? Result<PackageResult>(*reused) : package_and_publish(config, plan, output, bases, &packer);
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
  Plan plan = plan_step(config, options.state_dir, *make_system_tool_finder());
  route_to_builders(config, plan);
  check_base_step(config, plan, {});
  std::fputs(render_plan(plan).c_str(), stdout);
  return plan.ready() ? 0 : 2;
}

}  // namespace xb

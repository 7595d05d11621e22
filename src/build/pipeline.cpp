// The pipelines of `xbuild run` and `xbuild plan`, one pass a line. Each pass is a function from
// plain values to plain values (in a file of its own: build/<pass>.cpp); a pass that fails throws
// xb::Error with the message the user sees, and nothing after it runs. Reading the inputs and
// planning write nothing, so bad input changes nothing on disk; the state directory is locked
// before any pass writes into it.
#include <unistd.h>

#include <algorithm>
#include <chrono>

#include "build/base_images.h"
#include "build/cache_pass.h"
#include "build/ccache_pass.h"
#include "build/firmware_sizes.h"
#include "build/firmware_startup.h"
#include "build/inputs.h"
#include "build/planning.h"
#include "build/prepare.h"
#include "build/publish.h"
#include "build/registry_cache_pass.h"
#include "build/report_pass.h"
#include "build/schedule.h"
#include "build/shard.h"
#include "build/state_dir.h"
#include "build/trees.h"
#include "build/work_dirs.h"
#include "build_paths.h"
#include "cache/store.h"
#include "emulate/private_binfmt.h"
#include "run/terminal.h"
#include "toolchain/toolchain.h"
#include "util/fs.h"
#include "util/interrupt.h"

namespace xb {

namespace fs = std::filesystem;

namespace {

// xbuild-stage for this xbuild binary: beside it (a build tree), else where the install put it
// (<prefix>/libexec/xbuild for <prefix>/bin, wherever the install was moved); empty when neither
// holds one, and stages start through xbuild itself.
fs::path stage_binary_beside(const fs::path& xbuild) {
  for (const fs::path& candidate :
       {xbuild.parent_path() / "xbuild-stage", xbuild.parent_path() / XBUILD_STAGE_FROM_BINDIR})
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.lexically_normal();
  return {};
}

bool keeps_directories(const Config& config) {
  return std::any_of(config.stages.begin(), config.stages.end(), [](const StageSpec& s) { return !s.keep.empty(); });
}

// Compiler versions are part of the cache keys and of the kept directories' keys, and of nothing
// else a run writes: remembered next to the cache, and not asked at all with --no-cache when no
// stage keeps a directory (each would be a process start).
std::unique_ptr<ToolFinder> run_tool_finder(const RunOptions& options, const Config& config) {
  if (options.no_cache && !keeps_directories(config)) return make_versionless_tool_finder();
  return make_remembering_tool_finder((options.cache_dir ? *options.cache_dir : default_cache_dir()) / "compilers");
}

registry::RegistryOptions registry_options(const std::vector<std::string>& insecure_registries,
                                           const Services& services) {
  registry::RegistryOptions registry;
  registry.insecure_registries = insecure_registries;
  registry.http_client = services.http_client;
  return registry;
}

// The stage cache's settings: --no-cache, --clean, --cache-dir; with --cache-from, what the
// local store lacks is fetched from the registry caches before the hits are decided.
CacheSettings cache_settings(const RunOptions& options, RegistryCacheRun& shared, Terminal& terminal) {
  CacheSettings settings{!options.no_cache, !options.clean, options.cache_dir, {}};
  if (!shared.from.empty())
    settings.fetch_missing = [&shared, &terminal](const std::vector<std::string>& keys, CacheStore& store) {
      fetch_from_registry_caches(shared, keys, store, terminal);
    };
  return settings;
}

// What the report pass writes, and where: the command line's report files, a shard's copy in its
// layout, and the figures of this run (ccache's counters, skipped platforms, restore times).
ReportRequest report_request(const RunOptions& options, const RunInputs& inputs, const Plan& plan,
                             const RunResult& result, const CacheLookup& cache, const CcacheByPlatform& ccache,
                             const std::vector<SkippedPlatform>& skipped) {
  ReportRequest request{inputs.config, plan, result, cache.cached, nullptr, options.metadata_file, options.junit_file};
  request.ccache = &ccache;
  request.skipped = &skipped;
  request.restore_seconds = &cache.restore_seconds;  // the durations of cached stages
  bool shard = !inputs.index_annotations.empty();
  if (shard && inputs.output.kind == OutputTarget::Kind::layout) request.layout_reports = inputs.output.path;
  request.html_file = options.html_file;
  request.markdown_file = options.markdown_file;
  return request;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

Services machine_services() {
  Services services;
  services.data_dir = data_directory();
  services.host = host_platform();
  services.root = geteuid() == 0;
  std::error_code error;
  services.xbuild_binary = fs::read_symlink("/proc/self/exe", error);
  services.process_runner = [](uv_loop_t* loop, StageContainment* containment) {
    return make_uv_process_runner(loop, containment);
  };
  services.stage_binary = stage_binary_beside(services.xbuild_binary);
  services.private_binfmt = [stage = services.stage_program()] { return private_binfmt_supported(stage); };
  return services;
}

int run_build(const RunOptions& options, Services& services, Terminal& terminal) {
  auto started = std::chrono::steady_clock::now();
  InterruptCatcher interrupts;                  // SIGINT, SIGTERM: the run stops at its next safe point, exit 130
  RunInputs inputs = read_run_inputs(options);  // config, shard, output, push
  if (!inputs.shard_line.empty()) terminal.status_line(inputs.shard_line);  // --durations: how it was chosen
  if (!inputs.source_date_epoch_note.empty()) terminal.status_line("xbuild: note: " + inputs.source_date_epoch_note);
  std::unique_ptr<ToolFinder> own_finder = services.finder ? nullptr : run_tool_finder(options, inputs.config);
  ToolFinder& finder = services.finder ? *services.finder : *own_finder;
  // --size-baseline, read before anything runs
  SizeBaseline baseline = read_size_baseline(options.size_baseline, inputs.config);
  registry::RegistryOptions registry = registry_options(options.insecure_registries, services);
  registry::set_timeouts(registry, options.registry_connect_timeout, options.registry_timeout);
  TreeOptions tree_setup = tree_options(options.cache_dir ? fs::absolute(*options.cache_dir) : default_cache_dir(),
                                        inputs.state_dir, registry, services);
  ResolvedTrees trees;
  Plan plan = plan_run(inputs, tree_setup, services, finder, terminal, trees);  // builders, trees, toolchains, jobs
  std::vector<SkippedPlatform> skipped;
  if (options.skip_unavailable) skipped = leave_out_unavailable(plan);  // reported skipped
  say_skipped(skipped, terminal);
  require_ready(plan);                                         // else the matrix and what is missing
  FileLock lock = lock_state_dir(inputs.state_dir, terminal);  // before anything writes there
  StageContainment contained =
      contain_stages(inputs.state_dir, services.stage_program(), terminal);  // a killed run's stages ended
  remove_stale_temps(inputs.output.path);  // staging a killed run left next to the output
  bool shard = !inputs.index_annotations.empty();
  ShardFailureMark shard_failure(plan, inputs.output, shard, terminal);  // its old image cannot pass for this run's
  stop_if_interrupted(plan, inputs.output);  // a signal while planning: stopped before anything runs
  std::vector<oci::BaseImage> bases = pull_base_images(inputs.config, plan, registry);  // [image] from
  RegistryCacheRun shared{inputs.registry_cache.from, inputs.registry_cache.to, registry, {}};
  CacheLookup cache = look_up_cache(inputs.config, plan, cache_settings(options, shared, terminal));  // local first
  std::vector<KeptDirectory> kept =
      kept_directories(plan, inputs.config.directory, process_environment());  // [stage] keep, keyed
  std::set<std::string> running = running_platforms(plan, cache.cached);       // with stages the cache lacks
  CcacheByPlatform ccache = ccache_before_run(plan, running, terminal);        // counters; a remote down: warned
  register_handlers(plan, services.data_dir, terminal);                  // binfmt_misc, for stages and foreign trees
  TreesInUse in_use = make_trees(trees, running, tree_setup, terminal);  // sysroots, root filesystems
  stop_if_interrupted(plan, inputs.output);
  prepare_state_dir(plan, cache.intact);      // cross files, clean $XBUILD_OUT
  restore_from_cache(plan, cache, terminal);  // hits replayed into $XBUILD_OUT
  const std::string clean = options.clean ? "--clean" : options.no_cache ? "--no-cache" : "";
  prepare_work_dirs(plan, kept, cache.cached, clean, terminal);                // $XBUILD_WORK: reused or wiped
  unpack_root_filesystems(plan, running, terminal);                            // image root filesystems
  reset_builders(inputs.config, plan, {kept, cache.cached, clean}, terminal);  // clean $XBUILD_OUT there too
  set_up_runners(plan, cache.cached, terminal);                                // wine's prefix, once
  compile_firmware_startups(plan, running, terminal);                          // bare metal: the startup objects
  LayerPacker packer(inputs.config, plan, inputs.output);                      // layers packed as targets finish
  CacheRecorder recorder(plan, cache, terminal);                               // jobs that succeed are stored
  RunResult result = schedule(plan, {options.jobs, options.keep_going, cache.cached, recorder.hooks(), &contained},
                              &packer, services, terminal);  // the rest, on one loop
  record_output_stamps(plan, cache, result);
  upload_to_registry_cache(shared, plan, cache, result, terminal);  // --cache-to, a failed run's too
  ccache = ccache_of_run(plan, ccache);                             // this run's hits and misses
  ReportRequest outcome = report_request(options, inputs, plan, result, cache, ccache, skipped);
  if (!result.ok()) {
    shard_failure.mark();       // before the report, which a shard also writes into its layout
    report(outcome, terminal);  // what failed, in every report
    throw run_failure(plan, result, inputs.output);
  }
  std::map<std::string, firmware::Sizes> sizes =
      check_firmware_sizes(inputs.config, plan, baseline, terminal);  // deltas, firmware-size.txt, budgets
  outcome.firmware_sizes = &sizes;
  PackageResult images = publish({inputs.config, plan, inputs.output, bases, cache, inputs.push_references, registry},
                                 &packer, terminal);  // images, index, output; --push
  shard_failure.done();
  outcome.images = &images;
  report(outcome, terminal);  // summary, metadata, JUnit
  stop_if_interrupted_after_publishing(inputs.output);
  report_written(plan, images, inputs.output, seconds_since(started), terminal);
  if (options.fail_on_skip && !skipped.empty()) throw skipped_failure(skipped);
  return 0;
}

int plan_build(const PlanCommandOptions& options, Services& services) {
  check_source_date_epoch(options.source_date_epoch);
  std::optional<Shard> shard = options.shard ? std::optional<Shard>(parse_shard(*options.shard)) : std::nullopt;
  std::optional<PlatformCosts> costs = read_shard_durations(options.durations, shard);
  Config config = read_config(options.config_file, options.settings);
  apply_command_line(config, options.platforms, options.tags);
  if (shard)
    std::fputs((costs ? shard_plan_lines(config, *shard, *costs, *options.durations) : shard_plan_line(config, *shard))
                   .c_str(),
               stdout);
  fs::path state_dir = options.state_dir ? fs::absolute(*options.state_dir) : config.directory / ".xbuild";
  OutputTarget output = read_output(options.output, state_dir);
  std::unique_ptr<ToolFinder> finder = make_system_tool_finder();
  registry::RegistryOptions registry = registry_options({}, services);
  TreeOptions tree_setup = tree_options(options.cache_dir ? fs::absolute(*options.cache_dir) : default_cache_dir(),
                                        state_dir, registry, services);
  PlanRequest request{
      config, state_dir, source_date_epoch(config.directory, options.source_date_epoch).seconds, {}, {}};
  request.trees = &tree_setup;
  ResolvedTrees trees;
  Plan plan = plan_targets(request, services, services.finder ? *services.finder : *finder, &trees);
  for (const std::string& warning : trees.warnings) std::fputs(("xbuild: warning: " + warning + "\n").c_str(), stdout);
  check_base_image(config, plan, registry);
  std::fputs(render_plan(plan).c_str(), stdout);
  std::fputs(render_kept(plan, kept_directories(plan, config.directory, process_environment())).c_str(), stdout);
  std::fputs(render_output(plan, output).c_str(), stdout);
  if (!options.skip_unavailable || plan.ready()) return plan.ready() ? 0 : 2;
  std::vector<SkippedPlatform> skipped = leave_out_unavailable(plan);  // throws when nothing is left
  for (const SkippedPlatform& platform : skipped)
    std::fputs(("xbuild: a run skips " + platform.platform + ": " + platform.reason + "\n").c_str(), stdout);
  return options.fail_on_skip ? 3 : 0;
}

}  // namespace xb

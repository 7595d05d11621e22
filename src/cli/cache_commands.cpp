// The cache step of `xbuild run` and the `xbuild cache` commands. Caching is per target: a
// target's key covers the keys of all its stages (src/cache/cache_key.h), so a target whose
// key is found is restored whole and none of its stages runs; a target that misses runs every
// stage. The jobs that do run are handed to the scheduler as a smaller plan (only the missing
// targets' jobs, their `needs` renumbered), and the results are mapped back.
#include "cli/cache_commands.h"

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>

#include "cache/cache_key.h"
#include "cache/store.h"
#include "config/model.h"
#include "run/terminal.h"
#include "util/fs.h"
#include "util/sha256.h"
#include "util/strings.h"

namespace xb {

namespace fs = std::filesystem;

namespace {

std::vector<CachedLog> target_logs(const Plan& plan, std::size_t target) {
  std::vector<CachedLog> logs;
  for (const JobPlan& job : plan.jobs)
    if (job.target == target && !job.log_file.empty()) logs.push_back({job.stage, job.log_file});
  return logs;
}

std::string stage_list(const Plan& plan, std::size_t target) {
  std::string list;
  for (const JobPlan& job : plan.jobs)
    if (job.target == target) list += (list.empty() ? "" : ", ") + job.stage;
  return list;
}

struct CacheCommandOptions {
  std::optional<fs::path> dir;
  std::string max_size = "0";
};

int cache_info_command(const CacheCommandOptions& options) {
  CacheStore store(options.dir ? fs::absolute(*options.dir) : default_cache_dir());
  CacheInfo info = store.info().value_or_throw();
  std::printf("cache: %s\nentries: %zu\nobjects: %zu\nsize: %s\n", store.dir().c_str(), info.entries, info.objects,
              format_size(info.bytes).c_str());
  return 0;
}

int cache_prune_command(const CacheCommandOptions& options) {
  std::optional<std::uint64_t> max_bytes = parse_size(options.max_size);
  if (!max_bytes)
    throw Error(fmt::format("--max-size \"{}\" is not a size: write a number of bytes with an optional unit K, M, G "
                            "or T (for example 500M)",
                            options.max_size),
                2);
  CacheStore store(options.dir ? fs::absolute(*options.dir) : default_cache_dir());
  CacheInfo before = store.info().value_or_throw();
  CacheInfo after = store.prune(*max_bytes).value_or_throw();
  std::printf("pruned %s: %zu %s and %s removed; %zu %s, %s left\n", store.dir().c_str(),
              before.entries - std::min(before.entries, after.entries),
              before.entries - std::min(before.entries, after.entries) == 1 ? "entry" : "entries",
              format_size(before.bytes - std::min(before.bytes, after.bytes)).c_str(), after.entries,
              after.entries == 1 ? "entry" : "entries", format_size(after.bytes).c_str());
  return 0;
}

}  // namespace

std::function<int()> add_cache_commands(CLI::App& app) {
  auto options = std::make_shared<CacheCommandOptions>();
  CLI::App* cache = app.add_subcommand("cache", "Show or shrink the cache of stage outputs");
  cache->require_subcommand(1);
  cache->add_option("--cache-dir", options->dir, "The cache (default: $XBUILD_CACHE_DIR or ~/.cache/xbuild)");
  CLI::App* info = cache->add_subcommand("info", "Where the cache is, its entries and its size");
  CLI::App* prune = cache->add_subcommand("prune", "Remove the least recently used entries");
  prune->add_option("--max-size", options->max_size, "Keep at most this much (500M, 2G; default 0: empty it)")
      ->capture_default_str();
  return [=]() -> int {
    if (info->parsed()) return cache_info_command(*options);
    if (prune->parsed()) return cache_prune_command(*options);
    return -1;
  };
}

FileLock lock_state_step(const Plan& plan, Terminal& terminal) {
  Result<FileLock> lock = FileLock::acquire(plan.state_dir / "lock", FileLock::Mode::exclusive, [&] {
    terminal.status_line(
        fmt::format("xbuild: waiting for the other xbuild run using {} to finish", plan.state_dir.string()));
  });
  if (!lock) throw Error(lock.error());
  return std::move(lock).value();
}

CachedRun cached_run_step(const Config& config, const Plan& plan, const CacheSettings& settings, Terminal& terminal,
                          const std::function<RunResult(const Plan&)>& run) {
  if (Status prepared = prepare_state_dir(plan); !prepared) throw Error(prepared.error());
  CachedRun outcome;
  outcome.cached.assign(plan.jobs.size(), false);
  std::vector<bool> target_hit(plan.targets.size(), false);
  std::optional<CacheStore> store;
  CacheKeys keys;
  if (settings.enabled) {
    store.emplace(settings.dir ? fs::absolute(*settings.dir) : default_cache_dir());
    Result<std::string> inputs = hash_project_inputs(config.directory, plan.state_dir);
    if (!inputs) throw Error(inputs.error());
    keys = compute_cache_keys(plan, config.directory, inputs.value(), process_environment());
    for (std::size_t target = 0; target < plan.targets.size(); ++target) {
      if (!store->contains(keys.targets[target])) continue;
      Status restored =
          store->restore(keys.targets[target], plan.targets[target].output_dir, target_logs(plan, target));
      if (!restored) {
        terminal.status_line(fmt::format("xbuild: warning: {}; running {} instead", restored.error(),
                                         plan.targets[target].platform.str()));
        std::error_code error;
        fs::remove_all(plan.targets[target].output_dir, error);
        fs::create_directories(plan.targets[target].output_dir, error);
        continue;
      }
      target_hit[target] = true;
      terminal.status_line(
          fmt::format("xbuild: {}: cached ({})", plan.targets[target].platform.str(), stage_list(plan, target)));
    }
  }

  // The jobs still to run, as a plan of their own.
  Plan remaining = plan;
  remaining.jobs.clear();
  std::vector<std::size_t> original;  // remaining index -> plan index
  std::vector<std::size_t> renumbered(plan.jobs.size(), 0);
  for (std::size_t index = 0; index < plan.jobs.size(); ++index) {
    if (target_hit[plan.jobs[index].target]) {
      outcome.cached[index] = true;
      continue;
    }
    renumbered[index] = remaining.jobs.size();
    original.push_back(index);
    remaining.jobs.push_back(plan.jobs[index]);
  }
  for (JobPlan& job : remaining.jobs)
    for (std::size_t& need : job.needs) need = renumbered[need];  // a target's needs stay in it

  outcome.result.jobs.assign(plan.jobs.size(), JobResult{});
  for (std::size_t index = 0; index < plan.jobs.size(); ++index)
    if (outcome.cached[index]) outcome.result.jobs[index].state = JobState::succeeded;
  if (!remaining.jobs.empty()) {
    RunResult ran = run(remaining);
    for (std::size_t index = 0; index < ran.jobs.size() && index < original.size(); ++index)
      outcome.result.jobs[original[index]] = ran.jobs[index];
    outcome.result.interrupted = ran.interrupted;
    if (ran.first_failure && *ran.first_failure < original.size())
      outcome.result.first_failure = original[*ran.first_failure];
  }

  if (!store) return outcome;
  {
    Sha256 package;
    package.update("xbuild-package-1\n");
    for (const std::string& key : keys.targets) package.update(key + "\n");
    Result<std::string> config_text = read_file(config.file);
    package.update(config_text ? config_text.value() : std::string("?"));
    outcome.package_key = package.digest();
  }
  for (std::size_t target = 0; target < plan.targets.size(); ++target) {
    if (target_hit[target]) continue;
    bool succeeded = true;
    for (std::size_t index = 0; index < plan.jobs.size(); ++index)
      if (plan.jobs[index].target == target && outcome.result.jobs[index].state != JobState::succeeded)
        succeeded = false;
    if (!succeeded) continue;
    Status stored = store->store(keys.targets[target], plan.targets[target].output_dir, target_logs(plan, target));
    if (!stored) terminal.status_line(fmt::format("xbuild: warning: {}; the next run builds it again", stored.error()));
  }
  return outcome;
}

namespace {

std::string full_package_key(const CachedRun& run, const OutputTarget& output,
                             const std::vector<oci::BaseImage>& bases) {
  std::string key = run.package_key + "\n" + output.str() + "\n";
  for (const oci::BaseImage& base : bases) key += base.name + "@" + base.digest + "\n";
  return sha256_digest(key);
}

}  // namespace

std::optional<PackageResult> reuse_package_step(const Config& config, const Plan& plan, const CachedRun& run,
                                                const OutputTarget& output, const std::vector<oci::BaseImage>& bases) {
  (void)config;
  if (run.package_key.empty() || output.kind != OutputTarget::Kind::layout) return std::nullopt;
  if (std::find(run.cached.begin(), run.cached.end(), false) != run.cached.end()) return std::nullopt;
  Result<std::string> recorded = read_file(plan.state_dir / "package-key");
  if (!recorded) return std::nullopt;
  std::vector<std::string> lines = split(recorded.value(), '\n');
  // key, index digest, index size, ref name, then "platform digest size" per image
  if (lines.size() < 4 + plan.targets.size() || lines[0] != full_package_key(run, output, bases)) return std::nullopt;
  PackageResult result;
  result.index = {oci::kMediaTypeIndex, lines[1], std::strtoll(lines[2].c_str(), nullptr, 10), {}, {}};
  result.ref_name = lines[3];
  for (std::size_t target = 0; target < plan.targets.size(); ++target) {
    std::vector<std::string> fields = split(lines[4 + target], ' ');
    if (fields.size() != 3 || fields[0] != plan.targets[target].platform.str()) return std::nullopt;
    result.images.push_back({plan.targets[target].platform,
                             {oci::kMediaTypeManifest,
                              fields[1],
                              std::strtoll(fields[2].c_str(), nullptr, 10),
                              plan.targets[target].platform,
                              {}}});
  }
  // The layout must still hold that index: its index.json names it and the blob is there.
  Result<std::string> index_json = read_file(output.path / "index.json");
  if (!index_json || index_json.value().find("\"" + result.index.digest + "\"") == std::string::npos)
    return std::nullopt;
  if (result.index.digest.rfind("sha256:", 0) != 0) return std::nullopt;
  std::error_code error;
  if (!fs::exists(output.path / "blobs" / "sha256" / result.index.digest.substr(7), error)) return std::nullopt;
  return result;
}

void record_package_step(const Plan& plan, const CachedRun& run, const OutputTarget& output,
                         const std::vector<oci::BaseImage>& bases, const PackageResult& images) {
  std::error_code error;
  fs::path file = plan.state_dir / "package-key";
  if (run.package_key.empty() || output.kind != OutputTarget::Kind::layout) {
    fs::remove(file, error);
    return;
  }
  std::string text = full_package_key(run, output, bases) + "\n" + images.index.digest + "\n" +
                     std::to_string(images.index.size) + "\n" + images.ref_name + "\n";
  for (const PackagedImage& image : images.images)
    text += image.platform.str() + " " + image.manifest.digest + " " + std::to_string(image.manifest.size) + "\n";
  (void)write_file_atomic(file, text);  // only an optimization: a failure costs the next run a repack
}

}  // namespace xb

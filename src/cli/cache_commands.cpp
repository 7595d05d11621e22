// The cache step of `xbuild run` and the `xbuild cache` commands. Caching is per stage: a
// job's key covers its command, environment, toolchain, declared input files and the keys of
// the jobs it needs (src/cache/cache_key.h), and its entry holds what it wrote under its
// platform's $XBUILD_OUT and its log. A job is restored when its entry is stored and every job
// it needs is restored too; each target's restored jobs are replayed into its empty output
// directory in dependency order, unless every job of the target is restored and its output
// directory and logs are as the last run left them (the output stamps below): then they are
// left alone. The other jobs are handed to the scheduler as a smaller plan
// (their needs on restored jobs dropped, the rest renumbered), and the results are mapped back.
// Each job that runs has its output directory snapshotted when it starts and stored as the
// difference when it succeeds, before anything that needs it starts. Stages of one platform
// that run at the same time write into the same directory, so each may record the other's
// writes too: restoring writes the same content, so that is harmless.
#include "cli/cache_commands.h"

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <map>

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

std::vector<CachedLog> job_logs(const JobPlan& job) {
  if (job.log_file.empty()) return {};
  return {CachedLog{job.stage, job.log_file}};
}

// The plan's job indices, each after every job it needs (needs may point forward in the plan).
std::vector<std::size_t> dependency_order(const Plan& plan) {
  std::vector<std::size_t> order;
  std::vector<bool> placed(plan.jobs.size(), false);
  std::function<void(std::size_t)> place = [&](std::size_t index) {
    if (placed[index]) return;
    placed[index] = true;  // the plan has no cycles
    for (std::size_t need : plan.jobs[index].needs) place(need);
    order.push_back(index);
  };
  for (std::size_t index = 0; index < plan.jobs.size(); ++index) place(index);
  return order;
}

// "build, test": the stages of `target` for which `selected` holds, in plan order.
std::string stage_list(const Plan& plan, std::size_t target, const std::vector<bool>& cached, bool selected) {
  std::string list;
  for (std::size_t index = 0; index < plan.jobs.size(); ++index)
    if (plan.jobs[index].target == target && cached[index] == selected)
      list += (list.empty() ? "" : ", ") + plan.jobs[index].stage;
  return list;
}

// <state dir>/output-stamps: a line "platform<TAB>stamp" per target whose stages all succeeded
// in the last run, the stamp (cache/store.h) taken over its job keys, output directory and logs
// as that run left them. A target whose jobs are all cached and whose stamp is unchanged is
// not emptied and restored again: a rerun with nothing changed leaves the directories alone.
fs::path output_stamps_file(const Plan& plan) { return plan.state_dir / "output-stamps"; }

std::map<std::string, std::string> read_output_stamps(const Plan& plan) {
  std::map<std::string, std::string> stamps;
  Result<std::string> text = read_file(output_stamps_file(plan));
  if (!text) return stamps;
  for (const std::string& line : split(text.value(), '\n')) {
    std::vector<std::string> fields = split(line, '\t');
    if (fields.size() == 2) stamps[fields[0]] = fields[1];
  }
  return stamps;
}

std::string output_stamp_of(const Plan& plan, const CacheKeys& keys, std::size_t target) {
  std::string job_keys;
  std::vector<fs::path> logs;
  for (std::size_t index = 0; index < plan.jobs.size(); ++index) {
    if (plan.jobs[index].target != target) continue;
    job_keys += keys.jobs[index] + "\n";
    if (!plan.jobs[index].log_file.empty()) logs.push_back(plan.jobs[index].log_file);
  }
  return output_stamp(job_keys, plan.targets[target].output_dir, logs);
}

// Records the stamps of the targets whose jobs all succeeded (rewritten only when they changed).
// An intact target was neither restored nor run: its stamp is the one `before` holds.
void write_output_stamps(const Plan& plan, const CacheKeys& keys, const RunResult& result,
                         const std::vector<bool>& intact, const std::map<std::string, std::string>& before) {
  std::vector<bool> done(plan.targets.size(), true);
  for (std::size_t index = 0; index < plan.jobs.size(); ++index)
    if (result.jobs[index].state != JobState::succeeded) done[plan.jobs[index].target] = false;
  std::map<std::string, std::string> stamps;
  for (std::size_t target = 0; target < plan.targets.size(); ++target) {
    if (!done[target]) continue;
    const std::string platform = plan.targets[target].platform.str();
    std::string stamp = intact[target] ? before.at(platform) : output_stamp_of(plan, keys, target);
    if (!stamp.empty()) stamps[platform] = stamp;
  }
  if (stamps == before) return;
  std::string text;
  for (const auto& [platform, stamp] : stamps) text += platform + "\t" + stamp + "\n";
  // Only an optimization, and not worth an fsync: a lost or stale file is a restore next time.
  (void)write_file_atomic(output_stamps_file(plan), text, Durability::deferred);
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
                          const std::function<RunResult(const Plan&, const JobHooks& hooks)>& run) {
  CachedRun outcome;
  outcome.cached.assign(plan.jobs.size(), false);
  std::optional<CacheStore> store;
  CacheKeys keys;
  std::vector<bool> intact(plan.targets.size(), false);
  std::map<std::string, std::string> stamps;  // by platform, as the last run left them
  std::vector<std::size_t> order = dependency_order(plan);
  if (settings.enabled) {
    store.emplace(settings.dir ? fs::absolute(*settings.dir) : default_cache_dir());
    Result<std::map<std::string, std::string>> inputs =
        hash_stage_inputs(config.stages, config.directory, plan.state_dir);
    if (!inputs) throw Error(inputs.error());
    keys = compute_cache_keys(plan, config.directory, inputs.value(), process_environment());
    // A job whose needs run again must run after them, so it is not restored either (its
    // entry stays valid: it is found again once its needs are stored).
    for (std::size_t index : order) {
      bool hit = store->contains(keys.jobs[index]);
      for (std::size_t need : plan.jobs[index].needs) hit = hit && outcome.cached[need];
      outcome.cached[index] = hit;
    }
    stamps = read_output_stamps(plan);
    for (std::size_t target = 0; target < plan.targets.size(); ++target) {
      bool all_cached = true;
      for (std::size_t index = 0; index < plan.jobs.size(); ++index)
        if (plan.jobs[index].target == target) all_cached = all_cached && outcome.cached[index];
      auto recorded = stamps.find(plan.targets[target].platform.str());
      intact[target] =
          all_cached && recorded != stamps.end() && recorded->second == output_stamp_of(plan, keys, target);
    }
  }
  if (Status prepared = prepare_state_dir(plan, intact); !prepared) throw Error(prepared.error());
  if (store) {
    for (std::size_t target = 0; target < plan.targets.size(); ++target) {
      const fs::path& output_dir = plan.targets[target].output_dir;
      Status restored = Ok{};
      // An intact target's directory holds what the restore would write already.
      for (std::size_t index : order) {
        if (plan.jobs[index].target != target || !outcome.cached[index] || !restored) continue;
        if (intact[target])
          store->touch(keys.jobs[index]);
        else
          restored = store->restore(keys.jobs[index], output_dir, job_logs(plan.jobs[index]));
      }
      if (!restored) {
        terminal.status_line(fmt::format("xbuild: warning: {}; running {} instead", restored.error(),
                                         plan.targets[target].platform.str()));
        std::error_code error;
        fs::remove_all(output_dir, error);
        fs::create_directories(output_dir, error);
        for (std::size_t index = 0; index < plan.jobs.size(); ++index)
          if (plan.jobs[index].target == target) outcome.cached[index] = false;
        continue;
      }
      std::string cached = stage_list(plan, target, outcome.cached, true);
      std::string running = stage_list(plan, target, outcome.cached, false);
      if (cached.empty()) continue;
      terminal.status_line(fmt::format("xbuild: {}: cached ({}){}", plan.targets[target].platform.str(), cached,
                                       running.empty() ? "" : "; running (" + running + ")"));
    }
  }

  // The jobs still to run, as a plan of their own.
  Plan remaining = plan;
  remaining.jobs.clear();
  std::vector<std::size_t> original;  // remaining index -> plan index
  std::vector<std::size_t> renumbered(plan.jobs.size(), 0);
  for (std::size_t index = 0; index < plan.jobs.size(); ++index) {
    if (outcome.cached[index]) continue;
    renumbered[index] = remaining.jobs.size();
    original.push_back(index);
    remaining.jobs.push_back(plan.jobs[index]);
  }
  for (JobPlan& job : remaining.jobs) {
    std::vector<std::size_t> needs;
    for (std::size_t need : job.needs)
      if (!outcome.cached[need]) needs.push_back(renumbered[need]);  // a restored need is met already
    job.needs = std::move(needs);
  }

  JobHooks hooks;
  std::vector<std::optional<OutputSnapshot>> before(plan.jobs.size());
  if (store) {
    hooks.started = [&](std::size_t job) {
      std::size_t index = original[job];
      Result<OutputSnapshot> snapshot = snapshot_output(plan.targets[plan.jobs[index].target].output_dir);
      if (snapshot)
        before[index] = std::move(snapshot).value();
      else
        terminal.status_line(
            fmt::format("xbuild: warning: {}; the next run runs {} again", snapshot.error(), plan.jobs[index].label()));
    };
    hooks.finished = [&](std::size_t job, const JobResult& result) {
      std::size_t index = original[job];
      if (result.state != JobState::succeeded || !before[index]) return;
      Status stored = store->store(keys.jobs[index], plan.targets[plan.jobs[index].target].output_dir,
                                   job_logs(plan.jobs[index]), &*before[index]);
      before[index].reset();
      if (!stored)
        terminal.status_line(
            fmt::format("xbuild: warning: {}; the next run runs {} again", stored.error(), plan.jobs[index].label()));
    };
  }

  outcome.result.jobs.assign(plan.jobs.size(), JobResult{});
  for (std::size_t index = 0; index < plan.jobs.size(); ++index)
    if (outcome.cached[index]) outcome.result.jobs[index].state = JobState::succeeded;
  if (!remaining.jobs.empty()) {
    RunResult ran = run(remaining, hooks);
    for (std::size_t index = 0; index < ran.jobs.size() && index < original.size(); ++index)
      outcome.result.jobs[original[index]] = ran.jobs[index];
    outcome.result.interrupted = ran.interrupted;
    if (ran.first_failure && *ran.first_failure < original.size())
      outcome.result.first_failure = original[*ran.first_failure];
  }

  if (!store) return outcome;
  write_output_stamps(plan, keys, outcome.result, intact, stamps);
  Sha256 package;
  package.update("xbuild-package-2\n");  // 2: layers default to gzip level 1
  for (const std::string& key : keys.targets) package.update(key + "\n");
  Result<std::string> config_text = read_file(config.file);
  package.update(config_text ? config_text.value() : std::string("?"));
  outcome.package_key = package.digest();
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

// How a run uses the stage cache. Caching is per stage: a job's key covers its command,
// environment, toolchain, declared input files and the keys of the jobs it needs
// (cache/cache_key.h), and its entry holds what it wrote under its platform's $XBUILD_OUT and
// its log. A job is restored when its entry is stored and every job it needs is restored too;
// each target's restored jobs are replayed into its empty output directory in dependency order,
// unless every job of the target is restored and its output directory and logs are as the last
// run left them (the output stamps below): then they are left alone. The scheduler is handed the
// whole plan with the restored jobs marked done, and the recorder stores each job that runs.
#include "build/cache_pass.h"

#include <fmt/format.h>

#include <chrono>
#include <functional>

#include "report/stage_reports.h"
#include "run/terminal.h"
#include "util/fs.h"
#include "util/sha256.h"
#include "util/strings.h"

namespace xb {

namespace fs = std::filesystem;

namespace {

// The log, and the copy of the tests of a stage's declared reports (report/stage_reports.h): a
// stage name has no '.', so "<stage>.reports" names no other stage's log.
std::vector<CachedLog> job_logs(const JobPlan& job) {
  if (job.log_file.empty()) return {};
  std::vector<CachedLog> logs = {CachedLog{job.stage, job.log_file}};
  if (!job.reports.empty()) logs.push_back(CachedLog{job.stage + ".reports", reports_copy_file(job.log_file)});
  return logs;
}

// The logs of every stage of `target`: what its target entry holds.
std::vector<CachedLog> target_logs(const Plan& plan, std::size_t target) {
  std::vector<CachedLog> logs;
  for (const JobPlan& job : plan.jobs)
    if (job.target == target)
      for (CachedLog& log : job_logs(job)) logs.push_back(std::move(log));
  return logs;
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
// as that run left them.
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

// The keys worth asking a registry cache for: of each target the store cannot restore whole (by
// its target entry, or by all its jobs' entries), the target key and the jobs' keys it lacks.
std::vector<std::string> keys_to_fetch(const Plan& plan, const CacheLookup& cache) {
  std::vector<std::string> keys;
  for (std::size_t target = 0; target < plan.targets.size(); ++target) {
    if (cache.store->contains(cache.keys.targets[target])) continue;
    std::vector<std::string> lacking;
    for (std::size_t index = 0; index < plan.jobs.size(); ++index)
      if (plan.jobs[index].target == target && !cache.store->contains(cache.keys.jobs[index]))
        lacking.push_back(cache.keys.jobs[index]);
    if (lacking.empty()) continue;
    keys.push_back(cache.keys.targets[target]);
    keys.insert(keys.end(), lacking.begin(), lacking.end());
  }
  return keys;
}

// What of the config goes into the images: [image], [firmware], the platforms' own os_version and
// entrypoint. A comment, or an edit of a stage, packages nothing again.
std::string packaging_config(const Config& config) {
  const ImageSpec& image = config.image;
  std::string text = "name " + image.name + "\ntags " + join(image.tags, " ") + "\nfrom " + image.from +
                     "\nentrypoint " + shell_join(image.entrypoint) + "\ncmd " + shell_join(image.cmd) + "\nworkdir " +
                     image.workdir + "\nuser " + image.user + "\nlevel " +
                     std::to_string(image.compression_level.value_or(-1)) + "\n";
  for (const auto& [key, value] : image.env) text += "env " + key + "=" + value + "\n";
  for (const auto& [key, value] : image.labels) text += "label " + key + "=" + value + "\n";
  for (const CopySpec& copy : image.copy) text += "copy " + copy.from + " " + copy.to + "\n";
  const FirmwareSpec& firmware = config.firmware;
  text += "firmware " + firmware.elf + " " + firmware.name + "\n";
  for (const auto& [platform, override_spec] : config.overrides)
    text += "platform " + platform + " " + override_spec.os_version.value_or("") + " " +
            (override_spec.entrypoint ? shell_join(*override_spec.entrypoint) : std::string("-")) + "\n";
  return text;
}

std::string package_key(const Config& config, const CacheKeys& keys) {
  Sha256 package;
  package.update("xbuild-package-4\n");  // 4: index.json names the image (io.containerd.image.name)
  for (const std::string& key : keys.targets) package.update(key + "\n");
  package.update(packaging_config(config));
  return package.digest();
}

// The stamp of each target's root filesystem given as a directory (what it holds now: its part
// in the keys), parallel to Plan::targets; empty for the others.
std::vector<std::string> root_filesystem_stamps(const Plan& plan) {
  std::vector<std::string> stamps(plan.targets.size());
  for (std::size_t target = 0; target < plan.targets.size(); ++target) {
    const std::optional<EmulationPlan>& emulation = plan.targets[target].emulation;
    if (emulation && emulation->rootfs_image.empty()) stamps[target] = output_stamp("", emulation->rootfs, {});
  }
  return stamps;
}

// A copy of the tests of the stage's reports, stored with its log: a cache hit still has them,
// though $XBUILD_WORK is wiped and $XBUILD_OUT may not hold them. (Warnings about the reports are
// the report pass's, which reads them again.)
void keep_reports_copy(const JobPlan& job, const TargetPlan& target) {
  std::vector<std::string> warnings;
  (void)write_reports_copy(read_stage_reports(job.reports, {target.output_dir, target.work_dir}, job.label(), warnings),
                           reports_copy_file(job.log_file));
}

}  // namespace

CacheLookup look_up_cache(const Config& config, const Plan& plan, const CacheSettings& settings) {
  CacheLookup cache;
  cache.cached.assign(plan.jobs.size(), false);
  cache.intact.assign(plan.targets.size(), false);
  cache.whole.assign(plan.targets.size(), false);
  if (!settings.enabled) return cache;
  cache.store.emplace(settings.dir ? fs::absolute(*settings.dir) : default_cache_dir());
  Result<std::map<std::string, std::string>> inputs = hash_stage_inputs(config, plan.state_dir);
  if (!inputs) throw Error(inputs.error());
  cache.keys =
      compute_cache_keys(plan, config.directory, inputs.value(), process_environment(), root_filesystem_stamps(plan));
  if (settings.read && settings.fetch_missing) {
    std::vector<std::string> missing = keys_to_fetch(plan, cache);
    if (!missing.empty()) settings.fetch_missing(missing, *cache.store);
  }
  for (std::size_t index : dependency_order(plan)) {
    bool hit = settings.read && cache.store->contains(cache.keys.jobs[index]);
    for (std::size_t need : plan.jobs[index].needs) hit = hit && cache.cached[need];
    cache.cached[index] = hit;
  }
  cache.whole.assign(plan.targets.size(), false);
  cache.stamps = read_output_stamps(plan);
  for (std::size_t target = 0; target < plan.targets.size(); ++target) {
    bool all_cached = true;
    for (std::size_t index = 0; index < plan.jobs.size(); ++index)
      if (plan.jobs[index].target == target) all_cached = all_cached && cache.cached[index];
    if (!all_cached && settings.read && cache.store->contains(cache.keys.targets[target])) {
      cache.whole[target] = all_cached = true;
      for (std::size_t index = 0; index < plan.jobs.size(); ++index)
        if (plan.jobs[index].target == target) cache.cached[index] = true;
    }
    auto recorded = cache.stamps.find(plan.targets[target].platform.str());
    cache.intact[target] =
        all_cached && recorded != cache.stamps.end() && recorded->second == output_stamp_of(plan, cache.keys, target);
  }
  cache.package_key = package_key(config, cache.keys);
  return cache;
}

void restore_from_cache(const Plan& plan, CacheLookup& cache, Terminal& terminal) {
  if (!cache.store) return;
  std::vector<std::size_t> order = dependency_order(plan);
  cache.restore_seconds.assign(plan.jobs.size(), 0.0);
  for (std::size_t target = 0; target < plan.targets.size(); ++target) {
    const fs::path& output_dir = plan.targets[target].output_dir;
    Status restored = Ok{};
    if (cache.whole[target]) {
      const std::string& key = cache.keys.targets[target];
      if (cache.intact[target])
        cache.store->touch(key);
      else
        restored = cache.store->restore(key, output_dir, target_logs(plan, target));
    }
    for (std::size_t index : order) {
      if (cache.whole[target]) break;
      if (plan.jobs[index].target != target || !cache.cached[index] || !restored) continue;
      auto started = std::chrono::steady_clock::now();
      if (cache.intact[target])
        cache.store->touch(cache.keys.jobs[index]);  // its result is in place already
      else
        restored = cache.store->restore(cache.keys.jobs[index], output_dir, job_logs(plan.jobs[index]));
      cache.restore_seconds[index] = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    }
    if (!restored) {
      terminal.status_line(fmt::format("xbuild: warning: {}; running {} instead", restored.error(),
                                       plan.targets[target].platform.str()));
      std::error_code error;
      fs::remove_all(output_dir, error);
      fs::create_directories(output_dir, error);
      for (std::size_t index = 0; index < plan.jobs.size(); ++index)
        if (plan.jobs[index].target == target) cache.cached[index] = false;
      cache.whole[target] = false;
      continue;
    }
    std::string cached = stage_list(plan, target, cache.cached, true);
    std::string running = stage_list(plan, target, cache.cached, false);
    if (cached.empty()) continue;
    terminal.status_line(fmt::format("xbuild: {}: cached ({}){}", plan.targets[target].platform.str(), cached,
                                     running.empty() ? "" : "; running (" + running + ")"));
  }
}

CacheRecorder::CacheRecorder(const Plan& plan, CacheLookup& cache, Terminal& terminal)
    : plan_(plan), cache_(cache), terminal_(terminal), before_(plan.jobs.size()) {}

JobHooks CacheRecorder::hooks() {
  JobHooks hooks;
  if (!cache_.store) return hooks;
  hooks.started = [this](std::size_t index) {
    Result<OutputSnapshot> snapshot = snapshot_output(plan_.targets[plan_.jobs[index].target].output_dir);
    if (snapshot)
      before_[index] = std::move(snapshot).value();
    else
      terminal_.status_line(
          fmt::format("xbuild: warning: {}; the next run runs {} again", snapshot.error(), plan_.jobs[index].label()));
  };
  hooks.finished = [this](std::size_t index, const JobResult& result) {
    if (result.state != JobState::succeeded || !before_[index]) return;
    const JobPlan& job = plan_.jobs[index];
    if (!job.reports.empty()) keep_reports_copy(job, plan_.targets[job.target]);
    const TargetPlan& target = plan_.targets[job.target];
    Status stored = cache_.store->store(cache_.keys.jobs[index], target.output_dir, job_logs(job), &*before_[index],
                                        EntryMeta{target.platform.str(), job.stage, result.seconds});
    before_[index].reset();
    if (!stored)
      terminal_.status_line(
          fmt::format("xbuild: warning: {}; the next run runs {} again", stored.error(), job.label()));
  };
  return hooks;
}

std::vector<std::string> store_target_entries(const Plan& plan, CacheLookup& cache, const RunResult& result,
                                              Terminal& terminal) {
  std::vector<std::string> stored;
  if (!cache.store) return stored;
  std::vector<bool> done(plan.targets.size(), true);
  std::vector<double> seconds(plan.targets.size(), 0);
  for (std::size_t index = 0; index < plan.jobs.size(); ++index) {
    if (result.jobs[index].state != JobState::succeeded) done[plan.jobs[index].target] = false;
    seconds[plan.jobs[index].target] += result.jobs[index].seconds;
  }
  for (std::size_t target = 0; target < plan.targets.size(); ++target) {
    if (!done[target]) continue;
    const std::string& key = cache.keys.targets[target];
    if (!cache.store->contains(key)) {
      const TargetPlan& plan_target = plan.targets[target];
      Status written = cache.store->store(key, plan_target.output_dir, target_logs(plan, target), nullptr,
                                          EntryMeta{plan_target.platform.str(), "", seconds[target]});
      if (!written) {
        terminal.status_line(fmt::format("xbuild: warning: {}; {} is not in the cache as a whole", written.error(),
                                         plan_target.platform.str()));
        continue;
      }
    }
    stored.push_back(key);
  }
  return stored;
}

void record_output_stamps(const Plan& plan, const CacheLookup& cache, const RunResult& result) {
  if (!cache.store) return;
  std::vector<bool> done(plan.targets.size(), true);
  for (std::size_t index = 0; index < plan.jobs.size(); ++index)
    if (result.jobs[index].state != JobState::succeeded) done[plan.jobs[index].target] = false;
  std::map<std::string, std::string> stamps;
  for (std::size_t target = 0; target < plan.targets.size(); ++target) {
    if (!done[target]) continue;
    const std::string platform = plan.targets[target].platform.str();
    std::string stamp = cache.intact[target] ? cache.stamps.at(platform) : output_stamp_of(plan, cache.keys, target);
    if (!stamp.empty()) stamps[platform] = stamp;
  }
  if (stamps == cache.stamps) return;
  std::string text;
  for (const auto& [platform, stamp] : stamps) text += platform + "\t" + stamp + "\n";
  // Only an optimization, and not worth an fsync: a lost or stale file is a restore next time.
  (void)write_file_atomic(output_stamps_file(plan), text, Durability::deferred);
}

}  // namespace xb

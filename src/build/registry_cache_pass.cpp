// The registry cache in a run. Fetching goes cache by cache in the order given, each asked only
// for what the ones before it lacked, so that each has its own line; every transfer of one cache
// runs concurrently (shared_cache/). Uploading follows the mode: "min" (buildx's default too)
// sends one entry per target, the whole $XBUILD_OUT and logs, which is all a later run on an
// empty machine needs and the fewest manifests; "max" sends every stage's entry, so a later run
// whose last stages changed still restores the first. An entry fetched from the cache written
// is not sent back.
#include "build/registry_cache_pass.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <set>

#include "run/terminal.h"
#include "util/error.h"

namespace xb {

namespace {

// The transfers bound their warnings themselves (an unreachable cache is said once).
void print_warnings(const std::vector<std::string>& warnings, Terminal& terminal) {
  for (const std::string& warning : warnings) terminal.status_line("xbuild: warning: " + warning);
}

// "(2 blobs, 1.5 MiB in 0.3 s)"
std::string transfer_figures(const CacheTransfer& transfer, double seconds) {
  return fmt::format("({} blob{}, {:.1f} MiB in {:.1f} s)", transfer.blobs, transfer.blobs == 1 ? "" : "s",
                     static_cast<double>(transfer.bytes) / (1024.0 * 1024.0), seconds);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

CacheRef parse_or_throw(const std::string& text, bool for_upload, const std::string& where) {
  Result<CacheRef> ref = parse_cache_ref(text, for_upload);
  if (!ref) throw Error(ref.error() + where, 2);
  return std::move(ref).value();
}

}  // namespace

RegistryCacheRefs registry_cache_refs(const RegistryCacheSpec& file, const std::vector<std::string>& cache_from,
                                      const std::optional<std::string>& cache_to, bool no_cache,
                                      const std::string& config_file) {
  RegistryCacheRefs refs;
  if (no_cache) return refs;
  const std::string in_file = " ([cache] in " + config_file + ")";
  if (!cache_from.empty()) {
    for (const std::string& text : cache_from) refs.from.push_back(parse_or_throw(text, false, " (--cache-from)"));
  } else {
    for (const std::string& text : file.from) refs.from.push_back(parse_or_throw(text, false, in_file));
  }
  if (cache_to) {
    refs.to = parse_or_throw(*cache_to, true, " (--cache-to)");
  } else if (!file.to.empty()) {
    refs.to = parse_or_throw(file.to, true, in_file);
    if (!file.mode.empty()) refs.to->mode = file.mode == "max" ? CacheRef::Mode::max : CacheRef::Mode::min;
  }
  return refs;
}

void fetch_from_registry_caches(RegistryCacheRun& run, const std::vector<std::string>& keys, CacheStore& store,
                                Terminal& terminal) {
  std::vector<std::string> wanted = keys;
  for (const CacheRef& ref : run.from) {
    if (wanted.empty()) break;
    auto started = std::chrono::steady_clock::now();
    CacheTransfer transfer = fetch_cache_entries({ref}, wanted, store, run.options);
    print_warnings(transfer.warnings, terminal);
    terminal.status_line(fmt::format("cache: {} entr{} restored from {} {}", transfer.entries,
                                     transfer.entries == 1 ? "y" : "ies", ref.name(),
                                     transfer_figures(transfer, seconds_since(started))));
    std::set<std::string> fetched(transfer.keys.begin(), transfer.keys.end());
    for (const std::string& key : fetched) run.fetched_from.emplace(key, ref.name());
    std::erase_if(wanted, [&](const std::string& key) { return fetched.count(key) > 0; });
  }
}

std::vector<std::string> keys_to_upload(const RegistryCacheRun& run, const Plan& plan, const CacheLookup& cache,
                                        const RunResult& result, const std::vector<std::string>& target_entries) {
  std::vector<std::string> keys;
  if (!run.to || !cache.store) return keys;
  if (run.to->mode == CacheRef::Mode::min) {
    keys = target_entries;
  } else {
    for (std::size_t index = 0; index < plan.jobs.size(); ++index)
      if (result.jobs[index].state == JobState::succeeded && !cache.whole[plan.jobs[index].target])
        keys.push_back(cache.keys.jobs[index]);
    for (std::size_t target = 0; target < plan.targets.size(); ++target)
      if (cache.whole[target]) keys.push_back(cache.keys.targets[target]);
  }
  std::erase_if(keys, [&](const std::string& key) {
    auto fetched = run.fetched_from.find(key);
    return (fetched != run.fetched_from.end() && fetched->second == run.to->name()) || !cache.store->contains(key);
  });
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

void upload_to_registry_cache(RegistryCacheRun& run, const Plan& plan, CacheLookup& cache, const RunResult& result,
                              Terminal& terminal) {
  if (!run.to || !cache.store) return;
  std::vector<std::string> targets;
  if (run.to->mode == CacheRef::Mode::min) targets = store_target_entries(plan, cache, result, terminal);
  std::vector<std::string> keys = keys_to_upload(run, plan, cache, result, targets);
  auto started = std::chrono::steady_clock::now();
  CacheTransfer transfer;
  if (!keys.empty()) {
    registry::RegistryOptions options = run.options;
    options.push = true;
    transfer = upload_cache_entries(*run.to, keys, *cache.store, options);
  }
  print_warnings(transfer.warnings, terminal);
  terminal.status_line(fmt::format("cache: {} entr{} uploaded to {} {}", transfer.entries,
                                   transfer.entries == 1 ? "y" : "ies", run.to->name(),
                                   transfer_figures(transfer, seconds_since(started))));
}

}  // namespace xb

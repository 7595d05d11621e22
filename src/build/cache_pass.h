// The stage cache in a run (cache/ holds the keys and the store): which jobs the cache can
// restore, replaying them into $XBUILD_OUT, storing the jobs that run, and the output stamps
// that let a rerun with nothing changed leave the output directories alone.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cache/cache_key.h"
#include "cache/store.h"
#include "plan/plan.h"
#include "run/scheduler.h"

namespace xb {

class Terminal;

struct CacheSettings {
  bool enabled = true;                       // --no-cache turns it off
  bool read = true;                          // --clean: every job runs, and those that succeed are stored
  std::optional<std::filesystem::path> dir;  // --cache-dir, else default_cache_dir()
  // Called, when the cache is read, before the hits are decided, with the keys the store lacks of
  // each target it cannot restore whole (the target's key and its jobs' keys): the registry cache
  // fetches what it holds of them into the store (build/registry_cache_pass.h). Not called when
  // the store lacks nothing. Empty: nothing is fetched.
  using Fetch = std::function<void(const std::vector<std::string>& keys, CacheStore& store)>;
  Fetch fetch_missing;
};

struct CacheLookup {
  std::optional<CacheStore> store;  // empty with --no-cache: nothing is restored or stored
  CacheKeys keys;
  std::vector<bool> cached;  // parallel to Plan::jobs: restored from the cache
  // Parallel to Plan::jobs: how long restoring each cached job took (its duration in the metadata).
  std::vector<double> restore_seconds;
  // Parallel to Plan::targets: restored whole from the target's entry (keyed by its target key,
  // the $XBUILD_OUT and logs of all its stages, written for --cache-to mode=min), because the
  // stages' own entries could not restore them all. Every job of such a target is cached.
  std::vector<bool> whole;
  // Parallel to Plan::targets: every job cached, and $XBUILD_OUT and the logs exactly as the
  // last run left them (its output stamp): nothing to empty or restore.
  std::vector<bool> intact;
  std::map<std::string, std::string> stamps;  // the output stamps the last run recorded, by platform
  // Over the targets' keys and the config file: equal package keys give equal images. Empty
  // with --no-cache.
  std::string package_key;
};

// Every job's key, and which jobs are restored: those whose entry is stored and whose needs
// are all restored too (a job whose needs run again must run after them); a target whose jobs
// cannot all be restored so, but whose target entry is stored, is restored whole from that.
CacheLookup look_up_cache(const Config& config, const Plan& plan, const CacheSettings& settings);

// Replays each target's restored jobs into its (prepared) output directory in dependency order,
// and writes their logs; an intact target's entries are only marked as used. A line per target
// names its cached stages. A target whose restore fails is run instead: its jobs are no longer
// cached, its output directory is emptied, and a warning says why.
void restore_from_cache(const Plan& plan, CacheLookup& cache, Terminal& terminal);

// Stores each job that runs and succeeds as soon as it ends, before anything that needs it
// starts: its output directory is snapshotted when it starts and the difference is stored.
// (Stages of one platform that run at the same time write into the same directory, so each may
// record the other's writes too: restoring writes the same content, so that is harmless.)
class CacheRecorder {
 public:
  CacheRecorder(const Plan& plan, CacheLookup& cache, Terminal& terminal);
  // Scheduler hooks that do it; none when the cache is off.
  JobHooks hooks();

 private:
  const Plan& plan_;
  CacheLookup& cache_;
  Terminal& terminal_;
  std::vector<std::optional<OutputSnapshot>> before_;  // parallel to Plan::jobs
};

// The target entries of --cache-to mode=min: for each target whose jobs all succeeded (ran or
// restored) and whose target key the store lacks, its whole $XBUILD_OUT and every stage's log,
// stored under the target key. Returns the targets' keys now stored (stored before included);
// a target that cannot be stored is a warning.
std::vector<std::string> store_target_entries(const Plan& plan, CacheLookup& cache, const RunResult& result,
                                              Terminal& terminal);

// Records the output stamps of the targets whose jobs all succeeded (the file is rewritten only
// when they changed; an intact target keeps the stamp it had).
void record_output_stamps(const Plan& plan, const CacheLookup& cache, const RunResult& result);

}  // namespace xb

// The cache in the command line: `xbuild cache info|prune`, and the step of `xbuild run` that
// restores cached targets and runs the rest. CLI11 is only named here, not included.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <vector>

#include "oci/base_image.h"
#include "package/package.h"
#include "run/scheduler.h"
#include "util/file_lock.h"

namespace CLI {
class App;
}

namespace xb {

struct Config;

// Adds `cache` (info, prune) to `app`; the returned function runs it when it was parsed and
// returns its exit status, or -1 when it was not.
std::function<int()> add_cache_commands(CLI::App& app);

struct CacheSettings {
  bool enabled = true;                       // --no-cache turns it off
  std::optional<std::filesystem::path> dir;  // --cache-dir, else default_cache_dir()
};

struct CachedRun {
  std::string package_key;   // over the targets' keys and the config file (empty: --no-cache)
  RunResult result;          // parallel to Plan::jobs; cached jobs are "succeeded" in 0 s
  std::vector<bool> cached;  // parallel to Plan::jobs
};

// Empties every target's output directory, restores each job whose key is in the cache (with
// every job it needs: what it wrote under $XBUILD_OUT, and its log; a line per target naming
// the cached stages; a target whose jobs are all cached and whose directory and logs are as
// the last run left them is neither emptied nor restored), runs the other jobs through `run` (which passes `hooks` to
// the scheduler), and stores each of those that succeeds as soon as it ends.
CachedRun cached_run_step(const Config& config, const Plan& plan, const CacheSettings& settings, Terminal& terminal,
                          const std::function<RunResult(const Plan&, const JobHooks& hooks)>& run);

// Packaging a run whose every platform came from the cache writes the same bytes as the run
// that stored them: when the output layout still holds the index the last run with the same
// package key (the targets' keys, the config file, the output, the base images) published,
// that result is returned and nothing is rewritten. Empty otherwise.
std::optional<PackageResult> reuse_package_step(const Config& config, const Plan& plan, const CachedRun& run,
                                                const OutputTarget& output, const std::vector<oci::BaseImage>& bases);
// Remembers what was published (in <state dir>/package-key) for reuse_package_step.
void record_package_step(const Plan& plan, const CachedRun& run, const OutputTarget& output,
                         const std::vector<oci::BaseImage>& bases, const PackageResult& images);

// One run at a time per state directory: takes <state dir>/lock, and when another xbuild run
// holds it, says so and waits for it to finish.
FileLock lock_state_step(const Plan& plan, Terminal& terminal);

}  // namespace xb

// The registry cache in a run (--cache-from, --cache-to, [cache]): the stage cache shared
// through a registry (shared_cache/registry_cache.h holds the format and the transfers). Before
// the hits are decided, every key the local store lacks (stages' and targets') is fetched from
// the caches read, in order; after the schedule (a failed run too) the entries of this run go
// up to the cache written: with mode=min one entry per target, with mode=max one per stage.
// Nothing here fails a run: a cache that cannot be reached, answers errors or holds a corrupt
// entry is a warning, and the stages it would have restored run.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "build/cache_pass.h"
#include "registry/registry_client.h"
#include "shared_cache/registry_cache.h"

namespace xb {

class Terminal;

struct RegistryCacheRun {
  std::vector<CacheRef> from;  // read, in order: the first hit wins
  std::optional<CacheRef> to;  // written
  registry::RegistryOptions options;
  std::map<std::string, std::string> fetched_from;  // key -> the name of the cache it came from
};

// The caches a run reads and writes: --cache-from and --cache-to when given (each replacing the
// file's), else [cache]; none with --no-cache. A malformed one is an xb::Error with exit status 2.
struct RegistryCacheRefs {
  std::vector<CacheRef> from;
  std::optional<CacheRef> to;
};
RegistryCacheRefs registry_cache_refs(const RegistryCacheSpec& file, const std::vector<std::string>& cache_from,
                                      const std::optional<std::string>& cache_to, bool no_cache,
                                      const std::string& config_file);

// Fetches `keys` from each cache of run.from in turn (what one holds is not asked of the next)
// into `store`, a line per cache ("cache: 3 entries restored from HOST/PATH (...)") and a
// warning per problem.
void fetch_from_registry_caches(RegistryCacheRun& run, const std::vector<std::string>& keys, CacheStore& store,
                                Terminal& terminal);

// The keys a run uploads to its cache: mode=min the targets' entries (`target_entries`,
// store_target_entries), mode=max every job's that succeeded (ran or restored) and the entries
// of targets restored whole; only those in the store, and not those fetched from that same cache.
std::vector<std::string> keys_to_upload(const RegistryCacheRun& run, const Plan& plan, const CacheLookup& cache,
                                        const RunResult& result, const std::vector<std::string>& target_entries);

// After the schedule: mode=min stores the target entries, then the entries go up to run.to, a
// line saying how many ("cache: 5 entries uploaded to HOST/PATH (...)") and a warning per problem.
void upload_to_registry_cache(RegistryCacheRun& run, const Plan& plan, CacheLookup& cache, const RunResult& result,
                              Terminal& terminal);

}  // namespace xb

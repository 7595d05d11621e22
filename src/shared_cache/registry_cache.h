// The stage cache shared through a registry. A cache ref names a repository; each entry of the
// local store (cache/store.h) is one OCI artifact there, tagged xb-<hex of its key>:
//   artifactType  application/vnd.xbuild.cache.entry.v1, config the empty descriptor ("{}")
//   layers        the entry's text (application/vnd.xbuild.cache.entry.v1+text), then each
//                 object it names (application/octet-stream, digest sha256:<its hex name>)
//   annotations   dev.xbuild.cache.key, .platform, .stage ("" for a whole target), .seconds
// One tag per key, so concurrent writers never overwrite each other's entries, and blobs are
// shared by digest between entries and platforms. Nothing here fails a build: every problem
// with a cache is a warning in CacheTransfer, and an entry is imported whole or not at all.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cache/store.h"
#include "registry/reference.h"
#include "registry/registry_client.h"
#include "util/error.h"

namespace xb {

inline constexpr const char* kCacheArtifactType = "application/vnd.xbuild.cache.entry.v1";
inline constexpr const char* kCacheEntryTextType = "application/vnd.xbuild.cache.entry.v1+text";
inline constexpr const char* kCacheObjectType = "application/octet-stream";
inline constexpr const char* kCacheKeyAnnotation = "dev.xbuild.cache.key";
inline constexpr const char* kCachePlatformAnnotation = "dev.xbuild.cache.platform";
inline constexpr const char* kCacheStageAnnotation = "dev.xbuild.cache.stage";
inline constexpr const char* kCacheSecondsAnnotation = "dev.xbuild.cache.seconds";

struct CacheRef {
  registry::Reference repository;  // registry and repository; no tag, no digest
  enum class Mode { min, max } mode = Mode::min;
  std::string text;  // as given, for messages
  // "HOST[:PORT]/PATH": how messages name the cache.
  std::string name() const { return repository.registry + "/" + repository.repository; }
};

// "HOST[:PORT]/PATH[,mode=min|max]" or buildx's "type=registry,ref=HOST[:PORT]/PATH[,mode=...]".
// A tag or digest is refused (xbuild tags each entry itself), and so is `mode` unless
// `for_upload` (--cache-to): a reader needs no mode.
Result<CacheRef> parse_cache_ref(const std::string& text, bool for_upload);

// "xb-<64 hex of the key>": the tag of the key's entry.
std::string cache_tag(const std::string& key);

// The manifest of a local entry as it goes to a registry (exact bytes: equal entries give equal
// manifests, whoever uploads them).
Result<std::string> cache_entry_manifest(const std::string& key, const CacheStore& store);

struct CacheTransfer {
  std::size_t entries = 0;  // imported or uploaded
  std::size_t blobs = 0;    // downloaded, or uploaded (not those the registry had)
  std::uint64_t bytes = 0;  // of those blobs
  std::vector<std::string> warnings;
  std::vector<std::string> keys;  // fetched / uploaded, sorted
};

// Looks up each key the local store lacks in each ref in order (first hit wins), downloads the
// missing objects into the store (every digest and size verified, the entry text parsed and
// naming only layers of its manifest) and only then imports the entry. All transfers run
// concurrently on one loop.
CacheTransfer fetch_cache_entries(const std::vector<CacheRef>& from, const std::vector<std::string>& keys,
                                  CacheStore& store, const registry::RegistryOptions& options);

// Uploads the given local entries to `to` (blobs the registry has are skipped by HEAD), each
// manifest tagged cache_tag(key) once all its blobs are there.
CacheTransfer upload_cache_entries(const CacheRef& to, const std::vector<std::string>& keys, const CacheStore& store,
                                   const registry::RegistryOptions& options);

// The keys ("sha256:<hex>") of every entry in the ref: its tags/list, following Link
// pagination; tags that are not "xb-<64 hex>" are left out. Sorted.
Result<std::vector<std::string>> list_cache_keys(const CacheRef& ref, const registry::RegistryOptions& options);

}  // namespace xb

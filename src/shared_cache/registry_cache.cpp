// The registry cache's transfers. Each call makes one uv loop with one HTTP client and a
// RegistryClient per registry, and runs its steps as batches of tasks, up to kParallel at once:
//
// fetch   1. look-ups: the manifest of every wanted key's tag in the first ref, then the
//            misses in the next ref, and so on; a hit's manifest is checked (its key
//            annotation, its layers' types) and its entry text downloaded and parsed (it may
//            name only layers of the manifest).
//         2. the objects those entries name that the store lacks, each once, into a staging
//            directory inside the cache directory (every digest and size checked on arrival).
//         3. per entry, when every object it needs arrived: objects renamed into objects/, then
//            the entry written (CacheStore::import_entry). An entry with any problem is left
//            out whole, with a warning.
// upload  1. every distinct blob of the entries (HEAD first: what the registry has is skipped).
//         2. the manifest of each entry whose blobs are all there, tagged by its key.
//
// When a look-up or a blob upload fails for a reason not tied to one entry (the registry is
// unreachable, refuses the credentials), the tasks of that ref not started yet are not started:
// they would fail the same way, each after its retries.
//
// A little over 500 lines: fetch and upload share one batch runner, the per-ref failure state
// and the entry checks above, which a split would have to export from one file to the other.
#include "shared_cache/registry_cache.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "oci/image.h"
#include "util/cache_ref.h"
#include "util/fs.h"
#include "util/sha256.h"
#include "util/strings.h"
#include "util/uv_loop.h"

namespace xb {

namespace fs = std::filesystem;
using registry::RegistryClient;
using registry::RegistryOptions;

namespace {

constexpr std::size_t kParallel = 8;
// Warnings about single entries beyond this many are counted in one line.
constexpr std::size_t kMaxEntryWarnings = 10;

bool is_hex64(std::string_view text) {
  return text.size() == 64 &&
         std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::string key_hex(const std::string& key) { return starts_with(key, "sha256:") ? key.substr(7) : key; }

oci::Descriptor empty_config() { return {oci::kMediaTypeEmpty, sha256_digest(oci::kEmptyConfig), 2}; }

// A task starts its transfers and calls `finished` once, on the loop, when they ended.
using Task = std::function<void(std::function<void()> finished)>;

class Session {
 public:
  explicit Session(const RegistryOptions& options) : options_(options) {
    http_ = options.http_client ? options.http_client(loop_.get())
                                : registry::make_curl_http_client(loop_.get(), options.http);
  }
  ~Session() {
    clients_.clear();
    http_.reset();  // closes its handles; the loop closes when loop_ goes
    loop_.run();
  }
  RegistryClient& client(const std::string& registry_name) {
    std::unique_ptr<RegistryClient>& client = clients_[registry_name];
    if (!client) client = std::make_unique<RegistryClient>(*http_, registry_name, options_);
    return *client;
  }
  // Runs the tasks, at most kParallel at once, until every one has finished.
  void run(std::vector<Task> tasks) {
    struct Queue {
      std::vector<Task> tasks;
      std::size_t next = 0, running = 0, finished = 0;
    };
    auto queue = std::make_shared<Queue>();
    queue->tasks = std::move(tasks);
    std::function<void()> pump;
    pump = [queue, &pump] {
      while (queue->running < kParallel && queue->next < queue->tasks.size()) {
        Task& task = queue->tasks[queue->next++];
        ++queue->running;
        task([queue, &pump] {
          --queue->running;
          ++queue->finished;
          pump();
        });
      }
    };
    pump();
    while (queue->finished < queue->tasks.size() && loop_.run(UV_RUN_ONCE) != 0) {
    }
  }

 private:
  RegistryOptions options_;
  UvLoop loop_;  // before the client: it is closed last
  std::unique_ptr<registry::HttpClient> http_;
  std::map<std::string, std::unique_ptr<RegistryClient>> clients_;
};

// The warnings of one transfer: entry-level ones bounded, ref-level ones once per ref.
class Warnings {
 public:
  void entry(const CacheRef& ref, const std::string& text) {
    if (++entry_count_ <= kMaxEntryWarnings) list_.push_back("registry cache " + ref.name() + ": " + text);
  }
  void add(const std::string& text) { list_.push_back(text); }
  std::vector<std::string> take(const std::string& more) {
    if (entry_count_ > kMaxEntryWarnings)
      list_.push_back(fmt::format("{} more {} {}", entry_count_ - kMaxEntryWarnings,
                                  entry_count_ - kMaxEntryWarnings == 1 ? "entry" : "entries", more));
    return std::move(list_);
  }

 private:
  std::vector<std::string> list_;
  std::size_t entry_count_ = 0;
};

// What went wrong with a ref as a whole: the first failure, and how many tasks it stopped.
struct RefFailure {
  std::string first;
  std::size_t count = 0;
};

std::string describe_entry(const EntryListing& listing) {
  std::string stage = listing.meta.stage.empty() ? "whole target" : listing.meta.stage;
  if (listing.meta.platform.empty()) return cache_tag(listing.key);
  return cache_tag(listing.key) + " (" + listing.meta.platform + " " + stage + ")";
}

// A fetched entry's manifest as this version writes them: the key asked for, the entry text
// first, objects after it, every digest a sha256 one.
Status check_entry_manifest(const oci::Manifest& manifest, const std::string& key) {
  auto annotation = manifest.annotations.find(kCacheKeyAnnotation);
  if (annotation == manifest.annotations.end() || annotation->second != key)
    return fail("its manifest is not the entry of this key (annotation " + std::string(kCacheKeyAnnotation) + " is \"" +
                (annotation == manifest.annotations.end() ? std::string() : annotation->second) + "\")");
  if (manifest.media_type != oci::kMediaTypeManifest || manifest.layers.empty() ||
      manifest.layers.front().media_type != kCacheEntryTextType)
    return fail("its manifest is not an xbuild cache entry (" + std::string(kCacheArtifactType) + ")");
  for (std::size_t index = 0; index < manifest.layers.size(); ++index) {
    const oci::Descriptor& layer = manifest.layers[index];
    if (!starts_with(layer.digest, "sha256:") || !is_hex64(layer.digest.substr(7)))
      return fail("its manifest lists the blob \"" + layer.digest + "\", not a sha256 digest");
    if (index > 0 && layer.media_type != kCacheObjectType)
      return fail("its manifest lists " + layer.digest + " of type \"" + layer.media_type + "\"");
  }
  return Ok{};
}

// One entry being fetched.
struct Fetch {
  std::string key;
  std::optional<std::size_t> ref;  // where it was found
  oci::Manifest manifest;
  std::string text;
  EntryListing listing;
  std::map<std::string, oci::Descriptor> layers;  // by hex
  std::string error;                              // why it is not imported
};

}  // namespace

Result<CacheRef> parse_cache_ref(const std::string& text, bool for_upload) {
  Result<CacheRefText> parsed = parse_cache_ref_text(text, for_upload);
  if (!parsed) return fail("invalid cache ref \"" + redact_credentials(text) + "\": " + parsed.error());
  Result<registry::Reference> reference = registry::parse_reference(parsed.value().repository);
  if (!reference) return fail("invalid cache ref \"" + redact_credentials(text) + "\": " + reference.error());
  CacheRef ref;
  ref.text = text;
  ref.repository = reference.value();
  ref.repository.tag.clear();
  if (parsed.value().mode == "max") ref.mode = CacheRef::Mode::max;
  return ref;
}

std::string cache_tag(const std::string& key) { return "xb-" + key_hex(key); }

Result<std::string> cache_entry_manifest(const std::string& key, const CacheStore& store) {
  Result<std::string> text = store.entry_text(key);
  if (!text) return fail(text.error());
  Result<EntryListing> listing = parse_entry_text(key, text.value());
  if (!listing) return fail(listing.error());
  std::vector<oci::Descriptor> layers;
  layers.push_back({kCacheEntryTextType, sha256_digest(text.value()), static_cast<std::int64_t>(text.value().size())});
  for (const std::string& hex : listing.value().objects) {
    std::error_code error;
    std::uintmax_t size = fs::file_size(store.object_path(hex), error);
    if (error)
      return fail("the cache entry " + key + " names the object " + hex + ", which " + store.object_path(hex).string() +
                  " does not hold: " + error.message());
    layers.push_back({kCacheObjectType, "sha256:" + hex, static_cast<std::int64_t>(size)});
  }
  const EntryMeta& meta = listing.value().meta;
  std::map<std::string, std::string> annotations = {{kCacheKeyAnnotation, key},
                                                    {kCachePlatformAnnotation, meta.platform},
                                                    {kCacheStageAnnotation, meta.stage},
                                                    {kCacheSecondsAnnotation, fmt::format("{:.3f}", meta.seconds)}};
  return oci::manifest_json(empty_config(), layers, annotations, kCacheArtifactType);
}

CacheTransfer fetch_cache_entries(const std::vector<CacheRef>& from, const std::vector<std::string>& keys,
                                  CacheStore& store, const RegistryOptions& options) {
  CacheTransfer transfer;
  Warnings warnings;
  std::vector<std::shared_ptr<Fetch>> wanted;
  std::set<std::string> seen;
  for (const std::string& key : keys)
    if (seen.insert(key).second && !store.contains(key)) {
      auto fetch = std::make_shared<Fetch>();
      fetch->key = key;
      wanted.push_back(fetch);
    }
  if (wanted.empty() || from.empty()) return transfer;

  std::error_code error;
  fs::create_directories(store.dir() / "objects", error);
  Result<fs::path> staging_dir =
      error ? Result<fs::path>(fail(error.message())) : make_sibling_temp_dir(store.dir() / "objects");
  if (!staging_dir) {
    transfer.warnings.push_back("registry cache " + from.front().name() + ": cannot write the cache directory " +
                                store.dir().string() + ": " + staging_dir.error());
    return transfer;
  }
  TempDir staging(staging_dir.value());
  Session session(options);

  // 1. Look-ups, one ref after the other.
  for (std::size_t ref_index = 0; ref_index < from.size(); ++ref_index) {
    const CacheRef& ref = from[ref_index];
    RegistryClient& client = session.client(ref.repository.registry);
    auto broken = std::make_shared<RefFailure>();
    std::vector<Task> tasks;
    for (const std::shared_ptr<Fetch>& fetch : wanted) {
      if (fetch->ref) continue;
      tasks.push_back([&, fetch, broken, ref_index](std::function<void()> finished) {
        if (!broken->first.empty()) {
          ++broken->count;
          return finished();
        }
        const std::string& repository = ref.repository.repository;
        client.find_manifest(
            repository, cache_tag(fetch->key),
            [&, fetch, broken, ref_index, finished](Result<std::optional<oci::Manifest>> found) {
              if (!found) {
                if (broken->first.empty()) broken->first = found.error();
                ++broken->count;
                return finished();
              }
              if (!found.value()) return finished();  // a miss: the next ref may have it
              oci::Manifest manifest = std::move(*found.value());
              if (Status checked = check_entry_manifest(manifest, fetch->key); !checked) {
                warnings.entry(ref, "entry " + cache_tag(fetch->key) + " not used: " + checked.error());
                return finished();
              }
              fs::path text_file = staging.path() / ("entry-" + key_hex(fetch->key));
              oci::Descriptor text_layer = manifest.layers.front();
              client.get_blob(repository, text_layer, text_file,
                              [&, fetch, ref_index, manifest, text_file, text_layer, finished](Status fetched) {
                                std::string what = "entry " + cache_tag(fetch->key) + " not used: ";
                                if (!fetched) {
                                  warnings.entry(ref, what + fetched.error());
                                  return finished();
                                }
                                ++transfer.blobs;
                                transfer.bytes += static_cast<std::uint64_t>(text_layer.size);
                                Result<std::string> text = read_file(text_file);
                                Result<EntryListing> listing =
                                    text ? parse_entry_text(fetch->key, text.value()) : fail(text.error());
                                if (!listing) {
                                  warnings.entry(ref, what + listing.error());
                                  return finished();
                                }
                                std::map<std::string, oci::Descriptor> layers;
                                for (const oci::Descriptor& layer : manifest.layers)
                                  layers[layer.digest.substr(7)] = layer;
                                for (const std::string& hex : listing.value().objects)
                                  if (!layers.count(hex)) {
                                    warnings.entry(ref, what + "its entry text names the object " + hex +
                                                            ", which its manifest does not list");
                                    return finished();
                                  }
                                fetch->ref = ref_index;
                                fetch->manifest = manifest;
                                fetch->text = text.value();
                                fetch->listing = std::move(listing).value();
                                fetch->layers = std::move(layers);
                                finished();
                              });
            });
      });
    }
    session.run(std::move(tasks));
    if (!broken->first.empty())
      warnings.add(fmt::format("registry cache {}: {} ({} {} not looked up there)", ref.name(), broken->first,
                               broken->count, broken->count == 1 ? "key" : "keys"));
  }

  // 2. The objects the found entries need, each once.
  struct ObjectFetch {
    std::size_t ref = 0;
    oci::Descriptor blob;
    std::string error;  // empty once it arrived
  };
  std::map<std::string, ObjectFetch> objects;
  for (const std::shared_ptr<Fetch>& fetch : wanted) {
    if (!fetch->ref) continue;
    for (const std::string& hex : fetch->listing.objects)
      if (!objects.count(hex) && !fs::exists(store.object_path(hex), error))
        objects[hex] = ObjectFetch{*fetch->ref, fetch->layers.at(hex), "not downloaded"};
  }
  std::vector<Task> downloads;
  for (auto& [hex, object] : objects) {
    downloads.push_back([&, hex = hex, object = &object](std::function<void()> finished) {
      const CacheRef& ref = from[object->ref];
      session.client(ref.repository.registry)
          .get_blob(ref.repository.repository, object->blob, staging.path() / hex,
                    [&transfer, object, finished](Status fetched) {
                      if (fetched) {
                        object->error.clear();
                        ++transfer.blobs;
                        transfer.bytes += static_cast<std::uint64_t>(object->blob.size);
                      } else {
                        object->error = fetched.error();
                      }
                      finished();
                    });
    });
  }
  session.run(std::move(downloads));

  // 3. Each entry whole, or not at all.
  for (const std::shared_ptr<Fetch>& fetch : wanted) {
    if (!fetch->ref) continue;
    const CacheRef& ref = from[*fetch->ref];
    std::string problem;
    for (const std::string& hex : fetch->listing.objects) {
      auto object = objects.find(hex);
      if (object != objects.end() && !object->second.error.empty()) {
        problem = object->second.error;
        break;
      }
    }
    for (const std::string& hex : fetch->listing.objects) {
      if (!problem.empty()) break;
      fs::path staged = staging.path() / hex;
      if (!objects.count(hex) || !fs::exists(staged, error)) continue;  // in the store already
      if (fs::exists(store.object_path(hex), error)) continue;          // another entry moved it there
      fs::rename(staged, store.object_path(hex), error);
      if (error)
        problem =
            "cannot move " + staged.string() + " into " + store.object_path(hex).string() + ": " + error.message();
    }
    if (problem.empty())
      if (Status imported = store.import_entry(fetch->key, fetch->text); !imported) problem = imported.error();
    if (!problem.empty()) {
      warnings.entry(ref, "entry " + describe_entry(fetch->listing) + " not used: " + problem);
      continue;
    }
    ++transfer.entries;
    transfer.keys.push_back(fetch->key);
  }
  std::sort(transfer.keys.begin(), transfer.keys.end());
  transfer.warnings = warnings.take("not used");
  return transfer;
}

CacheTransfer upload_cache_entries(const CacheRef& to, const std::vector<std::string>& keys, const CacheStore& store,
                                   const RegistryOptions& options) {
  CacheTransfer transfer;
  Warnings warnings;
  struct Upload {
    std::string key;
    std::string manifest;
    std::vector<std::string> digests;
    std::string error;
  };
  std::vector<Upload> uploads;
  struct BlobState {
    registry::BlobUpload blob;
    std::string error = "not uploaded";
  };
  std::map<std::string, BlobState> blobs;
  std::set<std::string> seen;
  for (const std::string& key : keys) {
    if (!seen.insert(key).second) continue;
    Upload upload{key, {}, {}, {}};
    Result<std::string> manifest = cache_entry_manifest(key, store);
    Result<std::string> text = store.entry_text(key);
    Result<EntryListing> listing = text ? parse_entry_text(key, text.value()) : fail(text.error());
    if (!manifest || !listing) {
      warnings.entry(to,
                     "entry " + cache_tag(key) + " not uploaded: " + (!manifest ? manifest.error() : listing.error()));
      continue;
    }
    upload.manifest = manifest.value();
    std::string text_digest = sha256_digest(text.value());
    blobs[text_digest].blob = {text_digest, static_cast<std::int64_t>(text.value().size()), {}, text.value()};
    upload.digests.push_back(text_digest);
    for (const std::string& hex : listing.value().objects) {
      std::error_code error;
      auto size = static_cast<std::int64_t>(fs::file_size(store.object_path(hex), error));
      blobs["sha256:" + hex].blob = {"sha256:" + hex, size, store.object_path(hex), {}};
      upload.digests.push_back("sha256:" + hex);
    }
    std::string config = sha256_digest(oci::kEmptyConfig);
    blobs[config].blob = {config, 2, {}, std::string(oci::kEmptyConfig)};
    upload.digests.push_back(config);
    uploads.push_back(std::move(upload));
  }
  if (uploads.empty()) {
    transfer.warnings = warnings.take("not uploaded");
    return transfer;
  }

  RegistryOptions pushing = options;
  pushing.push = true;
  Session session(pushing);
  RegistryClient& client = session.client(to.repository.registry);
  const std::string& repository = to.repository.repository;
  auto broken = std::make_shared<RefFailure>();
  std::vector<Task> tasks;
  for (auto& [digest, state] : blobs) {
    tasks.push_back([&, state = &state, broken](std::function<void()> finished) {
      if (!broken->first.empty()) {
        ++broken->count;
        return finished();
      }
      client.upload_blob(repository, state->blob, "",
                         [&transfer, state, broken, finished](Result<registry::BlobOutcome> outcome) {
                           if (!outcome) {
                             state->error = outcome.error();
                             if (broken->first.empty()) broken->first = outcome.error();
                             return finished();
                           }
                           state->error.clear();
                           if (outcome.value() == registry::BlobOutcome::uploaded) {
                             ++transfer.blobs;
                             transfer.bytes += static_cast<std::uint64_t>(state->blob.size);
                           }
                           finished();
                         });
    });
  }
  session.run(std::move(tasks));

  std::size_t blocked = 0;
  tasks.clear();
  for (Upload& upload : uploads) {
    for (const std::string& digest : upload.digests)
      if (!blobs.at(digest).error.empty()) {
        upload.error = blobs.at(digest).error;
        break;
      }
    if (!upload.error.empty()) {
      ++blocked;
      continue;
    }
    tasks.push_back([&, upload = &upload](std::function<void()> finished) {
      client.put_manifest(repository, cache_tag(upload->key), oci::kMediaTypeManifest, upload->manifest,
                          [upload, finished](Status put) {
                            if (!put) upload->error = put.error();
                            finished();
                          });
    });
  }
  session.run(std::move(tasks));
  if (!broken->first.empty()) {
    warnings.add(fmt::format("registry cache {}: {} ({} of {} {} not uploaded)", to.name(), broken->first, blocked,
                             uploads.size(), uploads.size() == 1 ? "entry" : "entries"));
  }
  for (const Upload& upload : uploads) {
    if (upload.error.empty()) {
      ++transfer.entries;
      transfer.keys.push_back(upload.key);
    } else if (broken->first.empty() || !std::any_of(upload.digests.begin(), upload.digests.end(), [&](const auto& d) {
                 return blobs.at(d).error == upload.error;
               })) {
      warnings.entry(to, "entry " + cache_tag(upload.key) + " not uploaded: " + upload.error);
    }
  }
  std::sort(transfer.keys.begin(), transfer.keys.end());
  transfer.warnings = warnings.take("not uploaded");
  return transfer;
}

Result<std::vector<std::string>> list_cache_keys(const CacheRef& ref, const RegistryOptions& options) {
  Session session(options);
  std::optional<Result<std::vector<std::string>>> tags;
  session.run({[&](std::function<void()> finished) {
    session.client(ref.repository.registry)
        .list_tags(ref.repository.repository, [&tags, finished](Result<std::vector<std::string>> listed) {
          tags.emplace(std::move(listed));
          finished();
        });
  }});
  if (!tags) return fail("registry cache " + ref.name() + ": the transfers stopped without an answer");
  if (!tags->ok()) return fail(tags->error());
  std::vector<std::string> keys;
  for (const std::string& tag : tags->value())
    if (starts_with(tag, "xb-") && is_hex64(std::string_view(tag).substr(3))) keys.push_back("sha256:" + tag.substr(3));
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

}  // namespace xb

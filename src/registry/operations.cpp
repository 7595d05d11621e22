// Whole registry operations, written as straight-line code: each step starts asynchronous
// transfers on the session's loop and await() runs the loop until that step's callback fired.
// Where a step holds many transfers (the blobs of a push or a pull), run_tasks() keeps up to
// kParallel of them in flight at once, all on the one loop, and reports the first failure.
#include "registry/operations.h"

#include <stdlib.h>

#include <map>
#include <memory>
#include <set>

#include "oci/image.h"
#include "oci/layout.h"
#include "oci/layout_reader.h"
#include "util/fs.h"
#include "util/strings.h"
#include "util/uv_loop.h"

namespace xb::registry {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kParallel = 8;

class LoopSession {
 public:
  LoopSession(const std::string& registry, const RegistryOptions& options) {
    http_ = options.http_client ? options.http_client(loop_.get()) : make_curl_http_client(loop_.get(), options.http);
    client_ = std::make_unique<RegistryClient>(*http_, registry, options);
  }
  ~LoopSession() {
    client_.reset();
    http_.reset();  // closes its handles; the loop closes when loop_ goes
    loop_.run();
  }
  RegistryClient& client() { return *client_; }

  template <class T>
  T await(const std::function<void(std::function<void(T)>)>& start) {
    std::optional<T> result;
    start([&result](T value) { result.emplace(std::move(value)); });
    while (!result && loop_.run(UV_RUN_ONCE) != 0) {
    }
    if (!result) return T(fail("internal error: the registry transfers stopped without an answer"));
    return std::move(*result);
  }

 private:
  UvLoop loop_;  // first in, last out: the client and its transfers close their handles first
  std::unique_ptr<HttpClient> http_;
  std::unique_ptr<RegistryClient> client_;
};

using Task = std::function<void(std::function<void(Status)>)>;

struct TaskQueue {
  std::vector<Task> tasks;
  std::size_t next = 0, running = 0;
  std::optional<std::string> error;
  std::function<void(Status)> done;
};

void pump(const std::shared_ptr<TaskQueue>& queue) {
  while (queue->running < kParallel && queue->next < queue->tasks.size() && !queue->error) {
    Task& task = queue->tasks[queue->next++];
    ++queue->running;
    task([queue](const Status& status) {
      --queue->running;
      if (!status && !queue->error) queue->error = status.error();
      pump(queue);
    });
  }
  if (queue->running == 0 && (queue->next == queue->tasks.size() || queue->error) && queue->done) {
    std::function<void(Status)> done = std::move(queue->done);
    queue->done = nullptr;
    done(queue->error ? Status(fail(*queue->error)) : Status(Ok{}));
  }
}

Status run_tasks(LoopSession& session, std::vector<Task> tasks) {
  return session.await<Status>([&tasks](std::function<void(Status)> done) {
    auto queue = std::make_shared<TaskQueue>();
    queue->tasks = std::move(tasks);
    queue->done = std::move(done);
    pump(queue);
  });
}

Result<oci::Manifest> get_manifest(LoopSession& session, const std::string& repository, const std::string& reference) {
  return session.await<Result<oci::Manifest>>([&](std::function<void(Result<oci::Manifest>)> done) {
    session.client().get_manifest(repository, reference, std::move(done));
  });
}

Status put_manifest(LoopSession& session, const std::string& repository, const std::string& reference,
                    const oci::Manifest& manifest) {
  return session.await<Status>([&](std::function<void(Status)> done) {
    session.client().put_manifest(repository, reference, manifest.media_type, manifest.body, std::move(done));
  });
}

Result<std::string> blob_text(LoopSession& session, const std::string& repository, const oci::Descriptor& blob) {
  std::string pattern = (fs::temp_directory_path() / "xbuild-blob.XXXXXX").string();
  if (!mkdtemp(pattern.data()))
    return fail("cannot create a temporary directory in " + fs::temp_directory_path().string());
  TempDir scratch(pattern);
  fs::path file = scratch.path() / "blob";
  Status fetched = session.await<Status>(
      [&](std::function<void(Status)> done) { session.client().get_blob(repository, blob, file, std::move(done)); });
  if (!fetched) return fail(fetched.error());
  return read_file(file);
}

}  // namespace

Result<PushSummary> push_layout(const fs::path& layout, const std::vector<Reference>& targets,
                                const RegistryOptions& options) {
  if (targets.empty()) return fail("nothing to push to: no image reference given");
  for (const Reference& target : targets)
    if (target.registry != targets.front().registry || target.repository != targets.front().repository)
      return fail("cannot push one image to " + targets.front().str() + " and " + target.str() +
                  " at once; push once per repository");
  Result<oci::LayoutReader> source = oci::LayoutReader::open(layout);
  if (!source) return fail(source.error());
  Result<oci::Descriptor> root = source.value().root(targets.front().tag.empty() ? "latest" : targets.front().tag);
  if (!root) return fail(root.error());
  Result<oci::Manifest> root_manifest = source.value().manifest(root.value());
  if (!root_manifest) return fail(root_manifest.error());

  std::vector<oci::Manifest> images;
  if (root_manifest.value().is_index()) {
    for (const oci::Descriptor& child : root_manifest.value().manifests) {
      if (!oci::is_manifest_media_type(child.media_type))
        return fail(layout.string() + ": the index lists " + child.digest + " of type \"" + child.media_type +
                    "\"; only image manifests can be pushed as its children");
      Result<oci::Manifest> image = source.value().manifest(child);
      if (!image) return fail(image.error());
      images.push_back(std::move(image).value());
    }
  } else {
    images.push_back(root_manifest.value());
  }
  std::map<std::string, BlobUpload> blobs;
  std::set<std::string> non_distributable;
  for (const oci::Manifest& image : images) {
    std::vector<oci::Descriptor> parts = image.layers;
    parts.push_back(image.config);
    for (const oci::Descriptor& part : parts) {
      // Neither uploaded nor checked for: the manifest points at it by its urls, as it did in
      // the base image, and the layout does not hold it.
      if (oci::is_non_distributable(part.media_type)) {
        non_distributable.insert(part.digest);
        continue;
      }
      Result<fs::path> path = source.value().blob_path(part.digest);
      if (!path) return fail(path.error());
      std::error_code ec;
      if (!fs::is_regular_file(path.value(), ec))
        return fail(layout.string() + " lacks the blob " + part.digest + " (" + path.value().string() +
                    "); the layout is incomplete");
      blobs[part.digest] = BlobUpload{part.digest, part.size, path.value(), {}};
    }
  }

  const std::string& repository = targets.front().repository;
  RegistryOptions pushing = options;
  pushing.push = true;
  LoopSession session(targets.front().registry, pushing);
  PushSummary summary;
  summary.root = root.value();
  summary.root.media_type = root_manifest.value().media_type;
  summary.non_distributable = static_cast<int>(non_distributable.size());

  std::vector<Task> uploads;
  // Not a structured binding: clang before 16 cannot capture one (C++20 allows it).
  for (const std::pair<const std::string, BlobUpload>& entry : blobs) {
    const BlobUpload& blob = entry.second;
    uploads.push_back([&session, &summary, &repository, blob](const std::function<void(Status)>& done) {
      session.client().upload_blob(repository, blob, "", [&summary, blob, done](const Result<BlobOutcome>& outcome) {
        if (!outcome) return done(fail(outcome.error()));
        if (outcome.value() == BlobOutcome::existed) ++summary.blobs_existed;
        if (outcome.value() == BlobOutcome::mounted) ++summary.blobs_mounted;
        if (outcome.value() == BlobOutcome::uploaded) {
          ++summary.blobs_uploaded;
          summary.bytes_uploaded += blob.size;
        }
        done(Ok{});
      });
    });
  }
  if (Status uploaded = run_tasks(session, std::move(uploads)); !uploaded) return fail(uploaded.error());

  if (root_manifest.value().is_index()) {
    std::vector<Task> children;
    for (const oci::Manifest& image : images)
      children.push_back([&session, &repository, &image](std::function<void(Status)> done) {
        session.client().put_manifest(repository, image.digest, image.media_type, image.body, std::move(done));
      });
    if (Status pushed = run_tasks(session, std::move(children)); !pushed) return fail(pushed.error());
    summary.manifests = static_cast<int>(images.size());
  }
  for (const Reference& target : targets)
    if (Status tagged = put_manifest(session, repository, target.reference(), root_manifest.value()); !tagged)
      return fail(tagged.error());
  return summary;
}

Result<oci::Manifest> fetch_manifest(const Reference& reference, const RegistryOptions& options) {
  LoopSession session(reference.registry, options);
  return get_manifest(session, reference.repository, reference.reference());
}

Result<std::string> fetch_blob_text(const Reference& repository, const oci::Descriptor& blob,
                                    const RegistryOptions& options) {
  LoopSession session(repository.registry, options);
  return blob_text(session, repository.repository, blob);
}

Result<PullSummary> pull_image(const Reference& reference, const Platform& platform, const fs::path& output,
                               const RegistryOptions& options) {
  LoopSession session(reference.registry, options);
  const std::string& repository = reference.repository;
  Result<oci::Manifest> top = get_manifest(session, repository, reference.reference());
  if (!top) return fail(top.error());
  PullSummary summary;
  PlatformMatcher matcher(platform);
  oci::Manifest image = top.value();
  std::optional<Platform> entry_platform;  // what the index says of the manifest chosen
  if (top.value().is_index()) {
    std::vector<Platform> offered;
    for (const oci::Descriptor& entry : top.value().manifests) offered.push_back(entry.platform.value_or(Platform{}));
    std::optional<std::size_t> best = matcher.best(offered);
    if (!best) {
      std::vector<std::string> names;
      for (const Platform& candidate : offered)
        if (!candidate.os.empty()) names.push_back(candidate.str());
      return fail("no image for " + platform.str() + " in " + reference.str() +
                  "; the index offers: " + join(names, ", ") + "\n  pick one with --platform");
    }
    summary.index_digest = top.value().digest;
    entry_platform = top.value().manifests[*best].platform;
    Result<oci::Manifest> child = get_manifest(session, repository, top.value().manifests[*best].digest);
    if (!child) return fail(child.error());
    if (child.value().is_index()) return fail(reference.str() + ": nested indexes are not supported");
    image = std::move(child).value();
  }
  Result<std::string> config = blob_text(session, repository, image.config);
  if (!config) return fail(config.error());
  // An artifact (firmware) has the empty config: its platform is the index entry's.
  Result<Platform> image_platform = image.config.media_type == oci::kMediaTypeEmpty && entry_platform
                                        ? Result<Platform>(*entry_platform)
                                        : oci::platform_of_config(config.value(), reference.str());
  if (!image_platform) return fail(image_platform.error());
  if (!top.value().is_index() && !matcher.matches(image_platform.value()))
    return fail(reference.str() + " is a single image for " + image_platform.value().str() + ", not one for " +
                platform.str() + "\n  pull it with --platform " + image_platform.value().str());
  summary.platform = image_platform.value();

  Result<fs::path> staging_root = make_sibling_temp_dir(output);
  if (!staging_root) return fail(staging_root.error());
  TempDir cleanup(staging_root.value());
  fs::path staging = staging_root.value() / "oci";
  Result<oci::LayoutWriter> layout = oci::LayoutWriter::create(staging);
  if (!layout) return fail(layout.error());
  std::vector<Task> downloads;
  std::set<std::string> seen;
  std::vector<oci::Descriptor> parts = image.layers;
  parts.push_back(image.config);
  for (const oci::Descriptor& part : parts) {
    // Left where its urls point: this registry need not hold it, and packaging does not copy it.
    if (oci::is_non_distributable(part.media_type)) {
      if (seen.insert(part.digest).second) ++summary.non_distributable;
      continue;
    }
    if (!seen.insert(part.digest).second) continue;
    fs::path path = layout.value().blobs_dir() / "sha256" / part.digest.substr(7);
    downloads.push_back([&session, &repository, part, path](std::function<void(Status)> done) {
      session.client().get_blob(repository, part, path, std::move(done));
    });
  }
  summary.blobs = static_cast<int>(downloads.size());
  if (Status fetched = run_tasks(session, std::move(downloads)); !fetched) return fail(fetched.error());
  Result<oci::Descriptor> stored = layout.value().add_blob(image.body, image.media_type);
  if (!stored) return fail(stored.error());
  summary.manifest = stored.value();
  summary.manifest.platform = summary.platform;
  Status finished = layout.value().finish(summary.manifest, reference.tag.empty() ? "latest" : reference.tag);
  if (!finished) return fail(finished.error());
  if (Status published = oci::publish_layout(staging, output); !published) return fail(published.error());
  return summary;
}

Result<oci::Manifest> create_index(const Reference& target, const std::vector<IndexSource>& sources, bool dry_run,
                                   const RegistryOptions& options) {
  if (sources.empty()) return fail("manifest create needs at least one source image");
  RegistryOptions pushing = options;
  pushing.push = !dry_run;
  LoopSession session(target.registry, pushing);
  std::vector<oci::Descriptor> entries;
  std::map<std::string, std::string> listed;  // platform -> source
  for (const IndexSource& source : sources) {
    const Reference& from = source.reference;
    if (from.registry != target.registry)
      return fail(from.str() + " is on " + from.registry + ", not on " + target.registry +
                  "; an index lists images of its own registry (push the image there first)");
    Result<oci::Manifest> image = get_manifest(session, from.repository, from.reference());
    if (!image) return fail(image.error());
    if (image.value().is_index()) return fail(from.str() + " is an index, not an image; name one image per platform");
    Platform platform;
    if (source.platform) {
      platform = *source.platform;
    } else {
      Result<std::string> config = blob_text(session, from.repository, image.value().config);
      if (!config) return fail(config.error());
      Result<Platform> read = oci::platform_of_config(config.value(), from.str());
      if (!read) return fail(read.error());
      platform = read.value();
    }
    auto [previous, added] = listed.emplace(platform.str(), from.str());
    if (!added)
      return fail("both " + previous->second + " and " + from.str() + " are " + platform.str() +
                  " images; an index lists each platform once");
    if (!dry_run && from.repository != target.repository) {
      std::vector<Task> mounts;
      std::vector<oci::Descriptor> parts = image.value().layers;
      parts.push_back(image.value().config);
      for (const oci::Descriptor& part : parts) {
        // The source repository does not hold it either; the copied manifest keeps its urls.
        if (oci::is_non_distributable(part.media_type)) continue;
        mounts.push_back([&session, &target, &from, part](const std::function<void(Status)>& done) {
          session.client().upload_blob(target.repository, BlobUpload{part.digest, part.size, {}, {}}, from.repository,
                                       [done](const Result<BlobOutcome>& outcome) {
                                         done(outcome ? Status(Ok{}) : Status(fail(outcome.error())));
                                       });
        });
      }
      if (Status mounted = run_tasks(session, std::move(mounts)); !mounted) return fail(mounted.error());
      if (Status copied = put_manifest(session, target.repository, image.value().digest, image.value()); !copied)
        return fail(copied.error());
    }
    oci::Descriptor entry;
    entry.media_type = image.value().media_type;
    entry.digest = image.value().digest;
    entry.size = image.value().size();
    entry.platform = platform;
    entries.push_back(entry);
  }
  Result<oci::Manifest> index = oci::parse_manifest(oci::index_json(entries), oci::kMediaTypeIndex, target.str());
  if (!index) return fail(index.error());
  if (!dry_run)
    if (Status pushed = put_manifest(session, target.repository, target.reference(), index.value()); !pushed)
      return fail(pushed.error());
  return index;
}

Result<BaseCoverage> base_coverage(const Reference& base, const std::vector<Platform>& platforms,
                                   const RegistryOptions& options) {
  LoopSession session(base.registry, options);
  Result<oci::Manifest> top = get_manifest(session, base.repository, base.reference());
  if (!top) return fail(top.error());
  BaseCoverage coverage;
  if (top.value().is_index()) {
    for (const oci::Descriptor& entry : top.value().manifests)
      if (entry.platform && !entry.platform->os.empty() && entry.platform->os != "unknown")
        coverage.offered.push_back(*entry.platform);
  } else {
    Result<std::string> config = blob_text(session, base.repository, top.value().config);
    if (!config) return fail(config.error());
    Result<Platform> platform = oci::platform_of_config(config.value(), base.str());
    if (!platform) return fail(platform.error());
    coverage.offered.push_back(platform.value());
  }
  for (const Platform& platform : platforms)
    if (!PlatformMatcher(platform).best(coverage.offered)) coverage.missing.push_back(platform);
  return coverage;
}

Result<std::vector<oci::BaseImage>> fetch_base_images(const Reference& base, const std::vector<Platform>& platforms,
                                                      const fs::path& cache_dir, const RegistryOptions& options) {
  std::vector<oci::BaseImage> images;
  std::error_code ec;
  fs::create_directories(cache_dir, ec);
  if (ec) return fail("cannot create " + cache_dir.string() + ": " + ec.message());
  for (const Platform& platform : platforms) {
    fs::path layout = cache_dir / platform.slug();
    Result<PullSummary> pulled = pull_image(base, platform, layout, options);
    if (!pulled) return fail(pulled.error());
    Result<oci::BaseImage> image = oci::read_base_image(layout, base.str());
    if (!image) return fail(image.error());
    images.push_back(std::move(image).value());
  }
  return images;
}

std::string describe_push(const PushSummary& summary) {
  std::string line = std::to_string(summary.blobs_uploaded) + (summary.blobs_uploaded == 1 ? " blob" : " blobs") +
                     " uploaded (" + std::to_string(summary.bytes_uploaded) + " bytes), " +
                     std::to_string(summary.blobs_existed) + " already there, " +
                     std::to_string(summary.blobs_mounted) + " mounted";
  if (summary.non_distributable > 0)
    line += ", " + std::to_string(summary.non_distributable) + " non-distributable layer" +
            (summary.non_distributable == 1 ? "" : "s") + " not pushed";
  return line;
}

}  // namespace xb::registry

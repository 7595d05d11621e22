// The registry commands as whole operations: each runs its transfers concurrently on a uv
// loop of its own and returns when all of them ended.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "oci/base_image.h"
#include "oci/document.h"
#include "registry/reference.h"
#include "registry/registry_client.h"
#include "util/error.h"

namespace xb::registry {

struct PushSummary {
  int blobs_uploaded = 0;
  int blobs_existed = 0;
  int blobs_mounted = 0;
  std::int64_t bytes_uploaded = 0;
  int non_distributable = 0;  // layers left out (oci::is_non_distributable): not uploaded, not checked
  int manifests = 0;          // image manifests pushed (the index not counted)
  oci::Descriptor root;       // what the tags point at
};

// "3 blobs uploaded (1234 bytes), 2 already there, 0 mounted[, 1 non-distributable layer not
// pushed]": what a push did, as the push commands print it.
std::string describe_push(const PushSummary& summary);

// Pushes the layout's image (or index) to every target (one repository, one tag each):
// blobs first (existing ones skipped), then the image manifests by digest, then the root.
// Non-distributable layers are never uploaded: the manifests reference them as they are.
Result<PushSummary> push_layout(const std::filesystem::path& layout, const std::vector<Reference>& targets,
                                const RegistryOptions& options);

// Reads a manifest or index from a registry.
Result<oci::Manifest> fetch_manifest(const Reference& reference, const RegistryOptions& options);
// Reads a small blob (an image config) from a registry, verifying its digest.
Result<std::string> fetch_blob_text(const Reference& repository, const oci::Descriptor& blob,
                                    const RegistryOptions& options);

struct PullSummary {
  Platform platform;          // of the image pulled
  oci::Descriptor manifest;   // the image manifest
  std::string index_digest;   // when the reference named an index
  int blobs = 0;              // downloaded and verified
  int non_distributable = 0;  // layers not downloaded (oci::is_non_distributable), not in the layout
};

// Pulls the image for `platform` (containerd's matcher: exact, then what the platform also
// runs) into the layout directory `output`, replaced atomically; every digest is verified.
// Non-distributable layers are not downloaded: the layout holds the manifest listing them
// but not their blobs.
Result<PullSummary> pull_image(const Reference& reference, const Platform& platform,
                               const std::filesystem::path& output, const RegistryOptions& options);

// A source of `manifest create`: an image already in the registry, with the platform to list
// it under (read from its config when not given).
struct IndexSource {
  Reference reference;
  std::optional<Platform> platform;
};

// Builds an index of the sources (mounting and pushing each image into the target's repository
// when it lives in another one) and, unless `dry_run`, pushes it to `target`. Returns the index.
Result<oci::Manifest> create_index(const Reference& target, const std::vector<IndexSource>& sources, bool dry_run,
                                   const RegistryOptions& options);

// For `[image] from = REF`: the platforms among `platforms` that the base image has no image
// for (containerd's matcher, as a pull on that platform would pick), and what it offers.
struct BaseCoverage {
  std::vector<Platform> missing;
  std::vector<Platform> offered;
};
Result<BaseCoverage> base_coverage(const Reference& base, const std::vector<Platform>& platforms,
                                   const RegistryOptions& options);

// Pulls the base image of every platform into cache_dir/<platform slug> and reads it back.
Result<std::vector<oci::BaseImage>> fetch_base_images(const Reference& base, const std::vector<Platform>& platforms,
                                                      const std::filesystem::path& cache_dir,
                                                      const RegistryOptions& options);

}  // namespace xb::registry

// Merging OCI layouts written by `xbuild run --shard I/N` into one layout whose index holds
// every platform: the blobs are united (hard links, or copies across filesystems, each digest
// verified) and one index is written in the expected platform order.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "oci/descriptor.h"
#include "oci/layout.h"
#include "platform/platform.h"
#include "util/error.h"

namespace xb::oci {

// Index annotations a shard writes: "I/N", and every platform of the config in config order
// ("linux/amd64,linux/arm64"). A merge reads them and leaves them out of the merged index.
inline constexpr const char* kAnnotationShard = "dev.xbuild.shard";
inline constexpr const char* kAnnotationPlatforms = "dev.xbuild.platforms";

struct MergeOptions {
  // The platforms the merged index must hold, in its order. Empty: the shards' own
  // dev.xbuild.platforms annotation; when no input has one, the platforms found, sorted by name.
  std::vector<Platform> expected;
  bool allow_partial = false;  // merge even when expected platforms are missing
};

struct MergedImage {
  std::string platform;  // "linux/arm64"
  std::string digest;    // the manifest's
};

struct MergeResult {
  Descriptor index;
  std::string ref_name;
  std::vector<MergedImage> images;   // in the merged index's order
  std::vector<std::string> missing;  // expected platforms no input had (only with allow_partial)
  std::size_t blobs = 0;             // blobs in the merged layout besides the index
};

// Merges `inputs` (layout directories) into `out` and finishes it. Refuses, naming the
// layouts: two different manifests for one platform, a platform not expected, missing
// platforms (unless allow_partial), inputs whose tags or index annotations differ, and blobs
// whose content does not match their digest.
Result<MergeResult> merge_layouts(const std::vector<std::filesystem::path>& inputs, const MergeOptions& options,
                                  LayoutWriter& out);

}  // namespace xb::oci

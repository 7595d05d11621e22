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

// The run's result and identity, which xbuild run writes on the layout's index.json itself (not
// on the image index, so no image digest depends on them); a shard's index.json also holds the
// two keys above. Merge compares them: every shard must come from a run that succeeded, with
// the same config digest, commit (and dirty flag) and created time.
inline constexpr const char* kAnnotationResult = "dev.xbuild.result";                    // "ok" or "failed"
inline constexpr const char* kAnnotationConfigDigest = "dev.xbuild.config.digest";       // shard.h config_digest
inline constexpr const char* kAnnotationRevision = "org.opencontainers.image.revision";  // git HEAD, when one
inline constexpr const char* kAnnotationDirty = "dev.xbuild.source.dirty";  // "true"/"false", with a revision
// On a merged layout's index.json, with --allow-partial: the expected platforms left out.
inline constexpr const char* kAnnotationMissing = "dev.xbuild.missing";
inline constexpr const char* kResultOk = "ok";
inline constexpr const char* kResultFailed = "failed";

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

// An input left out with --allow-partial (without it, the same reason refuses the merge).
struct LeftOut {
  std::filesystem::path layout;
  std::string shard;    // "2/3", or empty
  std::string reason;   // "its run failed", "it is stale: built from commit X, not Y"
  bool failed = false;  // a failed run of the same build (its reports belong with the others)
};

struct MergeResult {
  Descriptor index;
  std::string ref_name;
  std::vector<MergedImage> images;            // in the merged index's order
  std::vector<std::string> missing;           // expected platforms no input had (only with allow_partial)
  std::size_t blobs = 0;                      // blobs in the merged layout besides the index
  std::vector<std::filesystem::path> merged;  // the inputs whose images are in the index
  std::vector<LeftOut> left_out;              // only with allow_partial
};

// Merges `inputs` (layout directories) into `out` and finishes it. Refuses, naming the
// layouts: a layout without the run's identity, one from a failed run, a stale one (its
// identity differs from the one most inputs share), and missing platforms (these four unless
// allow_partial, which leaves them out); the same shard given twice, two different manifests
// for one platform, a platform not expected, inputs whose tags or index annotations differ,
// and blobs whose content does not match their digest. The merged index.json carries the
// shared identity, result "ok", without the shard keys (so a merge of every shard equals an
// unsharded run's layout) and, when platforms are missing, kAnnotationMissing.
Result<MergeResult> merge_layouts(const std::vector<std::filesystem::path>& inputs, const MergeOptions& options,
                                  LayoutWriter& out);

}  // namespace xb::oci

// Reading an image back out of an OCI image layout: for a tag and a platform, the manifest's
// digest and the layer blobs to unpack, bottom layer first.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "platform/platform.h"
#include "util/error.h"

namespace xb::oci {

struct ImageLayers {
  std::string manifest_digest;                // "sha256:<hex>"
  std::vector<std::filesystem::path> layers;  // blobs/sha256/<hex>, in order
};

// In the layout `layout`, the index.json entry named `tag` (org.opencontainers.image.ref.name;
// with an empty tag, the only entry), then — through an image index — the manifest for
// `platform`. Errors say what is missing and what is there.
Result<ImageLayers> find_image_layers(const std::filesystem::path& layout, const std::string& tag,
                                      const Platform& platform);

}  // namespace xb::oci

// The files of an image as a container sees them, without unpacking it: a base image's layers
// (tar files, bottom first) and, on top, the layer that `sources` become (oci/layer.h). Paths
// are resolved as the kernel would inside the container: component by component, following
// symlinks within the image (an absolute target starts again at the image's root), the upper
// layer winning, and the OCI whiteouts (".wh.NAME", ".wh..wh..opq") hiding what lies below.
// The top layer is looked up on disk (a few lstat calls a path); the base layers' tar entries
// are listed only when a lookup first gets past the top layer.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "oci/layer.h"
#include "util/error.h"

namespace xb::oci {

enum class ImageFileKind { directory, file, symlink, other };

struct ImageFile {
  std::string path;  // in the image, "/" and then every symlink resolved
  ImageFileKind kind = ImageFileKind::other;
  // The file on disk when the top layer provides it; empty when a base layer does.
  std::filesystem::path disk_path;
};

class ImageFiles {
 public:
  // `base_layers`: the base image's layer blobs (gzip or plain tar), bottom first; an empty
  // path (a non-distributable layer that is not at hand) is skipped.
  ImageFiles(std::vector<LayerSource> sources, std::vector<std::filesystem::path> base_layers);
  ~ImageFiles();
  ImageFiles(const ImageFiles&) = delete;
  ImageFiles& operator=(const ImageFiles&) = delete;

  // `path` (absolute, or relative to "/") with every symlink followed; nullopt when a component
  // is missing, not a directory, or the symlinks loop. Fails only when a base layer cannot be
  // read.
  Result<std::optional<ImageFile>> resolve(const std::string& path);
  // The same in the top layer alone: reads no base layer.
  std::optional<ImageFile> resolve_in_top_layer(const std::string& path) const;

  struct BaseListing;  // image_files.cpp

 private:
  std::vector<LayerSource> sources_;
  std::vector<std::filesystem::path> base_layers_;
  std::unique_ptr<BaseListing> listing_;  // the base layers' entries, once listed
};

}  // namespace xb::oci

// Reading OCI image layouts (index.json + blobs/sha256/<hex>), the other direction of
// oci/layout.h: the roots index.json lists, blobs checked against their digests, manifests,
// an index's image for a platform; and what xbuild reads layouts for: the layers of a root
// filesystem image, a pulled base image, whether a layout still holds an index it wrote.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "oci/base_image.h"
#include "oci/descriptor.h"
#include "oci/document.h"
#include "platform/platform.h"
#include "util/error.h"

namespace xb::oci {

class LayoutReader {
 public:
  // A layout given as a source of images (push, `manifest inspect oci:DIR`, base images): the
  // oci-layout file must be there, and index.json must list at least one descriptor.
  static Result<LayoutReader> open(const std::filesystem::path& directory);
  // Only reads index.json: no oci-layout file needed, and it may list nothing (the callers say
  // what they expected to find).
  static Result<LayoutReader> read_index(const std::filesystem::path& directory);

  const std::filesystem::path& directory() const { return directory_; }
  // The descriptors of index.json.
  const std::vector<Descriptor>& roots() const { return roots_; }
  // The annotations of index.json itself: xbuild run's identity of the run (oci/merge.h).
  const std::map<std::string, std::string>& annotations() const { return annotations_; }
  // The root to use: the only one, else the one whose ref.name is `tag`.
  Result<Descriptor> root(const std::string& tag) const;
  // The last root whose ref.name is `tag`, or nullptr.
  const Descriptor* tagged(const std::string& tag) const;
  // The root a user names as oci:DIR:TAG: the last one whose ref.name is `tag`; with an empty
  // tag, the only one. Fails naming the tags the layout has.
  Result<Descriptor> named_root(const std::string& tag) const;
  // True when a root is the image index `digest` and the layout holds its blob.
  bool holds_root_index(const std::string& digest) const;

  // blobs/sha256/<hex> of a digest, once it has the shape "sha256:<64 hex>" (so a crafted
  // digest cannot point outside the layout). The file need not exist.
  Result<std::filesystem::path> blob_path(const std::string& digest) const;
  // The blob's content, checked against its digest.
  Result<std::string> blob(const std::string& digest) const;
  // The blob a descriptor points at, its file there and of the size the descriptor declares
  // (a stat, nothing read): fails naming the file and the descriptor.
  Result<std::filesystem::path> sized_blob_file(const Descriptor& descriptor) const;
  // The blob's file, its content checked against its digest without reading it into memory.
  Result<std::filesystem::path> verified_blob_file(const std::string& digest) const;
  // The same, its size checked against the descriptor's first.
  Result<std::filesystem::path> verified_blob_file(const Descriptor& descriptor) const;
  // The manifest or index a descriptor points at, checked against its size and digest.
  Result<Manifest> manifest(const Descriptor& descriptor) const;
  // The entry of `index` for `platform`: same os and architecture, and the same variant when
  // both name one; the first of several. Fails listing the platforms the index has.
  Result<Descriptor> platform_manifest(const Manifest& index, const Platform& platform) const;
  // The image `manifest` points at as a base image named `name` (its config read, its layers'
  // files found; a non-distributable layer gets an empty path). With `verify_layers`, each
  // layer file is checked against its digest.
  Result<BaseImage> base_image(const Descriptor& manifest, const std::string& name, bool verify_layers) const;

 private:
  std::filesystem::path directory_;
  std::vector<Descriptor> roots_;
  std::map<std::string, std::string> annotations_;
};

struct ImageLayers {
  std::string manifest_digest;                // "sha256:<hex>"
  std::vector<std::filesystem::path> layers;  // blobs/sha256/<hex>, in order
  std::vector<Descriptor> descriptors;        // the manifest's descriptor of each layer: what to verify it against
};

// In the layout `layout`, the index.json entry named `tag` (org.opencontainers.image.ref.name;
// with an empty tag, the only entry), then — through an image index — the manifest for
// `platform`: its digest and the layer blobs to unpack, bottom layer first, each file there and
// of its declared size (its digest is checked as it is unpacked). Errors say what is missing and
// what is there; a non-distributable layer the layout does not hold is refused by name (it
// cannot be unpacked).
Result<ImageLayers> find_image_layers(const std::filesystem::path& layout, const std::string& tag,
                                      const Platform& platform);

// A pulled base image (a layout holding one image) as packaging uses it; `name` is recorded
// in the derived image's base.name annotation.
Result<BaseImage> read_base_image(const std::filesystem::path& layout, const std::string& name);

// True when the layout at `layout` lists the image index `digest` as a root and holds its blob
// (a run that wrote it may reuse it).
bool layout_holds_root_index(const std::filesystem::path& layout, const std::string& digest);

}  // namespace xb::oci

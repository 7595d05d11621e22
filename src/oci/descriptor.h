// OCI descriptors and media types (image-spec 1.1).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "platform/platform.h"

namespace xb::oci {

inline constexpr const char* kMediaTypeIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr const char* kMediaTypeManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr const char* kMediaTypeConfig = "application/vnd.oci.image.config.v1+json";
// The config of an artifact that has none (image-spec 1.1): the two bytes "{}".
inline constexpr const char* kMediaTypeEmpty = "application/vnd.oci.empty.v1+json";
inline constexpr const char* kMediaTypeLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
// Non-distributable ("foreign") layers, as Windows base images list them: the registry of the
// image need not hold the blob (its `urls` say where it lives), and no client may upload it to
// another registry. Docker's two types, and OCI's three (deprecated in image-spec 1.1, still
// served).
inline constexpr const char* kMediaTypeDockerForeignLayer = "application/vnd.docker.image.rootfs.foreign.diff.tar";
inline constexpr const char* kMediaTypeDockerForeignLayerGzip =
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
inline constexpr const char* kMediaTypeLayerNonDistributable =
    "application/vnd.oci.image.layer.nondistributable.v1.tar";
inline constexpr const char* kMediaTypeLayerNonDistributableGzip =
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
inline constexpr const char* kMediaTypeLayerNonDistributableZstd =
    "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd";
inline constexpr const char* kAnnotationRefName = "org.opencontainers.image.ref.name";
inline constexpr const char* kAnnotationCreated = "org.opencontainers.image.created";
// The image's full name ("registry.example/app:1.0") on index.json's descriptor: what containerd's
// archive import and podman load name the image (with the ref name, a tag, they would name it
// "localhost/<tag>:latest").
inline constexpr const char* kAnnotationImageName = "io.containerd.image.name";

// The largest blob a descriptor may declare (256 GiB): more than any layer a registry takes, so a
// larger size (or a negative one) is a damaged or hostile document, refused where it is read.
inline constexpr std::int64_t kMaxBlobSize = std::int64_t{256} << 30;

struct Descriptor {
  std::string media_type;
  std::string digest;  // "sha256:<hex>"
  std::int64_t size = 0;
  std::optional<Platform> platform;
  std::map<std::string, std::string> annotations;
  std::vector<std::string> urls;  // where a non-distributable layer can be downloaded from
  // An artifact manifest's artifactType, repeated in the index entry that points at it
  // (image-spec 1.1), so a client can tell firmware from images without fetching the manifest.
  std::string artifact_type;

  friend bool operator==(const Descriptor&, const Descriptor&) = default;
};

// True for the media types of non-distributable layers above: xbuild neither downloads nor
// uploads them, and layouts it writes do not hold them; manifests keep their descriptors as
// they are (urls included).
inline bool is_non_distributable(const std::string& media_type) {
  return media_type == kMediaTypeDockerForeignLayer || media_type == kMediaTypeDockerForeignLayerGzip ||
         media_type == kMediaTypeLayerNonDistributable || media_type == kMediaTypeLayerNonDistributableGzip ||
         media_type == kMediaTypeLayerNonDistributableZstd;
}

}  // namespace xb::oci

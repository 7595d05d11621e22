// OCI descriptors and media types (image-spec 1.1).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "platform/platform.h"

namespace xb::oci {

inline constexpr const char* kMediaTypeIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr const char* kMediaTypeManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr const char* kMediaTypeConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr const char* kMediaTypeLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr const char* kAnnotationRefName = "org.opencontainers.image.ref.name";
inline constexpr const char* kAnnotationCreated = "org.opencontainers.image.created";

struct Descriptor {
  std::string media_type;
  std::string digest;  // "sha256:<hex>"
  std::int64_t size = 0;
  std::optional<Platform> platform;
  std::map<std::string, std::string> annotations;
};

}  // namespace xb::oci

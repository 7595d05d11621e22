// Reading OCI documents: image manifests and indexes (OCI image-spec 1.1 and Docker v2.2
// media types both), an OCI layout's index.json, and image configs. Writing them is
// oci/image.h's. nlohmann/json stays inside document.cpp.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "oci/descriptor.h"
#include "oci/image.h"
#include "util/error.h"

namespace xb::oci {

inline constexpr const char* kMediaTypeDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr const char* kMediaTypeDockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";

bool is_index_media_type(const std::string& media_type);
bool is_manifest_media_type(const std::string& media_type);
// "sha256:" and 64 lowercase hex digits: a digest that names a blob file of a layout.
bool is_sha256_digest(std::string_view digest);

// A manifest or an index, with the exact bytes it was read from.
struct Manifest {
  std::string media_type;             // from the document, else from Content-Type
  std::string digest;                 // of the exact bytes
  std::string body;                   // the exact bytes
  Descriptor config;                  // image manifests
  std::vector<Descriptor> layers;     // image manifests
  std::vector<Descriptor> manifests;  // indexes
  std::map<std::string, std::string> annotations;

  bool is_index() const { return is_index_media_type(media_type); }
  std::int64_t size() const { return static_cast<std::int64_t>(body.size()); }
};

// Parses a manifest or index. `content_type` is used when the document has no mediaType.
// `where` names the document in errors ("localhost:5000/x:1.0").
Result<Manifest> parse_manifest(std::string body, const std::string& content_type, const std::string& where);

// The descriptors of a layout's index.json. `where` names the file in errors.
Result<std::vector<Descriptor>> parse_layout_index(std::string_view text, const std::string& where);
// The annotations of a layout's index.json itself (not of its descriptors); none when it has none.
std::map<std::string, std::string> parse_layout_annotations(std::string_view text);

// What an image config holds that a derived image inherits, and its platform (not checked:
// see platform_of_config). `created` and `created_by` are left at their defaults.
Result<ImageConfig> parse_image_config(std::string_view config_json, const std::string& where);

// The platform an image config describes (architecture, os, variant, os.version); fails when
// it names no os and architecture.
Result<Platform> platform_of_config(std::string_view config_json, const std::string& where);

}  // namespace xb::oci

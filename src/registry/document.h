// Reading manifests, indexes and image configs as registries serve them: OCI image-spec 1.1
// and Docker v2.2 (schema 2) media types both; and OCI layouts on disk as a source of them.
// nlohmann/json stays inside document.cpp.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "oci/base_image.h"
#include "oci/descriptor.h"
#include "util/error.h"

namespace xb::registry {

inline constexpr const char* kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr const char* kDockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";

// The Accept header value of a manifest GET: the four types above, OCI first.
std::string manifest_accept_header();
bool is_index_media_type(const std::string& media_type);
bool is_manifest_media_type(const std::string& media_type);

struct Manifest {
  std::string media_type;                  // from the document, else from Content-Type
  std::string digest;                      // of the exact bytes
  std::string body;                        // the exact bytes
  oci::Descriptor config;                  // image manifests
  std::vector<oci::Descriptor> layers;     // image manifests
  std::vector<oci::Descriptor> manifests;  // indexes
  std::map<std::string, std::string> annotations;

  bool is_index() const { return is_index_media_type(media_type); }
  std::int64_t size() const { return static_cast<std::int64_t>(body.size()); }
};

// Parses a manifest or index. `content_type` is used when the document has no mediaType.
// `where` names the document in errors ("localhost:5000/x:1.0").
Result<Manifest> parse_manifest(std::string body, const std::string& content_type, const std::string& where);

// The platform an image config describes (architecture, os, variant, os.version).
Result<Platform> platform_of_config(std::string_view config_json, const std::string& where);

// The message of a registry's error body ({"errors":[{"code":..,"message":..}]}), or "".
std::string registry_error_text(std::string_view body);

// An OCI image layout directory read as a source of documents and blobs.
class LayoutSource {
 public:
  static Result<LayoutSource> open(const std::filesystem::path& directory);

  const std::filesystem::path& directory() const { return directory_; }
  // The descriptors of index.json.
  const std::vector<oci::Descriptor>& roots() const { return roots_; }
  // The root to use: the only one, else the one whose ref.name is `tag`.
  Result<oci::Descriptor> root(const std::string& tag) const;
  std::filesystem::path blob_path(const std::string& digest) const;
  Result<Manifest> manifest(const oci::Descriptor& descriptor) const;
  Result<std::string> blob(const std::string& digest) const;

 private:
  std::filesystem::path directory_;
  std::vector<oci::Descriptor> roots_;
};

// A pulled base image (a layout holding one image) as packaging uses it; `name` is recorded
// in the derived image's base.name annotation.
Result<oci::BaseImage> read_base_image(const std::filesystem::path& layout, const std::string& name);

}  // namespace xb::registry

// Image config, manifest and index documents as canonical JSON (sorted keys, no whitespace),
// so equal inputs give byte-equal documents and equal digests.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "oci/descriptor.h"

namespace xb::oci {

struct ImageConfig {
  Platform platform;         // architecture, os, variant, os.version
  std::int64_t created = 0;  // seconds since the epoch (SOURCE_DATE_EPOCH)
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::vector<std::string> env;  // "KEY=value"
  std::string working_dir;
  std::string user;
  std::map<std::string, std::string> labels;
  std::vector<std::string> diff_ids;
  std::string created_by = "xbuild";  // the history entry
};

// The config of an artifact that has none (image-spec 1.1), stored as kMediaTypeEmpty.
inline constexpr std::string_view kEmptyConfig = "{}";

std::string image_config_json(const ImageConfig& config);
// An image manifest; an artifact's (firmware) names its `artifact_type` and has kEmptyConfig.
std::string manifest_json(const Descriptor& config, const std::vector<Descriptor>& layers,
                          const std::map<std::string, std::string>& annotations = {},
                          const std::string& artifact_type = "");
std::string index_json(const std::vector<Descriptor>& manifests,
                       const std::map<std::string, std::string>& annotations = {});

// RFC 3339 UTC time of a Unix timestamp: "2024-01-02T03:04:05Z".
std::string rfc3339(std::int64_t seconds);

}  // namespace xb::oci

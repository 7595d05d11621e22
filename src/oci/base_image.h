// A base image (`[image] from = "REF"`) as packaging needs it for one platform: its layers
// (descriptors and the files holding them), their diff_ids, the runtime config a derived image
// inherits, and the name and digest the derived image's annotations point back to.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "oci/descriptor.h"

namespace xb::oci {

inline constexpr const char* kAnnotationBaseName = "org.opencontainers.image.base.name";
inline constexpr const char* kAnnotationBaseDigest = "org.opencontainers.image.base.digest";

struct BaseImage {
  std::string name;    // the reference, e.g. "docker.io/library/debian:12"
  std::string digest;  // of the platform's image manifest
  std::vector<Descriptor> layers;
  // Same order as layers; empty for a non-distributable layer (is_non_distributable), which the
  // pull leaves where its urls point and packaging leaves out of the layout.
  std::vector<std::filesystem::path> layer_files;
  std::vector<std::string> diff_ids;
  std::vector<std::string> env;  // "KEY=value"
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::string working_dir;
  std::string user;
  std::string os_version;
};

}  // namespace xb::oci

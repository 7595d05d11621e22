// Reading an OCI layout's JSON documents back in end-to-end tests: a blob by digest, and the image
// index that the layout's index.json names (xbuild's layouts name one).
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "util/fs.h"

namespace xb::testing {

// Where the blob `digest` ("sha256:<hex>") of the layout is.
inline std::filesystem::path layout_blob_path(const std::filesystem::path& layout, const std::string& digest) {
  return layout / "blobs" / "sha256" / digest.substr(7);
}

// The blob's bytes ("" when it cannot be read: the test's own assertions say what was expected).
inline std::string layout_blob_text(const std::filesystem::path& layout, const std::string& digest) {
  Result<std::string> text = read_file(layout_blob_path(layout, digest));
  return text ? text.value() : std::string();
}

inline nlohmann::json layout_blob_json(const std::filesystem::path& layout, const std::string& digest) {
  return nlohmann::json::parse(layout_blob_text(layout, digest), nullptr, false);
}

// The image index the layout's index.json lists first.
inline nlohmann::json layout_image_index(const std::filesystem::path& layout) {
  Result<std::string> top = read_file(layout / "index.json");
  nlohmann::json index = nlohmann::json::parse(top ? top.value() : std::string(), nullptr, false);
  if (!index.is_object() || !index.contains("manifests") || index["manifests"].empty()) return nlohmann::json::object();
  return layout_blob_json(layout, index["manifests"][0]["digest"]);
}

}  // namespace xb::testing

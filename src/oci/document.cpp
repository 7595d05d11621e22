// Documents are parsed without exceptions (nlohmann's parse with allow_exceptions = false) and
// read field by field: a field of the wrong type reads as absent, and only what xbuild needs
// is required (a descriptor's digest and size, an index's manifests, a manifest's config).
#include "oci/document.h"

#include <nlohmann/json.hpp>

#include "util/sha256.h"
#include "util/strings.h"

namespace xb::oci {

namespace {

using Json = nlohmann::json;

std::string string_field(const Json& object, const char* key) {
  return object.contains(key) && object[key].is_string() ? object[key].get<std::string>() : std::string();
}

std::vector<std::string> strings_field(const Json& object, const char* key) {
  std::vector<std::string> values;
  if (object.is_object() && object.contains(key) && object[key].is_array())
    for (const Json& value : object[key])
      if (value.is_string()) values.push_back(value.get<std::string>());
  return values;
}

std::map<std::string, std::string> string_map(const Json& object, const char* key) {
  std::map<std::string, std::string> values;
  if (object.contains(key) && object[key].is_object())
    for (const auto& [name, value] : object[key].items())
      if (value.is_string()) values[name] = value.get<std::string>();
  return values;
}

Platform platform_from_json(const Json& object) {
  Platform platform;
  platform.os = string_field(object, "os");
  platform.architecture = string_field(object, "architecture");
  platform.variant = string_field(object, "variant");
  platform.os_version = string_field(object, "os.version");
  return platform;
}

Result<Descriptor> descriptor_from_json(const Json& object, const std::string& where) {
  if (!object.is_object() || !object.contains("digest") || !object["digest"].is_string() || !object.contains("size") ||
      !object["size"].is_number_integer())
    return fail(where + ": a descriptor lacks its digest or size");
  Descriptor descriptor;
  descriptor.media_type = string_field(object, "mediaType");
  descriptor.digest = object["digest"].get<std::string>();
  descriptor.size = object["size"].get<std::int64_t>();
  if (!starts_with(descriptor.digest, "sha256:") || descriptor.digest.size() != 71)
    return fail(where + ": unsupported digest \"" + descriptor.digest + "\" (only sha256 is supported)");
  if (descriptor.size < 0 || descriptor.size > kMaxBlobSize)
    return fail(where + ": the descriptor of " + descriptor.digest + " declares a size of " + object["size"].dump() +
                " bytes; a blob's size is 0 to " + std::to_string(kMaxBlobSize) + " bytes (256 GiB)");
  if (object.contains("platform") && object["platform"].is_object())
    descriptor.platform = platform_from_json(object["platform"]);
  descriptor.annotations = string_map(object, "annotations");
  descriptor.artifact_type = string_field(object, "artifactType");
  descriptor.urls = strings_field(object, "urls");
  return descriptor;
}

Result<std::vector<Descriptor>> descriptors_from_json(const Json& list, const std::string& where) {
  std::vector<Descriptor> descriptors;
  for (const Json& entry : list) {
    Result<Descriptor> descriptor = descriptor_from_json(entry, where);
    if (!descriptor) return fail(descriptor.error());
    descriptors.push_back(std::move(descriptor).value());
  }
  return descriptors;
}

}  // namespace

bool is_index_media_type(const std::string& media_type) {
  return media_type == kMediaTypeIndex || media_type == kMediaTypeDockerManifestList;
}

bool is_manifest_media_type(const std::string& media_type) {
  return media_type == kMediaTypeManifest || media_type == kMediaTypeDockerManifest;
}

bool is_sha256_digest(std::string_view digest) {
  constexpr std::string_view prefix = "sha256:";
  return digest.size() == prefix.size() + 64 && starts_with(digest, prefix) &&
         digest.find_first_not_of("0123456789abcdef", prefix.size()) == std::string_view::npos;
}

Result<Manifest> parse_manifest(std::string body, const std::string& content_type, const std::string& where) {
  Json document = Json::parse(body, nullptr, false);
  if (document.is_discarded() || !document.is_object()) return fail(where + ": the manifest is not a JSON object");
  Manifest manifest;
  manifest.media_type = string_field(document, "mediaType");
  if (manifest.media_type.empty()) {
    manifest.media_type = std::string(trim(content_type.substr(0, content_type.find(';'))));
    if (manifest.media_type.empty() && document.contains("manifests")) manifest.media_type = kMediaTypeIndex;
    if (manifest.media_type.empty() && document.contains("layers")) manifest.media_type = kMediaTypeManifest;
  }
  if (!is_index_media_type(manifest.media_type) && !is_manifest_media_type(manifest.media_type))
    return fail(where + ": unsupported media type \"" + manifest.media_type + "\"");
  manifest.annotations = string_map(document, "annotations");
  if (manifest.is_index()) {
    if (!document.contains("manifests") || !document["manifests"].is_array())
      return fail(where + ": the index has no manifests");
    Result<std::vector<Descriptor>> manifests = descriptors_from_json(document["manifests"], where);
    if (!manifests) return fail(manifests.error());
    manifest.manifests = std::move(manifests).value();
  } else {
    if (!document.contains("config")) return fail(where + ": the manifest has no config");
    Result<Descriptor> config = descriptor_from_json(document["config"], where);
    if (!config) return fail(config.error());
    manifest.config = config.value();
    if (document.contains("layers") && document["layers"].is_array()) {
      Result<std::vector<Descriptor>> layers = descriptors_from_json(document["layers"], where);
      if (!layers) return fail(layers.error());
      manifest.layers = std::move(layers).value();
    }
  }
  manifest.digest = sha256_digest(body);
  manifest.body = std::move(body);
  return manifest;
}

Result<std::vector<Descriptor>> parse_layout_index(std::string_view text, const std::string& where) {
  Json document = Json::parse(text, nullptr, false);
  if (document.is_discarded() || !document.is_object() || !document.contains("manifests") ||
      !document["manifests"].is_array())
    return fail(where + ": not an image index");
  return descriptors_from_json(document["manifests"], where);
}

std::map<std::string, std::string> parse_layout_annotations(std::string_view text) {
  Json document = Json::parse(text, nullptr, false);
  if (document.is_discarded() || !document.is_object()) return {};
  return string_map(document, "annotations");
}

Result<ImageConfig> parse_image_config(std::string_view config_json, const std::string& where) {
  Json document = Json::parse(config_json, nullptr, false);
  if (document.is_discarded() || !document.is_object()) return fail(where + ": the image config is not a JSON object");
  ImageConfig config;
  config.platform = platform_from_json(document);
  if (document.contains("rootfs")) config.diff_ids = strings_field(document["rootfs"], "diff_ids");
  const Json runtime = document.contains("config") ? document["config"] : Json::object();
  config.env = strings_field(runtime, "Env");
  config.entrypoint = strings_field(runtime, "Entrypoint");
  config.cmd = strings_field(runtime, "Cmd");
  config.working_dir = string_field(runtime, "WorkingDir");
  config.user = string_field(runtime, "User");
  config.labels = string_map(runtime, "Labels");
  return config;
}

Result<Platform> platform_of_config(std::string_view config_json, const std::string& where) {
  Result<ImageConfig> config = parse_image_config(config_json, where);
  if (!config) return fail(config.error());
  const Platform& platform = config.value().platform;
  if (platform.os.empty() || platform.architecture.empty())
    return fail(where + ": the image config names no os and architecture");
  return platform;
}

}  // namespace xb::oci

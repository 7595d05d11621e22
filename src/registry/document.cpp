#include "registry/document.h"

#include <nlohmann/json.hpp>

#include "util/fs.h"
#include "util/sha256.h"
#include "util/strings.h"

namespace xb::registry {

namespace {

using Json = nlohmann::json;

std::string string_field(const Json& object, const char* key) {
  return object.contains(key) && object[key].is_string() ? object[key].get<std::string>() : std::string();
}

Platform platform_from_json(const Json& object) {
  Platform platform;
  platform.os = string_field(object, "os");
  platform.architecture = string_field(object, "architecture");
  platform.variant = string_field(object, "variant");
  platform.os_version = string_field(object, "os.version");
  return platform;
}

std::map<std::string, std::string> annotations_from_json(const Json& object) {
  std::map<std::string, std::string> annotations;
  if (object.contains("annotations") && object["annotations"].is_object())
    for (const auto& [key, value] : object["annotations"].items())
      if (value.is_string()) annotations[key] = value.get<std::string>();
  return annotations;
}

Result<oci::Descriptor> descriptor_from_json(const Json& object, const std::string& where) {
  if (!object.is_object() || !object.contains("digest") || !object["digest"].is_string() || !object.contains("size") ||
      !object["size"].is_number_integer())
    return fail(where + ": a descriptor lacks its digest or size");
  oci::Descriptor descriptor;
  descriptor.media_type = string_field(object, "mediaType");
  descriptor.digest = object["digest"].get<std::string>();
  descriptor.size = object["size"].get<std::int64_t>();
  if (!starts_with(descriptor.digest, "sha256:") || descriptor.digest.size() != 71)
    return fail(where + ": unsupported digest \"" + descriptor.digest + "\" (only sha256 is supported)");
  if (object.contains("platform") && object["platform"].is_object())
    descriptor.platform = platform_from_json(object["platform"]);
  descriptor.annotations = annotations_from_json(object);
  descriptor.artifact_type = string_field(object, "artifactType");
  if (object.contains("urls") && object["urls"].is_array())
    for (const Json& url : object["urls"])
      if (url.is_string()) descriptor.urls.push_back(url.get<std::string>());
  return descriptor;
}

}  // namespace

std::string manifest_accept_header() {
  return std::string("Accept: ") + oci::kMediaTypeIndex + ", " + oci::kMediaTypeManifest + ", " + kDockerManifestList +
         ", " + kDockerManifest;
}

bool is_index_media_type(const std::string& media_type) {
  return media_type == oci::kMediaTypeIndex || media_type == kDockerManifestList;
}

bool is_manifest_media_type(const std::string& media_type) {
  return media_type == oci::kMediaTypeManifest || media_type == kDockerManifest;
}

Result<Manifest> parse_manifest(std::string body, const std::string& content_type, const std::string& where) {
  Json document = Json::parse(body, nullptr, false);
  if (document.is_discarded() || !document.is_object()) return fail(where + ": the manifest is not a JSON object");
  Manifest manifest;
  manifest.media_type = string_field(document, "mediaType");
  if (manifest.media_type.empty()) {
    manifest.media_type = std::string(trim(content_type.substr(0, content_type.find(';'))));
    if (manifest.media_type.empty() && document.contains("manifests")) manifest.media_type = oci::kMediaTypeIndex;
    if (manifest.media_type.empty() && document.contains("layers")) manifest.media_type = oci::kMediaTypeManifest;
  }
  if (!is_index_media_type(manifest.media_type) && !is_manifest_media_type(manifest.media_type))
    return fail(where + ": unsupported media type \"" + manifest.media_type + "\"");
  manifest.annotations = annotations_from_json(document);
  if (manifest.is_index()) {
    if (!document.contains("manifests") || !document["manifests"].is_array())
      return fail(where + ": the index has no manifests");
    for (const Json& entry : document["manifests"]) {
      Result<oci::Descriptor> descriptor = descriptor_from_json(entry, where);
      if (!descriptor) return fail(descriptor.error());
      manifest.manifests.push_back(descriptor.value());
    }
  } else {
    if (!document.contains("config")) return fail(where + ": the manifest has no config");
    Result<oci::Descriptor> config = descriptor_from_json(document["config"], where);
    if (!config) return fail(config.error());
    manifest.config = config.value();
    if (document.contains("layers") && document["layers"].is_array())
      for (const Json& entry : document["layers"]) {
        Result<oci::Descriptor> layer = descriptor_from_json(entry, where);
        if (!layer) return fail(layer.error());
        manifest.layers.push_back(layer.value());
      }
  }
  manifest.digest = sha256_digest(body);
  manifest.body = std::move(body);
  return manifest;
}

Result<Platform> platform_of_config(std::string_view config_json, const std::string& where) {
  Json document = Json::parse(config_json, nullptr, false);
  if (document.is_discarded() || !document.is_object()) return fail(where + ": the image config is not a JSON object");
  Platform platform = platform_from_json(document);
  if (platform.os.empty() || platform.architecture.empty())
    return fail(where + ": the image config names no os and architecture");
  return platform;
}

std::string registry_error_text(std::string_view body) {
  Json document = Json::parse(body, nullptr, false);
  if (!document.is_object() || !document.contains("errors") || !document["errors"].is_array()) return "";
  std::vector<std::string> texts;
  for (const Json& error : document["errors"]) {
    std::string code = string_field(error, "code");
    std::string message = string_field(error, "message");
    texts.push_back(code.empty() ? message : message.empty() ? code : code + ": " + message);
  }
  return join(texts, "; ");
}

Result<LayoutSource> LayoutSource::open(const std::filesystem::path& directory) {
  LayoutSource source;
  source.directory_ = directory;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(directory / "oci-layout", ec))
    return fail(directory.string() + " is not an OCI image layout (it has no oci-layout file)");
  Result<std::string> text = read_file(directory / "index.json");
  if (!text) return fail(text.error());
  Json document = Json::parse(text.value(), nullptr, false);
  std::string where = (directory / "index.json").string();
  if (document.is_discarded() || !document.is_object() || !document.contains("manifests") ||
      !document["manifests"].is_array())
    return fail(where + ": not an image index");
  for (const Json& entry : document["manifests"]) {
    Result<oci::Descriptor> descriptor = descriptor_from_json(entry, where);
    if (!descriptor) return fail(descriptor.error());
    source.roots_.push_back(descriptor.value());
  }
  if (source.roots_.empty()) return fail(where + ": the layout holds no image");
  return source;
}

Result<oci::Descriptor> LayoutSource::root(const std::string& tag) const {
  if (roots_.size() == 1) return roots_.front();
  std::vector<std::string> names;
  for (const oci::Descriptor& descriptor : roots_) {
    auto name = descriptor.annotations.find(oci::kAnnotationRefName);
    if (name == descriptor.annotations.end()) continue;
    if (name->second == tag) return descriptor;
    names.push_back(name->second);
  }
  return fail(directory_.string() + " holds " + std::to_string(roots_.size()) + " images and none is tagged \"" + tag +
              "\"; name one of: " + join(names, ", "));
}

std::filesystem::path LayoutSource::blob_path(const std::string& digest) const {
  return directory_ / "blobs" / "sha256" / digest.substr(digest.find(':') + 1);
}

Result<std::string> LayoutSource::blob(const std::string& digest) const {
  Result<std::string> content = read_file(blob_path(digest));
  if (!content) return fail(content.error());
  if (sha256_digest(content.value()) != digest)
    return fail(blob_path(digest).string() + " does not match its digest; the layout is damaged");
  return content;
}

Result<Manifest> LayoutSource::manifest(const oci::Descriptor& descriptor) const {
  Result<std::string> content = blob(descriptor.digest);
  if (!content) return fail(content.error());
  return parse_manifest(std::move(content).value(), descriptor.media_type, blob_path(descriptor.digest).string());
}

Result<oci::BaseImage> read_base_image(const std::filesystem::path& layout, const std::string& name) {
  Result<LayoutSource> source = LayoutSource::open(layout);
  if (!source) return fail(source.error());
  Result<Manifest> manifest = source.value().manifest(source.value().roots().front());
  if (!manifest) return fail(manifest.error());
  if (manifest.value().is_index()) return fail(layout.string() + ": expected one image, found an index");
  Result<std::string> config_text = source.value().blob(manifest.value().config.digest);
  if (!config_text) return fail(config_text.error());
  Json config = Json::parse(config_text.value(), nullptr, false);
  std::string where = name + " (config " + manifest.value().config.digest + ")";
  if (!config.is_object()) return fail(where + ": the image config is not a JSON object");
  oci::BaseImage base;
  base.name = name;
  base.digest = manifest.value().digest;
  base.layers = manifest.value().layers;
  // pull_image leaves non-distributable layers out of the layout; they get an empty path.
  for (const oci::Descriptor& layer : base.layers)
    base.layer_files.push_back(oci::is_non_distributable(layer.media_type) ? std::filesystem::path()
                                                                           : source.value().blob_path(layer.digest));
  auto strings = [](const Json& object, const char* key) {
    std::vector<std::string> values;
    if (object.is_object() && object.contains(key) && object[key].is_array())
      for (const Json& value : object[key])
        if (value.is_string()) values.push_back(value.get<std::string>());
    return values;
  };
  if (config.contains("rootfs")) base.diff_ids = strings(config["rootfs"], "diff_ids");
  if (base.diff_ids.size() != base.layers.size())
    return fail(where + ": the config lists " + std::to_string(base.diff_ids.size()) + " diff_ids for " +
                std::to_string(base.layers.size()) + " layers");
  const Json runtime = config.contains("config") ? config["config"] : Json::object();
  base.env = strings(runtime, "Env");
  base.entrypoint = strings(runtime, "Entrypoint");
  base.cmd = strings(runtime, "Cmd");
  base.working_dir = string_field(runtime, "WorkingDir");
  base.user = string_field(runtime, "User");
  base.os_version = string_field(config, "os.version");
  return base;
}

}  // namespace xb::registry

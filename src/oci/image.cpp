// Canonical OCI documents. nlohmann::json keeps object keys in a std::map, so dump() without
// indentation gives sorted keys and no whitespace: equal inputs give byte-equal documents.
// Optional fields (variant, os.version, annotations, urls, artifactType, empty config fields) are
// left out rather than written empty. Invalid UTF-8 is replaced (U+FFFD) instead of throwing.
#include "oci/image.h"

#include <time.h>

#include <nlohmann/json.hpp>

namespace xb::oci {

namespace {

using Json = nlohmann::json;

std::string dump(const Json& document) { return document.dump(-1, ' ', false, Json::error_handler_t::replace); }

// The fields of a platform, as both the image config and the index's platform object hold them.
void put_platform(Json& object, const Platform& platform) {
  object["architecture"] = platform.architecture;
  object["os"] = platform.os;
  if (!platform.variant.empty()) object["variant"] = platform.variant;
  if (!platform.os_version.empty()) object["os.version"] = platform.os_version;
}

Json descriptor_json(const Descriptor& descriptor) {
  Json object = Json::object();
  object["mediaType"] = descriptor.media_type;
  object["digest"] = descriptor.digest;
  object["size"] = descriptor.size;
  if (!descriptor.artifact_type.empty()) object["artifactType"] = descriptor.artifact_type;
  if (descriptor.platform) {
    Json platform = Json::object();
    put_platform(platform, *descriptor.platform);
    object["platform"] = platform;
  }
  if (!descriptor.annotations.empty()) object["annotations"] = descriptor.annotations;
  if (!descriptor.urls.empty()) object["urls"] = descriptor.urls;
  return object;
}

}  // namespace

std::string rfc3339(std::int64_t seconds) {
  time_t time = static_cast<time_t>(seconds);
  struct tm utc {};
  gmtime_r(&time, &utc);
  char text[64];
  std::size_t length = strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return std::string(text, length);
}

std::string image_config_json(const ImageConfig& config) {
  Json document = Json::object();
  put_platform(document, config.platform);
  std::string created = rfc3339(config.created);
  document["created"] = created;

  Json runtime = Json::object();
  if (!config.entrypoint.empty()) runtime["Entrypoint"] = config.entrypoint;
  if (!config.cmd.empty()) runtime["Cmd"] = config.cmd;
  if (!config.env.empty()) runtime["Env"] = config.env;
  if (!config.working_dir.empty()) runtime["WorkingDir"] = config.working_dir;
  if (!config.user.empty()) runtime["User"] = config.user;
  if (!config.labels.empty()) runtime["Labels"] = config.labels;
  document["config"] = runtime;

  document["rootfs"] = {{"type", "layers"}, {"diff_ids", config.diff_ids}};

  // One history entry per layer, as the spec requires; an image without layers gets one
  // empty_layer entry so it still says who made it.
  Json history = Json::array();
  for (std::size_t i = 0; i < config.diff_ids.size(); ++i)
    history.push_back({{"created", created}, {"created_by", config.created_by}});
  if (config.diff_ids.empty())
    history.push_back({{"created", created}, {"created_by", config.created_by}, {"empty_layer", true}});
  document["history"] = history;
  return dump(document);
}

std::string manifest_json(const Descriptor& config, const std::vector<Descriptor>& layers,
                          const std::map<std::string, std::string>& annotations, const std::string& artifact_type) {
  Json document = Json::object();
  document["schemaVersion"] = 2;
  document["mediaType"] = kMediaTypeManifest;
  if (!artifact_type.empty()) document["artifactType"] = artifact_type;
  document["config"] = descriptor_json(config);
  Json layer_list = Json::array();
  for (const Descriptor& layer : layers) layer_list.push_back(descriptor_json(layer));
  document["layers"] = layer_list;
  if (!annotations.empty()) document["annotations"] = annotations;
  return dump(document);
}

std::string index_json(const std::vector<Descriptor>& manifests,
                       const std::map<std::string, std::string>& annotations) {
  Json document = Json::object();
  document["schemaVersion"] = 2;
  document["mediaType"] = kMediaTypeIndex;
  Json manifest_list = Json::array();
  for (const Descriptor& manifest : manifests) manifest_list.push_back(descriptor_json(manifest));
  document["manifests"] = manifest_list;
  if (!annotations.empty()) document["annotations"] = annotations;
  return dump(document);
}

}  // namespace xb::oci

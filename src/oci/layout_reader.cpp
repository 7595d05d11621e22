// Reads index.json, follows one descriptor (chosen by its ref name annotation) to either an
// image manifest or an image index, and in an index picks the manifest whose platform is the
// one asked for (os, architecture, and variant when both sides name one). Each blob is read
// from blobs/<algorithm>/<hex> after checking the digest has the shape "sha256:<64 hex>", so a
// crafted digest cannot point outside the layout. A non-distributable layer the layout does
// not hold is refused by name: it cannot be unpacked.
#include "oci/layout_reader.h"

#include <nlohmann/json.hpp>

#include "oci/descriptor.h"
#include "util/fs.h"

namespace xb::oci {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

Result<fs::path> blob_path(const fs::path& layout, const std::string& digest) {
  const std::string prefix = "sha256:";
  bool valid = digest.size() == prefix.size() + 64 && digest.compare(0, prefix.size(), prefix) == 0 &&
               digest.find_first_not_of("0123456789abcdef", prefix.size()) == std::string::npos;
  if (!valid)
    return fail("the layout " + layout.string() + " names a blob \"" + digest + "\" that is not a sha256 digest");
  return layout / "blobs" / "sha256" / digest.substr(prefix.size());
}

Result<json> read_json(const fs::path& file, const std::string& what) {
  Result<std::string> text = read_file(file);
  if (!text) return fail("cannot read " + what + ": " + text.error());
  json parsed = json::parse(text.value(), nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) return fail(what + " (" + file.string() + ") is not a JSON object");
  return parsed;
}

std::string platform_of(const json& descriptor) {
  if (!descriptor.contains("platform") || !descriptor["platform"].is_object()) return "(no platform)";
  const json& p = descriptor["platform"];
  std::string text = p.value("os", "") + "/" + p.value("architecture", "");
  if (!p.value("variant", "").empty()) text += "/" + p.value("variant", "");
  return text;
}

}  // namespace

Result<ImageLayers> find_image_layers(const fs::path& layout, const std::string& tag, const Platform& platform) {
  Result<json> index = read_json(layout / "index.json", "the OCI layout's index.json");
  if (!index) return fail(index.error());
  const json& entries = index.value().value("manifests", json::array());
  const json* chosen = nullptr;
  std::vector<std::string> names;
  for (const json& entry : entries) {
    std::string name = entry.contains("annotations") ? entry["annotations"].value(kAnnotationRefName, "") : "";
    names.push_back(name.empty() ? "(untagged)" : name);
    if (!tag.empty() && name == tag) chosen = &entry;
  }
  if (tag.empty() && entries.size() == 1) chosen = &entries[0];
  if (!chosen) {
    std::string listed;
    for (const std::string& name : names) listed += (listed.empty() ? "" : ", ") + name;
    return fail("no image " + (tag.empty() ? std::string("(give a tag: oci:DIR:TAG)") : "tagged \"" + tag + "\"") +
                " in the OCI layout " + layout.string() + (listed.empty() ? "; it is empty" : "; it has: " + listed));
  }
  json descriptor = *chosen;
  if (descriptor.value("mediaType", "") == kMediaTypeIndex) {
    Result<fs::path> file = blob_path(layout, descriptor.value("digest", ""));
    if (!file) return fail(file.error());
    Result<json> image_index = read_json(file.value(), "the image index");
    if (!image_index) return fail(image_index.error());
    const json* match = nullptr;
    std::vector<std::string> platforms;
    const json manifests = image_index.value().value("manifests", json::array());
    for (const json& entry : manifests) {
      platforms.push_back(platform_of(entry));
      if (!entry.contains("platform")) continue;
      const json& p = entry["platform"];
      bool same =
          p.value("os", "") == platform.os && p.value("architecture", "") == platform.architecture &&
          (platform.variant.empty() || p.value("variant", "").empty() || p.value("variant", "") == platform.variant);
      if (same && !match) match = &entry;
    }
    if (!match) {
      std::string listed;
      for (const std::string& name : platforms) listed += (listed.empty() ? "" : ", ") + name;
      return fail("the image in " + layout.string() + " has no " + platform.str() + " variant; it has: " + listed);
    }
    descriptor = *match;
  }
  ImageLayers result;
  result.manifest_digest = descriptor.value("digest", "");
  Result<fs::path> manifest_file = blob_path(layout, result.manifest_digest);
  if (!manifest_file) return fail(manifest_file.error());
  Result<json> manifest = read_json(manifest_file.value(), "the image manifest");
  if (!manifest) return fail(manifest.error());
  for (const json& layer : manifest.value().value("layers", json::array())) {
    Result<fs::path> file = blob_path(layout, layer.value("digest", ""));
    if (!file) return fail(file.error());
    // A non-distributable layer is normally not in the layout (xbuild's pulls and packaging
    // leave it out); a root filesystem cannot do without it, so say so rather than unpack a
    // partial one or fail later on a missing file.
    std::error_code ec;
    if (is_non_distributable(layer.value("mediaType", "")) && !fs::is_regular_file(file.value(), ec))
      return fail("the image " + result.manifest_digest + " in " + layout.string() + " has a non-distributable layer " +
                  layer.value("digest", "") +
                  " that the layout does not hold (it is downloaded from its urls only); use a root "
                  "filesystem image whose layers are all in the layout");
    result.layers.push_back(file.value());
  }
  return result;
}

}  // namespace xb::oci

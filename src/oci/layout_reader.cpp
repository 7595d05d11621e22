// Every read of a layout goes through LayoutReader: index.json is parsed once into descriptors,
// every blob path is made in blob_path() after checking the digest's shape, and every document
// read is checked against its digest before it is parsed. find_image_layers follows one root
// (chosen by its ref name) to an image manifest, through an image index when the root is one,
// where it picks the manifest whose platform is the one asked for (os, architecture, and
// variant when both sides name one: no fallbacks, since a root filesystem must be the
// platform's own).
#include "oci/layout_reader.h"

#include "util/fs.h"
#include "util/sha256.h"
#include "util/strings.h"

namespace xb::oci {

namespace fs = std::filesystem;

Result<LayoutReader> LayoutReader::read_index(const fs::path& directory) {
  LayoutReader reader;
  reader.directory_ = directory;
  Result<std::string> text = read_file(directory / "index.json");
  if (!text) return fail(text.error());
  Result<std::vector<Descriptor>> roots = parse_layout_index(text.value(), (directory / "index.json").string());
  if (!roots) return fail(roots.error());
  reader.roots_ = std::move(roots).value();
  reader.annotations_ = parse_layout_annotations(text.value());
  return reader;
}

Result<LayoutReader> LayoutReader::open(const fs::path& directory) {
  std::error_code ec;
  if (!fs::is_regular_file(directory / "oci-layout", ec))
    return fail(directory.string() + " is not an OCI image layout (it has no oci-layout file)");
  Result<LayoutReader> reader = read_index(directory);
  if (!reader) return fail(reader.error());
  if (reader.value().roots_.empty()) return fail((directory / "index.json").string() + ": the layout holds no image");
  return reader;
}

Result<Descriptor> LayoutReader::root(const std::string& tag) const {
  if (roots_.size() == 1) return roots_.front();
  std::vector<std::string> names;
  for (const Descriptor& descriptor : roots_) {
    auto name = descriptor.annotations.find(kAnnotationRefName);
    if (name == descriptor.annotations.end()) continue;
    if (name->second == tag) return descriptor;
    names.push_back(name->second);
  }
  return fail(directory_.string() + " holds " + std::to_string(roots_.size()) + " images and none is tagged \"" + tag +
              "\"; name one of: " + join(names, ", "));
}

const Descriptor* LayoutReader::tagged(const std::string& tag) const {
  const Descriptor* found = nullptr;
  for (const Descriptor& descriptor : roots_) {
    auto name = descriptor.annotations.find(kAnnotationRefName);
    if (name != descriptor.annotations.end() && name->second == tag) found = &descriptor;
  }
  return found;
}

Result<Descriptor> LayoutReader::named_root(const std::string& tag) const {
  const Descriptor* chosen = tag.empty() ? (roots_.size() == 1 ? &roots_.front() : nullptr) : tagged(tag);
  if (chosen) return *chosen;
  std::vector<std::string> names;
  for (const Descriptor& root : roots_) {
    auto name = root.annotations.find(kAnnotationRefName);
    names.push_back(name == root.annotations.end() || name->second.empty() ? "(untagged)" : name->second);
  }
  return fail("no image " + (tag.empty() ? std::string("(give a tag: oci:DIR:TAG)") : "tagged \"" + tag + "\"") +
              " in the OCI layout " + directory_.string() +
              (names.empty() ? "; it is empty" : "; it has: " + join(names, ", ")));
}

bool LayoutReader::holds_root_index(const std::string& digest) const {
  for (const Descriptor& descriptor : roots_) {
    if (descriptor.digest != digest || !is_index_media_type(descriptor.media_type)) continue;
    Result<fs::path> path = blob_path(digest);
    std::error_code ec;
    return path && fs::is_regular_file(path.value(), ec);
  }
  return false;
}

Result<fs::path> LayoutReader::blob_path(const std::string& digest) const {
  if (!is_sha256_digest(digest))
    return fail("the layout " + directory_.string() + " names a blob \"" + digest + "\" that is not a sha256 digest");
  return directory_ / "blobs" / "sha256" / digest.substr(7);
}

Result<std::string> LayoutReader::blob(const std::string& digest) const {
  Result<fs::path> path = blob_path(digest);
  if (!path) return fail(path.error());
  Result<std::string> content = read_file(path.value());
  if (!content) return fail("the layout " + directory_.string() + " lacks the blob " + digest + ": " + content.error());
  if (sha256_digest(content.value()) != digest)
    return fail("the blob " + path.value().string() + " does not match its digest " + digest);
  return content;
}

Result<fs::path> LayoutReader::sized_blob_file(const Descriptor& descriptor) const {
  Result<fs::path> path = blob_path(descriptor.digest);
  if (!path) return fail(path.error());
  std::error_code ec;
  if (!fs::is_regular_file(path.value(), ec))
    return fail("the layout " + directory_.string() + " lacks the blob " + descriptor.digest + ": " +
                path.value().string() + " is not a file");
  const std::uintmax_t actual = fs::file_size(path.value(), ec);
  if (ec) return fail("cannot read " + path.value().string() + ": " + ec.message());
  if (actual != static_cast<std::uintmax_t>(descriptor.size))
    return fail("the blob " + path.value().string() + " holds " + std::to_string(actual) +
                " bytes, but its descriptor (" + descriptor.digest + ") declares " + std::to_string(descriptor.size) +
                "; the layout is damaged or was altered");
  return path;
}

Result<fs::path> LayoutReader::verified_blob_file(const Descriptor& descriptor) const {
  if (Result<fs::path> sized = sized_blob_file(descriptor); !sized) return fail(sized.error());
  return verified_blob_file(descriptor.digest);
}

Result<fs::path> LayoutReader::verified_blob_file(const std::string& digest) const {
  Result<fs::path> path = blob_path(digest);
  if (!path) return fail(path.error());
  Result<std::string> actual = sha256_file(path.value());
  if (!actual) return fail("the layout " + directory_.string() + " lacks the blob " + digest + ": " + actual.error());
  if (actual.value() != digest)
    return fail("the blob " + path.value().string() + " does not match its digest " + digest);
  return path;
}

Result<Manifest> LayoutReader::manifest(const Descriptor& descriptor) const {
  // The size first: a descriptor declaring less than the file is not read into memory.
  if (Result<fs::path> sized = sized_blob_file(descriptor); !sized) return fail(sized.error());
  Result<std::string> content = blob(descriptor.digest);
  if (!content) return fail(content.error());
  return parse_manifest(std::move(content).value(), descriptor.media_type,
                        blob_path(descriptor.digest).value().string());
}

Result<Descriptor> LayoutReader::platform_manifest(const Manifest& index, const Platform& platform) const {
  std::vector<std::string> offered;
  const Descriptor* match = nullptr;
  for (const Descriptor& entry : index.manifests) {
    offered.push_back(entry.platform ? entry.platform->str() : "(no platform)");
    if (!entry.platform || match) continue;
    const Platform& candidate = *entry.platform;
    if (candidate.os == platform.os && candidate.architecture == platform.architecture &&
        (platform.variant.empty() || candidate.variant.empty() || candidate.variant == platform.variant))
      match = &entry;
  }
  if (!match)
    return fail("the image in " + directory_.string() + " has no " + platform.str() +
                " variant; it has: " + join(offered, ", "));
  return *match;
}

Result<ImageLayers> find_image_layers(const fs::path& layout, const std::string& tag, const Platform& platform) {
  Result<LayoutReader> reader = LayoutReader::read_index(layout);
  if (!reader) return fail("cannot read the OCI layout's index.json: " + reader.error());
  Result<Descriptor> chosen = reader.value().named_root(tag);
  if (!chosen) return fail(chosen.error());
  Descriptor descriptor = chosen.value();
  Result<Manifest> manifest = reader.value().manifest(descriptor);
  if (!manifest) return fail(manifest.error());
  if (manifest.value().is_index()) {
    Result<Descriptor> image = reader.value().platform_manifest(manifest.value(), platform);
    if (!image) return fail(image.error());
    descriptor = image.value();
    manifest = reader.value().manifest(descriptor);
    if (!manifest) return fail(manifest.error());
  }
  ImageLayers result;
  result.manifest_digest = descriptor.digest;
  for (const Descriptor& layer : manifest.value().layers) {
    Result<fs::path> file = reader.value().blob_path(layer.digest);
    if (!file) return fail(file.error());
    // A non-distributable layer is normally not in the layout (xbuild's pulls and packaging
    // leave it out); a root filesystem cannot do without it, so say so rather than unpack a
    // partial one or fail later on a missing file.
    std::error_code ec;
    if (is_non_distributable(layer.media_type) && !fs::is_regular_file(file.value(), ec))
      return fail("the image " + result.manifest_digest + " in " + layout.string() + " has a non-distributable layer " +
                  layer.digest +
                  " that the layout does not hold (it is downloaded from its urls only); use a root "
                  "filesystem image whose layers are all in the layout");
    if (Result<fs::path> sized = reader.value().sized_blob_file(layer); !sized) return fail(sized.error());
    result.layers.push_back(file.value());
    result.descriptors.push_back(layer);
  }
  return result;
}

Result<BaseImage> LayoutReader::base_image(const Descriptor& descriptor, const std::string& name,
                                           bool verify_layers) const {
  Result<Manifest> manifest = this->manifest(descriptor);
  if (!manifest) return fail(manifest.error());
  if (manifest.value().is_index())
    return fail(name + ": " + descriptor.digest + " in " + directory_.string() + " is an index, not an image");
  if (Result<fs::path> sized = sized_blob_file(manifest.value().config); !sized) return fail(sized.error());
  Result<std::string> config_text = blob(manifest.value().config.digest);
  if (!config_text) return fail(config_text.error());
  std::string where = name + " (config " + manifest.value().config.digest + ")";
  Result<ImageConfig> config = parse_image_config(config_text.value(), where);
  if (!config) return fail(config.error());
  BaseImage base;
  base.name = name;
  base.digest = manifest.value().digest;
  base.layers = manifest.value().layers;
  // Packaging leaves non-distributable layers out of the layout it writes; they get an empty path.
  for (const Descriptor& layer : base.layers) {
    if (is_non_distributable(layer.media_type)) {
      base.layer_files.emplace_back();
      continue;
    }
    Result<fs::path> file = verify_layers ? verified_blob_file(layer) : sized_blob_file(layer);
    if (!file) return fail(file.error());
    base.layer_files.push_back(file.value());
  }
  base.diff_ids = config.value().diff_ids;
  if (base.diff_ids.size() != base.layers.size())
    return fail(where + ": the config lists " + std::to_string(base.diff_ids.size()) + " diff_ids for " +
                std::to_string(base.layers.size()) + " layers");
  base.env = config.value().env;
  base.entrypoint = config.value().entrypoint;
  base.cmd = config.value().cmd;
  base.working_dir = config.value().working_dir;
  base.user = config.value().user;
  base.os_version = config.value().platform.os_version;
  return base;
}

Result<BaseImage> read_base_image(const fs::path& layout, const std::string& name) {
  Result<LayoutReader> reader = LayoutReader::open(layout);
  if (!reader) return fail(reader.error());
  const Descriptor& root = reader.value().roots().front();
  Result<Manifest> manifest = reader.value().manifest(root);
  if (!manifest) return fail(manifest.error());
  if (manifest.value().is_index()) return fail(layout.string() + ": expected one image, found an index");
  // pull_image checked every blob as it downloaded it.
  return reader.value().base_image(root, name, false);
}

bool layout_holds_root_index(const fs::path& layout, const std::string& digest) {
  Result<LayoutReader> reader = LayoutReader::read_index(layout);
  return reader && reader.value().holds_root_index(digest);
}

}  // namespace xb::oci

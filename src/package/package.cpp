// Packaging: for each target, in plan order, its $XBUILD_OUT becomes one layer (the [image] copy
// list, or the whole directory at "/"), then an image config and a manifest; the manifests,
// each with its platform, become one index, which goes into index.json under the first tag.
// Everything is written into a staging directory next to the output and published in one step,
// so a failure leaves the previous output as it was. A local:DIR output is the same layout,
// staged, then written out as files (package/local_output.h) in the same staging area. A
// bare-metal target has no layer: its ELF becomes a firmware artifact (firmware/artifact.h)
// whose manifest sits in the same index, with the target's platform (none/arm/<cpu>) and the
// artifactType on its entry.
#include "package/package.h"

#include <sys/stat.h>

#include <algorithm>
#include <mutex>
#include <optional>
#include <system_error>

#include "firmware/artifact.h"
#include "oci/image.h"
#include "oci/layer.h"
#include "oci/merge.h"
#include "package/entrypoint_check.h"
#include "package/local_output.h"
#include "util/fs.h"
#include "util/interrupt.h"
#include "util/thread_pool.h"

namespace xb {

namespace fs = std::filesystem;

namespace {

constexpr const char* kLayoutPrefix = "oci:";
constexpr const char* kArchivePrefix = "oci-archive:";
constexpr const char* kLocalPrefix = "local:";

bool exists_no_follow(const fs::path& path) {
  struct stat info {};
  return ::lstat(path.c_str(), &info) == 0;
}

Result<std::vector<oci::LayerSource>> layer_sources(const ImageSpec& image, const TargetPlan& target) {
  std::vector<oci::LayerSource> sources;
  if (image.copy.empty()) {
    if (!exists_no_follow(target.output_dir))
      return fail(target.platform.str() + ": the output directory " + target.output_dir.string() +
                  " does not exist; the stages should have written the image's files to $XBUILD_OUT");
    sources.push_back({target.output_dir, "/"});
    return sources;
  }
  for (const CopySpec& copy : image.copy) {
    fs::path from = target.output_dir / copy.from;
    if (!exists_no_follow(from))
      return fail(target.platform.str() + ": cannot copy \"" + copy.from + "\" into the image: " + from.string() +
                  " does not exist; a stage should have written it to $XBUILD_OUT");
    sources.push_back({from, copy.to});
  }
  return sources;
}

bool is_windows(const TargetPlan& target) { return target.platform.os == "windows"; }

// [image] paths are written once, POSIX-style, for every platform; a Windows image's layer puts
// them under C:\ (Files/ in the tar), so its entrypoint, cmd and workdir say C:\app\hello.exe.
std::string windows_path(const std::string& path) {
  if (path.empty() || path.front() != '/') return path;
  std::string out = "C:";
  for (char c : path) out += c == '/' ? '\\' : c;
  return out;
}

void to_windows_paths(oci::ImageConfig& config) {
  if (!config.entrypoint.empty()) config.entrypoint[0] = windows_path(config.entrypoint[0]);
  if (config.entrypoint.empty() && !config.cmd.empty()) config.cmd[0] = windows_path(config.cmd[0]);
  config.working_dir = windows_path(config.working_dir);
}

oci::ImageConfig image_config(const ImageSpec& image, const TargetPlan& target, long long created) {
  oci::ImageConfig config;
  config.platform = target.platform;
  if (!target.os_version.empty()) config.platform.os_version = target.os_version;
  config.created = created;
  config.entrypoint = target.entrypoint ? *target.entrypoint : image.entrypoint;
  config.cmd = image.cmd;
  for (const auto& [key, value] : image.env) {  // a std::map: sorted by key
    std::string assignment = key;
    assignment += '=';
    assignment += value;
    config.env.push_back(std::move(assignment));
  }
  config.working_dir = image.workdir;
  config.user = image.user;
  config.labels = image.labels;
  if (is_windows(target)) to_windows_paths(config);
  return config;
}

// A derived image starts from its base: the base's env with ours on top (same key: ours),
// entrypoint and cmd from the base unless we set an entrypoint (which, as in a Dockerfile,
// also drops the base's cmd) or a cmd, workdir and user unless we set them, and os.version.
void inherit_base(oci::ImageConfig& config, const ImageSpec& image, const oci::BaseImage& base) {
  std::vector<std::string> env = base.env;
  for (const std::string& ours : config.env) {
    std::string key = ours.substr(0, ours.find('=') + 1);
    std::erase_if(env, [&](const std::string& theirs) { return theirs.rfind(key, 0) == 0; });
    env.push_back(ours);
  }
  config.env = env;
  if (config.entrypoint.empty()) {
    config.entrypoint = base.entrypoint;
    if (image.cmd.empty()) config.cmd = base.cmd;
  }
  if (image.workdir.empty()) config.working_dir = base.working_dir;
  if (image.user.empty()) config.user = base.user;
  if (config.platform.os_version.empty()) config.platform.os_version = base.os_version;
  config.diff_ids = base.diff_ids;
}

// The base's layers go into the layout as they are (hard-linked when possible), except
// non-distributable ones: the manifest keeps their descriptors (urls included), but no blob.
Status add_base_layers(const oci::BaseImage& base, oci::LayoutWriter& layout) {
  for (std::size_t i = 0; i < base.layers.size(); ++i) {
    if (oci::is_non_distributable(base.layers[i].media_type)) continue;
    fs::path target = layout.blobs_dir() / "sha256" / base.layers[i].digest.substr(7);
    std::error_code ec;
    if (fs::exists(target, ec)) continue;
    fs::create_hard_link(base.layer_files[i], target, ec);
    if (ec) fs::copy_file(base.layer_files[i], target, ec);
    if (ec) return fail("cannot copy the base layer " + base.layers[i].digest + " into the image: " + ec.message());
  }
  return Ok{};
}

Result<oci::LayerBlob> pack_target_layer(const Config& config, const Plan& plan, const TargetPlan& target,
                                         const fs::path& blobs_dir) {
  if (target.firmware) return oci::LayerBlob{};  // an artifact, made by package_firmware
  Result<std::vector<oci::LayerSource>> sources = layer_sources(config.image, target);
  if (!sources) return fail(sources.error());
  oci::LayerFormat format = is_windows(target) ? oci::LayerFormat::windows : oci::LayerFormat::linux;
  Result<oci::LayerBlob> layer = oci::write_layer(sources.value(), plan.source_date_epoch, blobs_dir, format,
                                                  config.image.compression_level.value_or(oci::kDefaultGzipLevel));
  if (!layer) return fail(target.platform.str() + ": " + layer.error());
  return layer;
}

// Packs every target's layer at once, one worker per core: compression is the bulk of
// packaging, and the targets' layers are independent (each blob is written under a temporary
// name and renamed to its digest, so two equal layers cannot clash). Results keep plan order.
std::vector<Result<oci::LayerBlob>> pack_layers(const Config& config, const Plan& plan, const fs::path& blobs_dir) {
  std::vector<std::optional<Result<oci::LayerBlob>>> packed(plan.targets.size());
  parallel_for(plan.targets.size(), ThreadPool::workers_per_core(),
               [&](std::size_t i) { packed[i].emplace(pack_target_layer(config, plan, plan.targets[i], blobs_dir)); });
  std::vector<Result<oci::LayerBlob>> layers;
  for (std::optional<Result<oci::LayerBlob>>& layer : packed) layers.push_back(std::move(*layer));
  return layers;
}

Result<PackagedImage> package_target(const Config& config, const Plan& plan, const TargetPlan& target,
                                     oci::LayoutWriter& layout, const oci::BaseImage* base,
                                     const Result<oci::LayerBlob>& layer) {
  if (!layer) return fail(layer.error());

  oci::ImageConfig image = image_config(config.image, target, plan.source_date_epoch);
  std::vector<oci::Descriptor> layers;
  std::map<std::string, std::string> annotations;
  if (base) {
    inherit_base(image, config.image, *base);
    if (Status added = add_base_layers(*base, layout); !added)
      return fail(target.platform.str() + ": " + added.error());
    layers = base->layers;
    annotations = {{oci::kAnnotationBaseName, base->name}, {oci::kAnnotationBaseDigest, base->digest}};
  }
  image.diff_ids.push_back(layer.value().diff_id);
  Result<oci::Descriptor> config_blob = layout.add_blob(oci::image_config_json(image), oci::kMediaTypeConfig);
  if (!config_blob) return fail(config_blob.error());

  oci::Descriptor layer_blob;
  layer_blob.media_type = oci::kMediaTypeLayerGzip;
  layer_blob.digest = layer.value().digest;
  layer_blob.size = layer.value().size;
  layers.push_back(layer_blob);
  Result<oci::Descriptor> manifest =
      layout.add_blob(oci::manifest_json(config_blob.value(), layers, annotations), oci::kMediaTypeManifest);
  if (!manifest) return fail(manifest.error());
  manifest.value().platform = image.platform;  // with os.version, as Windows clients select by it
  return PackagedImage{target.platform, manifest.value()};
}

// Whether each Linux image can start its program, on worker threads (a check that lists a
// base image's layers reads them whole); in plan order.
std::vector<std::string> entrypoint_warnings(const Config& config, const Plan& plan,
                                             const std::vector<oci::BaseImage>& bases) {
  std::vector<std::optional<std::string>> found(plan.targets.size());
  parallel_for(plan.targets.size(), ThreadPool::workers_per_core(), [&](std::size_t i) {
    const TargetPlan& target = plan.targets[i];
    if (target.firmware || is_windows(target)) return;
    Result<std::vector<oci::LayerSource>> sources = layer_sources(config.image, target);
    if (!sources) return;
    oci::ImageConfig image = image_config(config.image, target, plan.source_date_epoch);
    const oci::BaseImage* base = i < bases.size() ? &bases[i] : nullptr;
    if (base) inherit_base(image, config.image, *base);
    found[i] = entrypoint_warning(sources.value(), image, base);
  });
  std::vector<std::string> warnings;
  for (std::optional<std::string>& warning : found)
    if (warning) warnings.push_back(std::move(*warning));
  return warnings;
}

// The artifact of a bare-metal target: its ELF (with .bin, .hex and the size report made from
// it) under a manifest whose index entry names the target's platform and the artifact type.
Result<PackagedImage> package_firmware(const Config& config, const Plan& plan, const TargetPlan& target,
                                       oci::LayoutWriter& layout) {
  const std::string name = target.platform.str();
  const fs::path& elf = target.firmware->elf;
  if (!exists_no_follow(elf))
    return fail(name + ": the firmware image " + elf.string() +
                " does not exist; a stage should write it to $XBUILD_OUT/" + config.firmware.elf +
                ", or [firmware] elf should name the file it writes");
  fs::path scratch = layout.root().parent_path() / ("firmware-" + target.platform.slug());
  std::error_code ec;
  fs::create_directories(scratch, ec);
  if (ec) return fail(name + ": cannot create " + scratch.string() + ": " + ec.message());
  Result<firmware::Artifact> artifact = firmware::write_artifact(
      target.firmware->target, {elf, config.firmware.name, plan.source_date_epoch}, layout, scratch);
  fs::remove_all(scratch, ec);
  if (!artifact) return fail(name + ": " + artifact.error());
  oci::Descriptor manifest = artifact.value().manifest;
  manifest.platform = target.platform;
  return PackagedImage{target.platform, manifest};
}

}  // namespace

std::string OutputTarget::str() const {
  const char* prefix = kind == Kind::layout ? kLayoutPrefix : kind == Kind::archive ? kArchivePrefix : kLocalPrefix;
  return prefix + path.string();
}

Result<OutputTarget> parse_output(const std::string& text, const fs::path& base) {
  OutputTarget output;
  std::string path;
  if (text.rfind(kLayoutPrefix, 0) == 0) {
    output.kind = OutputTarget::Kind::layout;
    path = text.substr(std::string(kLayoutPrefix).size());
  } else if (text.rfind(kArchivePrefix, 0) == 0) {
    output.kind = OutputTarget::Kind::archive;
    path = text.substr(std::string(kArchivePrefix).size());
  } else if (text.rfind(kLocalPrefix, 0) == 0) {
    output.kind = OutputTarget::Kind::local;
    path = text.substr(std::string(kLocalPrefix).size());
    if (path.empty())
      return fail("invalid output \"" + text + "\": name the directory to write the files to, e.g. local:dist");
  } else {
    return fail("invalid output \"" + text + "\": expected oci:DIR, oci-archive:FILE or local:DIR");
  }
  if (path.empty()) return fail("invalid output \"" + text + "\": the path after \":\" is empty");
  fs::path resolved = fs::path(path).is_absolute() ? fs::path(path) : base / path;
  output.path = resolved.lexically_normal();
  // "oci:out/" names the directory "out", not an empty name inside it.
  if (!output.path.has_filename() && output.path.has_parent_path() && output.path != output.path.root_path())
    output.path = output.path.parent_path();
  if (output.path == output.path.root_path())
    return fail("invalid output \"" + text + "\": it names the root directory; name a directory below it");
  return output;
}

Status check_output(const OutputTarget& output) {
  if (output.kind != OutputTarget::Kind::local) return Ok{};
  return check_local_destination(output.path, output.str());
}

namespace {

// The images and the index around the targets' packed layers (in plan order), and index.json.
Result<PackageResult> package_packed(const Config& config, const Plan& plan, oci::LayoutWriter& layout,
                                     const std::vector<oci::BaseImage>& bases,
                                     const std::vector<Result<oci::LayerBlob>>& layers) {
  PackageResult result;
  std::vector<oci::Descriptor> manifests;
  for (std::size_t i = 0; i < plan.targets.size(); ++i) {
    const TargetPlan& target = plan.targets[i];
    Result<PackagedImage> image = target.firmware ? package_firmware(config, plan, target, layout)
                                                  : package_target(config, plan, target, layout,
                                                                   i < bases.size() ? &bases[i] : nullptr, layers[i]);
    if (!image) return fail(image.error());
    manifests.push_back(image.value().manifest);
    result.images.push_back(std::move(image).value());
  }
  std::map<std::string, std::string> annotations = {{oci::kAnnotationCreated, oci::rfc3339(plan.source_date_epoch)}};
  annotations.insert(plan.index_annotations.begin(), plan.index_annotations.end());
  Result<oci::Descriptor> index = layout.add_blob(oci::index_json(manifests, annotations), oci::kMediaTypeIndex);
  if (!index) return fail(index.error());
  result.index = index.value();
  result.ref_name = config.image.tags.empty() ? "latest" : config.image.tags.front();
  // The layout carries the full name too: an archive is this layout packed, and `xbuild merge`
  // learns the name from the shards' layouts.
  std::map<std::string, std::string> identity = plan.layout_annotations;
  if (!identity.empty()) identity[oci::kAnnotationResult] = oci::kResultOk;
  Status finished = layout.finish(result.index, result.ref_name, config.image.name + ":" + result.ref_name, identity);
  if (!finished) return fail(finished.error());
  result.warnings = entrypoint_warnings(config, plan, bases);
  return result;
}

}  // namespace

Result<PackageResult> package_images(const Config& config, const Plan& plan, oci::LayoutWriter& layout,
                                     const std::vector<oci::BaseImage>& bases) {
  return package_packed(config, plan, layout, bases, pack_layers(config, plan, layout.blobs_dir()));
}

namespace {

// The finished staging layout becomes the output in one step: renamed into place, packed into
// an archive, or (local:DIR) written out as files next to it, in the same staging area, and
// that tree renamed into place.
Status publish_output(const Config& config, const Plan& plan, const fs::path& staging, const OutputTarget& output,
                      PackageResult& result) {
  if (output.kind == OutputTarget::Kind::layout) return oci::publish_layout(staging, output.path);
  if (output.kind == OutputTarget::Kind::archive) return oci::publish_archive(staging, output.path);
  // Checked when the run started, and again now: DIR is replaced as a whole.
  if (Status usable = check_local_destination(output.path, output.str()); !usable) return usable;
  LocalTreeRequest request{staging, config.project.name,   config.project.version, result.ref_name, result.index,
                           {},      plan.source_date_epoch};
  for (const PackagedImage& image : result.images) request.manifests.push_back(image.manifest);
  fs::path tree = staging.parent_path() / "local";
  Result<LocalSummary> written = write_local_tree(request, tree);
  if (!written) return fail("cannot write " + output.str() + ": " + written.error());
  Result<std::string> digest = local_tree_digest(tree);
  if (!digest) return fail(digest.error());
  result.local_tree = digest.value();
  return replace_directory(tree, output.path);
}

}  // namespace

// Each start() queues one target on the pool (one worker per core, started as targets come);
// the staging layout, made on the first start(), and the results are under `mutex`.
struct LayerPacker::State {
  const Config& config;
  const Plan& plan;
  OutputTarget output;
  std::mutex mutex;
  std::optional<TempDir> staging_root;  // made on the first start()
  std::optional<oci::LayoutWriter> layout;
  bool unusable = false;  // the staging layout could not be made: package_and_publish says why
  std::vector<bool> queued;
  std::vector<std::optional<Result<oci::LayerBlob>>> packed;
  ThreadPool pool{ThreadPool::workers_per_core()};  // last: stopped before the layout goes

  State(const Config& c, const Plan& p, const OutputTarget& o)
      : config(c), plan(p), output(o), queued(p.targets.size(), false), packed(p.targets.size()) {}
};

LayerPacker::LayerPacker(const Config& config, const Plan& plan, const OutputTarget& output)
    : state_(std::make_unique<State>(config, plan, output)) {}

LayerPacker::~LayerPacker() {
  state_->pool.drop_queued();
  state_->pool.shut_down();
}

void LayerPacker::start(std::size_t target) {
  State& state = *state_;
  std::lock_guard lock(state.mutex);
  if (target >= state.queued.size() || state.queued[target] || state.unusable) return;
  if (!state.layout) {
    Result<fs::path> root = make_sibling_temp_dir(state.output.path);
    if (!root) {
      state.unusable = true;
      return;
    }
    state.staging_root.emplace(root.value());
    Result<oci::LayoutWriter> layout = oci::LayoutWriter::create(root.value() / "oci");
    if (!layout) {
      state.unusable = true;
      return;
    }
    state.layout.emplace(std::move(layout).value());
  }
  state.queued[target] = true;
  state.pool.enqueue([&state, target, blobs_dir = state.layout->blobs_dir()] {
    Result<oci::LayerBlob> layer = pack_target_layer(state.config, state.plan, state.plan.targets[target], blobs_dir);
    std::lock_guard done(state.mutex);
    state.packed[target].emplace(std::move(layer));
  });
}

Result<PackageResult> package_and_publish(const Config& config, const Plan& plan, const OutputTarget& output,
                                          const std::vector<oci::BaseImage>& bases, LayerPacker* packer) {
  if (packer && packer->state_->layout) {
    // Queue the targets not packed yet and wait for the workers.
    LayerPacker::State& state = *packer->state_;
    for (std::size_t target = 0; target < plan.targets.size(); ++target) packer->start(target);
    state.pool.wait();
    std::vector<Result<oci::LayerBlob>> layers;
    for (std::optional<Result<oci::LayerBlob>>& layer : state.packed) layers.push_back(std::move(*layer));
    Result<PackageResult> result = package_packed(config, plan, *state.layout, bases, layers);
    if (!result) return result;
    if (int signal_number = interrupt_signal())
      return fail(std::string("interrupted by ") + interrupt_signal_name(signal_number));
    Status published = publish_output(config, plan, state.layout->root(), output, result.value());
    if (!published) return fail(published.error());
    return result;
  }
  // The staging area sits next to the output (same filesystem, so publishing is a rename) and
  // is removed whatever happens; the layout is built in a fresh directory inside it.
  Result<fs::path> staging_root = make_sibling_temp_dir(output.path);
  if (!staging_root) return fail(staging_root.error());
  TempDir cleanup(staging_root.value());
  fs::path staging = staging_root.value() / "oci";

  Result<oci::LayoutWriter> layout = oci::LayoutWriter::create(staging);
  if (!layout) return fail(layout.error());
  Result<PackageResult> result = package_images(config, plan, layout.value(), bases);
  if (!result) return result;
  // Nothing is published once a run caught SIGINT or SIGTERM (util/interrupt.h).
  if (int signal_number = interrupt_signal())
    return fail(std::string("interrupted by ") + interrupt_signal_name(signal_number));
  Status published = publish_output(config, plan, staging, output, result.value());
  if (!published) return fail(published.error());
  return result;
}

}  // namespace xb

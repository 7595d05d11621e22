// A base image comes from a registry or from an OCI layout on disk ("oci:DIR[:TAG]"); both
// are checked the same way: the image named (the layout's root with that tag) is an index whose
// entries' platforms, or a single image whose config's platform, must match every image
// platform of the plan (PlatformMatcher: the exact platform, else one it runs). A registry's
// images are pulled into <state dir>/base; a layout's are read where they are, their blobs
// checked against their digests, and nothing is written.
#include "build/base_images.h"

#include <fmt/format.h>

#include "oci/layout_reader.h"
#include "registry/operations.h"
#include "registry/reference.h"
#include "util/strings.h"

namespace xb {

namespace {

// The platforms that are images (a bare-metal target's artifact has no base).
std::vector<Platform> image_platforms(const Plan& plan) {
  std::vector<Platform> platforms;
  for (const TargetPlan& target : plan.targets)
    if (!is_bare_metal(target.platform)) platforms.push_back(target.platform);
  return platforms;
}

std::string platform_list(const std::vector<Platform>& platforms) {
  if (platforms.empty()) return "no platform";
  std::vector<std::string> names;
  for (const Platform& platform : platforms) names.push_back(platform.str());
  return join(names, ", ");
}

void require_coverage(const Config& config, const std::string& base, const std::vector<Platform>& offered,
                      const std::vector<Platform>& wanted) {
  std::vector<Platform> missing;
  for (const Platform& platform : wanted)
    if (!PlatformMatcher(platform).best(offered)) missing.push_back(platform);
  if (!missing.empty())
    throw Error(fmt::format("the base image {} has no image for {} (it offers {})\n"
                            "  use a base image that has every platform of [targets] in {}, or drop those platforms",
                            base, platform_list(missing), platform_list(offered), config.file.string()),
                2);
}

// The image a layout base names, and the platforms it offers.
struct LayoutImage {
  oci::LayoutReader reader;
  oci::Descriptor root;
  oci::Manifest top;
  std::vector<Platform> offered;  // in the order of the index
};

Result<LayoutImage> open_layout_image(const LayoutBase& base) {
  Result<oci::LayoutReader> reader = oci::LayoutReader::open(base.directory);
  if (!reader) return fail(reader.error());
  Result<oci::Descriptor> root = reader.value().named_root(base.tag);
  if (!root) return fail(root.error());
  Result<oci::Manifest> top = reader.value().manifest(root.value());
  if (!top) return fail(top.error());
  std::vector<Platform> offered;
  if (top.value().is_index()) {
    for (const oci::Descriptor& entry : top.value().manifests)
      if (entry.platform && !entry.platform->os.empty() && entry.platform->os != "unknown")
        offered.push_back(*entry.platform);
  } else {
    if (Result<std::filesystem::path> sized = reader.value().sized_blob_file(top.value().config); !sized)
      return fail(sized.error());
    Result<std::string> config = reader.value().blob(top.value().config.digest);
    if (!config) return fail(config.error());
    Result<Platform> platform = oci::platform_of_config(config.value(), "the image " + root.value().digest);
    if (!platform) return fail(platform.error());
    offered.push_back(platform.value());
  }
  return LayoutImage{std::move(reader).value(), root.value(), std::move(top).value(), std::move(offered)};
}

[[noreturn]] void layout_failure(const Config& config, const std::string& error) {
  throw Error(fmt::format("cannot use the base image {} ([image] from in {}): {}", config.image.from_layout->str(),
                          config.file.string(), error),
              2);
}

LayoutImage check_layout_base(const Config& config, const Plan& plan) {
  Result<LayoutImage> image = open_layout_image(*config.image.from_layout);
  if (!image) layout_failure(config, image.error());
  require_coverage(config, config.image.from_layout->str(), image.value().offered, image_platforms(plan));
  return std::move(image).value();
}

// Each platform's image of the layout, read where it is.
std::vector<oci::BaseImage> read_layout_bases(const Config& config, const Plan& plan) {
  LayoutImage image = check_layout_base(config, plan);
  const std::string name = config.image.from_layout->str();
  std::vector<oci::BaseImage> bases;
  for (const TargetPlan& target : plan.targets) {
    if (is_bare_metal(target.platform)) {
      bases.emplace_back();
      continue;
    }
    oci::Descriptor chosen = image.root;
    if (image.top.is_index()) {
      std::vector<Platform> entries;
      for (const oci::Descriptor& entry : image.top.manifests) entries.push_back(entry.platform.value_or(Platform{}));
      chosen = image.top.manifests[*PlatformMatcher(target.platform).best(entries)];
    }
    Result<oci::BaseImage> base = image.reader.base_image(chosen, name, true);
    if (!base) layout_failure(config, target.platform.str() + ": " + base.error());
    bases.push_back(std::move(base).value());
  }
  return bases;
}

}  // namespace

void check_base_image(const Config& config, const Plan& plan, const registry::RegistryOptions& registry) {
  if (config.image.from == "scratch") return;
  if (config.image.from_layout) {
    check_layout_base(config, plan);
    return;
  }
  Result<registry::Reference> base = registry::parse_reference(config.image.from);
  if (!base) throw Error(fmt::format("{} ([image] from in {})", base.error(), config.file.string()), 2);
  Result<registry::BaseCoverage> coverage = registry::base_coverage(base.value(), image_platforms(plan), registry);
  if (!coverage) throw Error(fmt::format("cannot read the base image: {}", coverage.error()), 2);
  require_coverage(config, base.value().str(), coverage.value().offered, image_platforms(plan));
}

std::vector<oci::BaseImage> pull_base_images(const Config& config, const Plan& plan,
                                             const registry::RegistryOptions& registry) {
  if (config.image.from == "scratch") return {};
  if (config.image.from_layout) return read_layout_bases(config, plan);
  check_base_image(config, plan, registry);
  registry::Reference base = registry::parse_reference(config.image.from).value();
  Result<std::vector<oci::BaseImage>> images =
      registry::fetch_base_images(base, image_platforms(plan), plan.state_dir / "base", registry);
  if (!images) throw Error(fmt::format("cannot pull the base image: {}", images.error()));
  std::vector<oci::BaseImage> bases;
  std::size_t next = 0;
  for (const TargetPlan& target : plan.targets)
    bases.push_back(is_bare_metal(target.platform) ? oci::BaseImage{} : std::move(images.value()[next++]));
  return bases;
}

}  // namespace xb

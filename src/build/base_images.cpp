#include "build/base_images.h"

#include <fmt/format.h>

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
  std::vector<std::string> names;
  for (const Platform& platform : platforms) names.push_back(platform.str());
  return join(names, ", ");
}

}  // namespace

void check_base_image(const Config& config, const Plan& plan, const registry::RegistryOptions& registry) {
  if (config.image.from == "scratch") return;
  Result<registry::Reference> base = registry::parse_reference(config.image.from);
  if (!base) throw Error(fmt::format("{} ([image] from in {})", base.error(), config.file.string()), 2);
  Result<registry::BaseCoverage> coverage = registry::base_coverage(base.value(), image_platforms(plan), registry);
  if (!coverage) throw Error(fmt::format("cannot read the base image: {}", coverage.error()), 2);
  if (!coverage.value().missing.empty())
    throw Error(fmt::format("the base image {} has no image for {} (it offers {})\n"
                            "  use a base image that has every platform of [targets] in {}, or drop those platforms",
                            base.value().str(), platform_list(coverage.value().missing),
                            platform_list(coverage.value().offered), config.file.string()),
                2);
}

std::vector<oci::BaseImage> pull_base_images(const Config& config, const Plan& plan,
                                             const registry::RegistryOptions& registry) {
  if (config.image.from == "scratch") return {};
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

// `[image] from = "REF"`: the base image of every image platform, checked against the plan and
// pulled into <state dir>/base/<platform> (under the state lock). Nothing to do for "scratch".
#pragma once

#include <string>
#include <vector>

#include "oci/base_image.h"
#include "plan/plan.h"
#include "registry/registry_client.h"

namespace xb {

// Fails (exit 2) naming the plan's platforms the base image lacks.
void check_base_image(const Config& config, const Plan& plan, const registry::RegistryOptions& registry);

// Checks as above, then pulls each image platform's base image. One per target, in plan order
// (a bare-metal target's is empty: its artifact has no base); empty for "scratch".
std::vector<oci::BaseImage> pull_base_images(const Config& config, const Plan& plan,
                                             const registry::RegistryOptions& registry);

}  // namespace xb

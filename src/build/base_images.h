// `[image] from`: the base image of every image platform, checked against the plan; from a
// registry ("REF") pulled into <state dir>/base/<platform> (under the state lock), from an OCI
// layout ("oci:DIR[:TAG]") read where it is, with no registry and nothing written. Nothing to do
// for "scratch".
#pragma once

#include <string>
#include <vector>

#include "oci/base_image.h"
#include "plan/plan.h"
#include "registry/registry_client.h"

namespace xb {

// Fails (exit 2) naming the plan's platforms the base image lacks; for a layout, also when it
// is missing, has no image of that tag, or its image's platforms cannot be read.
void check_base_image(const Config& config, const Plan& plan, const registry::RegistryOptions& registry);

// Checks as above, then pulls (or, from a layout, reads and verifies) each image platform's base
// image. One per target, in plan order (a bare-metal target's is empty: its artifact has no
// base); empty for "scratch". A layout's failures exit with status 2.
std::vector<oci::BaseImage> pull_base_images(const Config& config, const Plan& plan,
                                             const registry::RegistryOptions& registry);

}  // namespace xb

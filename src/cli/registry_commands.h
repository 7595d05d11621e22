// The registry commands (push, pull, manifest inspect/create) and the publish step of
// `xbuild run --push`. CLI11 is only named here, not included.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "package/package.h"

namespace CLI {
class App;
}

namespace xb {

class Terminal;

// Adds push, pull and manifest to `app`; the returned function runs the one that was parsed
// and returns its exit status, or -1 when none of them was.
std::function<int()> add_registry_commands(CLI::App& app);

// `run --push`: the references image.name:TAG of every tag, checked before anything runs.
std::vector<std::string> push_references(const Config& config, const OutputTarget& output);
// Pushes the published layout to those references and prints one line per reference.
void push_step(const std::vector<std::string>& references, const OutputTarget& output,
               const std::vector<std::string>& insecure_registries, Terminal& terminal);

// `[image] from = REF`: fails (exit 2) naming the plan's platforms the base image lacks.
// Nothing to do for "scratch".
void check_base_step(const Config& config, const Plan& plan, const std::vector<std::string>& insecure_registries);
// Checks as above, then pulls each target's base image into <state dir>/base/<platform>; the
// result is in the order of the plan's targets, empty for "scratch".
std::vector<oci::BaseImage> base_images_step(const Config& config, const Plan& plan,
                                             const std::vector<std::string>& insecure_registries);

}  // namespace xb

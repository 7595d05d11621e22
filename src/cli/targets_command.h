// `xbuild targets [--json]`: every target xbuild knows and how this machine would build it.
// CLI11 is only named here.
#pragma once

#include <functional>

namespace CLI {
class App;
}

namespace xb {

// Adds targets to `app`; the returned function runs it when it was parsed and returns its exit
// status, or -1 when it was not.
std::function<int()> add_targets_command(CLI::App& app);

}  // namespace xb

// The registry commands: push, pull, manifest inspect/create. CLI11 is only named here, not included.
#pragma once

#include <functional>

namespace CLI {
class App;
}

namespace xb {

// Adds push, pull and manifest to `app`; the returned function runs the one that was parsed
// and returns its exit status, or -1 when none of them was.
std::function<int()> add_registry_commands(CLI::App& app);

}  // namespace xb

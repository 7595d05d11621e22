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

// --registry-connect-timeout and --registry-timeout on `command` (seconds, also from
// XBUILD_REGISTRY_CONNECT_TIMEOUT and XBUILD_REGISTRY_TIMEOUT), starting at the registry's defaults.
void add_registry_timeout_options(CLI::App* command, unsigned& connect_seconds, unsigned& stall_seconds);

}  // namespace xb

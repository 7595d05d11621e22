// `xbuild cache info|prune|push|pull`. CLI11 is only named here, not included.
#pragma once

#include <functional>

namespace CLI {
class App;
}

namespace xb {

// Adds `cache` (info, prune, push, pull) to `app`; the returned function runs it when it was parsed and
// returns its exit status, or -1 when it was not.
std::function<int()> add_cache_commands(CLI::App& app);

}  // namespace xb

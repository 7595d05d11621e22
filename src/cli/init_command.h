// `xbuild init [DIR]`: a commented xbuild.toml for the project in DIR. CLI11 is only named here.
#pragma once

#include <functional>

namespace CLI {
class App;
}

namespace xb {

// Adds init to `app`; the returned function runs it when it was parsed and returns its exit
// status, or -1 when it was not.
std::function<int()> add_init_command(CLI::App& app);

}  // namespace xb

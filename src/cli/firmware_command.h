// `xbuild firmware env|test|pack`: bare-metal targets from toolchains/firmware/.
#pragma once

#include <functional>

namespace CLI {
class App;
}

namespace xb {

// Adds the subcommands to `app`; the returned function runs the one parsed (its exit status),
// or returns -1 when none was.
std::function<int()> add_firmware_commands(CLI::App& app);

}  // namespace xb

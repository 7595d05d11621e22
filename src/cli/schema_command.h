// `xbuild schema`: the JSON Schema of xbuild.toml on stdout (config/schema.h).
// CLI11 is only named here, not included.
#pragma once

#include <functional>

namespace CLI {
class App;
}

namespace xb {

// Adds schema to `app`; the returned function runs it when it was parsed and returns its exit
// status, or -1 when it was not.
std::function<int()> add_schema_command(CLI::App& app);

}  // namespace xb

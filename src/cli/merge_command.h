// `xbuild merge LAYOUT... -o oci:DIR [--push REF]`: the shards of a sharded run, one index.
// CLI11 is only named here, not included.
#pragma once

#include <functional>

namespace CLI {
class App;
}

namespace xb {

// Adds merge to `app`; the returned function runs it when it was parsed and returns its exit
// status, or -1 when it was not.
std::function<int()> add_merge_command(CLI::App& app);

}  // namespace xb

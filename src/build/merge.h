// `xbuild merge LAYOUT... -o oci:DIR [--push REF]`: the layouts of a sharded run's shards become
// one layout whose index holds every platform.
#pragma once

#include <string>
#include <vector>

namespace xb {

class Terminal;

struct MergeOptions {
  std::vector<std::string> layouts;  // "oci:DIR" or DIR
  std::string output;                // "oci:DIR" or "oci-archive:FILE" (local:DIR is refused)
  std::vector<std::string> push;     // references
  std::vector<std::string> expect;   // platforms, comma-separated or repeated
  bool allow_partial = false;
  std::vector<std::string> insecure_registries;
};

// Returns the exit status; a refusal throws xb::Error with the message and status, and changes
// nothing.
int merge_build(const MergeOptions& options, Terminal& terminal);

}  // namespace xb

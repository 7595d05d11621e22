// `xbuild merge LAYOUT... -o oci:DIR [--push REF] [--junit FILE] [--metadata-file FILE]`: the
// layouts of a sharded run's shards become one layout whose index holds every platform, and
// their reports one report.
#pragma once

#include <filesystem>
#include <optional>
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
  unsigned registry_connect_timeout = 0;  // --registry-connect-timeout, seconds (0: the default)
  unsigned registry_timeout = 0;          // --registry-timeout, seconds (0: the default)
  // One JUnit and one metadata file of the whole run, made of the ones each shard's run wrote
  // into its layout (kShardJunitFile, kShardMetadataFile of build/shard.h): the merged shards'
  // and, with --allow-partial, the failed ones' (their failures belong in the report).
  std::optional<std::filesystem::path> junit_file;
  std::optional<std::filesystem::path> metadata_file;
};

// Returns the exit status; a refusal throws xb::Error with the message and status, and changes
// nothing.
int merge_build(const MergeOptions& options, Terminal& terminal);

}  // namespace xb

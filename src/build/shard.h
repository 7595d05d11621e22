// `xbuild run --shard I/N`: which platforms shard I of N builds, and the index annotations
// that let `xbuild merge` put the shards back together.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "platform/platform.h"

namespace xb {

struct Config;

// A shard's reports, written into its layout (oci:DIR) next to index.json, where `xbuild merge`
// reads them: the --metadata-file JSON and the --junit XML of the shard's run.
inline constexpr const char* kShardMetadataFile = "xbuild-metadata.json";
inline constexpr const char* kShardJunitFile = "xbuild-junit.xml";

struct Shard {
  unsigned index = 1;  // 1-based
  unsigned count = 1;
};

// Parses "I/N" (1 <= I <= N); throws Error (exit 2) naming the value and the fix.
Shard parse_shard(const std::string& text);

// The platforms of shard `shard`, in config order. The split: sort the platforms by their
// normalized name ("linux/amd64" < "linux/arm/v7" < "linux/arm64"); the k-th of them (from 0)
// goes to shard k mod N + 1. The same config gives the same split on every machine.
std::vector<Platform> shard_platforms(const std::vector<Platform>& platforms, Shard shard);

// Keeps only the shard's platforms in `config` and returns the annotations for its index:
// dev.xbuild.shard = "I/N", dev.xbuild.platforms = every platform, in config order. Throws
// Error (exit 2) when the shard would be empty (more shards than platforms).
std::map<std::string, std::string> shard_step(Config& config, Shard shard);

// The effective configuration's digest, "sha256:<hex>": the config file's bytes, then a line
// per command-line setting over it (e.g. "-t 1.0"), in the order given. Shards of one build
// agree on it; a changed file or setting changes it. The platform selection (--shard,
// --platform) is not part of it: shards differ there by design.
std::string config_digest(std::string_view config_text, const std::vector<std::string>& command_line);

// The project's git HEAD, and whether tracked files differ from it (untracked ones do not
// count: the state directory and outputs are often untracked). nullopt outside a git checkout
// or without git.
struct SourceRevision {
  std::string commit;
  bool dirty = false;
};
std::optional<SourceRevision> source_revision(const std::filesystem::path& project_dir);

// The run's identity, written on the output layout's index.json (oci/merge.h keys): config
// digest, revision and dirty flag (when a git checkout), created (the source date, so equal
// inputs give equal files), and `shard_annotations` (run --shard). The result is added when
// the layout is written ("ok") or marked failed.
std::map<std::string, std::string> run_identity(const std::string& config_digest,
                                                const std::optional<SourceRevision>& revision,
                                                long long source_date_epoch,
                                                const std::map<std::string, std::string>& shard_annotations);

// `xbuild plan --shard`: shard_step, and the line saying which platforms the shard builds:
// "shard 2/3: linux/amd64, linux/riscv64 (of 5 platforms)\n".
std::string shard_plan_line(Config& config, Shard shard);

}  // namespace xb

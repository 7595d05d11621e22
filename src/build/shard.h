// `xbuild run --shard I/N [--durations FILE]`: which platforms shard I of N builds (dealt
// round-robin by name, or packed by the durations an earlier run measured), and the index
// annotations that let `xbuild merge` put the shards back together.
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

// What each platform cost in an earlier run, in seconds, by platform name ("linux/arm64"): the
// sum of its stages' "durations" in that run's --metadata-file.
using PlatformCosts = std::map<std::string, double>;

// `--durations FILE`: the costs a --metadata-file (a run's, or a merge's) records. A file that is
// missing, unreadable, not a regular file or not such a metadata file throws Error (exit 2)
// naming it and the fix.
PlatformCosts read_durations(const std::filesystem::path& file);

// Every shard's platforms. With costs that know at least one of the platforms, packed longest
// first (LPT): the platforms sorted by cost, descending (ties by name), each onto the shard with
// the least expected time so far (ties: the lowest shard number); a platform the costs lack
// costs the mean of those they know. Otherwise dealt round-robin by name (shard_platforms).
// Costs are counted in whole milliseconds, so every machine computes the same assignment from
// the same file.
struct ShardAssignment {
  bool packed = false;                        // false: round-robin by name
  std::vector<std::vector<Platform>> shards;  // [k]: shard k+1's platforms, in config order
  std::vector<double> expected;               // packed: each shard's expected seconds
  std::size_t known = 0;                      // platforms the costs know
  double unknown_cost = 0;                    // packed: the seconds given to each of the others
};
ShardAssignment assign_shards(const std::vector<Platform>& platforms, unsigned count,
                              const PlatformCosts* costs = nullptr);

// Keeps only the shard's platforms in `config` (assign_shards, with `costs` when given) and
// returns the annotations for its index: dev.xbuild.shard = "I/N", dev.xbuild.platforms = every
// platform, in config order. Throws Error (exit 2) when the shard would be empty (more shards
// than platforms).
std::map<std::string, std::string> shard_step(Config& config, Shard shard, const PlatformCosts* costs = nullptr);

// `xbuild run --shard I/N --durations FILE`: the line saying what this shard builds and how it
// was chosen, e.g. "xbuild: shard 2/3 packed by the durations in FILE: linux/amd64, linux/arm64
// (expected 40.0 s of 120.5 s)".
std::string shard_run_line(const std::vector<Platform>& platforms, Shard shard, const PlatformCosts& costs,
                           const std::filesystem::path& file);

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

// `xbuild plan --shard I/N --durations FILE`: shard_step, and the whole assignment: a line saying
// how the shards were chosen, then a line per shard with its platforms and expected time
// ("shard 1/3: linux/riscv64 (expected 41.2 s)"), the selected one marked "<- this shard".
std::string shard_plan_lines(Config& config, Shard shard, const PlatformCosts& costs,
                             const std::filesystem::path& file);

}  // namespace xb

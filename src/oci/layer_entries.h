// Inside oci/: the entries of a layer, collected from its sources. Every source is walked into
// one map keyed by its path in the layer (no leading "/" or "./"): directories, regular files
// and symlinks with their permission bits from disk, plus a 0755 directory for every parent that
// no source provides (so "/app/hello" also gives "app/"). Two sources that produce the same path
// fail, except directories, which merge (a real directory from disk wins over a made-up parent,
// the first source wins between two real ones).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "oci/layer.h"
#include "util/error.h"

namespace xb::oci {

enum class EntryKind { directory, file, symlink };

struct Entry {
  EntryKind kind = EntryKind::directory;
  std::filesystem::path disk_path;  // empty for a parent directory that no source provides
  unsigned mode = 0755;
  std::int64_t size = 0;
  std::string link_target;
  bool made_up() const { return disk_path.empty(); }
};

// Keyed by the path in the layer without a trailing "/".
using EntryMap = std::map<std::string, Entry>;

// The entries of every source, or why they cannot go into a layer (a missing source, a ".."
// destination, a device, two sources for one path).
Result<EntryMap> collect_entries(const std::vector<LayerSource>& sources);

}  // namespace xb::oci

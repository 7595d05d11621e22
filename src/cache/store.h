// The content-addressed cache store. Layout under the cache directory:
//   objects/<hex>   file contents, named by their SHA-256
//   entries/<hex>   one entry per key: the recorded output tree and logs (a small text manifest)
//   lock            flock: shared while a run reads or writes, exclusive while pruning
// Every object and entry is written to a temporary file and renamed into place, so two
// processes sharing the cache never see half a file; both writing the same key is harmless.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "util/error.h"

namespace xb {

// $XBUILD_CACHE_DIR, else $XDG_CACHE_HOME/xbuild, else $HOME/.cache/xbuild.
std::filesystem::path default_cache_dir();

struct CachedLog {
  std::string stage;
  std::filesystem::path file;  // where the log is read from (store) or written to (restore)
};

struct CacheInfo {
  std::size_t entries = 0;
  std::size_t objects = 0;
  std::uint64_t bytes = 0;  // objects and entries together
};

class CacheStore {
 public:
  explicit CacheStore(std::filesystem::path dir) : dir_(std::move(dir)) {}
  const std::filesystem::path& dir() const { return dir_; }

  bool contains(const std::string& key) const;
  // Records every file, symlink and directory under `output_dir`, and the logs.
  Status store(const std::string& key, const std::filesystem::path& output_dir, const std::vector<CachedLog>& logs);
  // Recreates the recorded tree inside `output_dir` (which exists and is empty) and writes each
  // log whose stage is recorded to its `file`. Marks the entry as used (for prune).
  Status restore(const std::string& key, const std::filesystem::path& output_dir, const std::vector<CachedLog>& logs);

  Result<CacheInfo> info() const;
  // Removes the least recently used entries until the cache is at most `max_bytes`, then every
  // object no entry refers to. Returns what is left.
  Result<CacheInfo> prune(std::uint64_t max_bytes);

 private:
  std::filesystem::path entry_path(const std::string& key) const;
  std::filesystem::path dir_;
};

// "500M", "2G", "1024" (bytes), "10K": binary units. Empty on a malformed size.
std::optional<std::uint64_t> parse_size(const std::string& text);
// 1536 -> "1.5 KiB"
std::string format_size(std::uint64_t bytes);

}  // namespace xb

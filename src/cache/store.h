// The content-addressed cache store. Layout under the cache directory:
//   objects/<hex>   file contents, named by their SHA-256
//   entries/<hex>   one entry per key: the recorded output tree and logs (a small text manifest)
//   lock            flock: shared while a run reads or writes, exclusive while pruning
//   debian/         Debian sysroots and root filesystems (debian/tree.h): not the store's, but
//                   `cache prune` weighs them with the entries (prune's `others`)
// Every object and entry is written to a temporary file and renamed into place, so two
// processes sharing the cache never see half a file; both writing the same key is harmless.
// An entry holds one stage's result: what the stage created, changed or removed under its
// platform's $XBUILD_OUT (found by comparing snapshots taken before and after it ran), and its
// log. Restoring the entries of a target's stages in order rebuilds that $XBUILD_OUT.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
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

// What an output tree held at one moment: for each relative path, its type and permissions,
// size, modification and change times, inode and (a symlink) target. Two snapshots differ for
// a path a stage created, rewrote, replaced or removed between them, without reading contents.
struct OutputSnapshot {
  struct Item {
    unsigned mode = 0;  // st_mode: type and permissions
    std::uint64_t size = 0, inode = 0;
    std::int64_t mtime_ns = 0, ctime_ns = 0;
    std::string link_target;
    bool operator==(const Item&) const = default;
  };
  std::map<std::string, Item> items;
};
Result<OutputSnapshot> snapshot_output(const std::filesystem::path& output_dir);

// A digest of `keys` and of what `output_dir` and the `files` (logs) hold now, as a snapshot
// sees them: every item's type, permissions, size, inode and times. Equal stamps taken at two
// moments mean nothing was written, replaced or removed in between (writing changes a file's
// ctime, which no one can set back), so a cached target whose stamp is what the last run
// recorded needs no restoring. Empty when the directory cannot be read.
std::string output_stamp(std::string_view keys, const std::filesystem::path& output_dir,
                         const std::vector<std::filesystem::path>& files);

// What an entry says of itself (entry header 3 on): the platform and stage it holds ("" for a
// whole target's entry) and how long the stage ran. Older entries read as empty.
struct EntryMeta {
  std::string platform;
  std::string stage;
  double seconds = 0;
  bool operator==(const EntryMeta&) const = default;
};

// One entry of the store as `cache info` and the registry cache see it.
struct EntryListing {
  std::string key;  // "sha256:<hex>"
  EntryMeta meta;
  std::uint64_t bytes = 0;  // the entry and its objects (each object once)
  std::filesystem::file_time_type used;
  std::vector<std::string> objects;  // hex names, each once, in the order the entry names them
};

// Parses an entry's text: its meta and the objects it names (each a 64-hex name). Fails,
// naming the key and the line, on anything else.
Result<EntryListing> parse_entry_text(const std::string& key, const std::string& text);

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
  // Records every file, symlink and directory under `output_dir`, and the logs. With `since`,
  // only what differs from that snapshot: new and changed items, and the paths it held that
  // are gone.
  // `meta` is recorded in the entry.
  Status store(const std::string& key, const std::filesystem::path& output_dir, const std::vector<CachedLog>& logs,
               const OutputSnapshot* since = nullptr, const EntryMeta& meta = {});
  // Applies the recorded result inside `output_dir` (which exists): removes the paths recorded
  // as gone, recreates the recorded items over what is there, and writes each log whose stage
  // is recorded to its `file`. Marks the entry as used (for prune).
  Status restore(const std::string& key, const std::filesystem::path& output_dir, const std::vector<CachedLog>& logs);
  // Marks the entry as used (for prune) without restoring it: its result is in place already.
  void touch(const std::string& key);

  Result<CacheInfo> info() const;
  // Every readable entry, sorted by key (a damaged one is left out).
  std::vector<EntryListing> entries() const;
  std::optional<EntryListing> entry(const std::string& key) const;
  Result<std::string> entry_text(const std::string& key) const;
  // objects/<hex>: where an object is (whether or not it is there).
  std::filesystem::path object_path(const std::string& hex) const;
  // Adds an entry whose objects are in objects/ already (a registry cache put them there):
  // the text must parse and every object it names exist, else nothing is written.
  Status import_entry(const std::string& key, const std::string& entry_text);

  // Something else the cache directory holds, weighed against the entries by its last use
  // (the Debian trees of debian/tree.h): its size, when it was used, and how to remove it.
  struct OtherItem {
    std::filesystem::file_time_type used;
    std::uint64_t bytes = 0;
    std::function<Result<bool>()> remove;  // false: in use, so kept (its bytes still count)
  };
  // Removes the least recently used entries and `others` until the cache is at most
  // `max_bytes`, then every object no entry refers to. Returns what is left of the entries.
  Result<CacheInfo> prune(std::uint64_t max_bytes, const std::vector<OtherItem>& others = {});

 private:
  std::filesystem::path entry_path(const std::string& key) const;
  std::filesystem::path dir_;
};

// "500M", "2G", "1024" (bytes), "10K": binary units. Empty on a malformed size.
std::optional<std::uint64_t> parse_size(const std::string& text);
// 1536 -> "1.5 KiB"
std::string format_size(std::uint64_t bytes);

}  // namespace xb

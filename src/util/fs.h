// Filesystem helpers: whole-file reads, atomic writes and atomic directory replacement.
// Every write that a user can see goes through a temporary sibling and a rename, so a failed
// or interrupted command leaves what was there before.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"

namespace xb {

Result<std::string> read_file(const std::filesystem::path& path);

// Whether write_file_atomic makes the file durable itself (fsync before the rename), or leaves
// that to the caller, who syncs many files at once with sync_files() before relying on them.
enum class Durability { now, deferred };

// Writes `content` to a temporary file next to `path`, fsyncs it (unless `durability` is
// deferred) and renames it over `path`.
Status write_file_atomic(const std::filesystem::path& path, std::string_view content,
                         Durability durability = Durability::now);

// Makes the files durable in one pass: starts the writeback of all of them, then fsyncs each.
// The first fsync commits the filesystem's journal for all of them; one fsync per file as each
// is written would commit it once per file.
Status sync_files(const std::vector<std::filesystem::path>& files);

// Creates a new, empty directory next to `target` (same filesystem, so it can be renamed onto
// target). Its name starts with ".<target name>.tmp-".
Result<std::filesystem::path> make_sibling_temp_dir(const std::filesystem::path& target);

// Moves the fully written directory `staged` to `target` in one step. An existing target is
// swapped out atomically (renameat2 RENAME_EXCHANGE) and then deleted.
Status replace_directory(const std::filesystem::path& staged, const std::filesystem::path& target);

// Removes a directory tree on destruction unless keep() was called.
class TempDir {
 public:
  explicit TempDir(std::filesystem::path path) : path_(std::move(path)) {}
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }
  void keep() { keep_ = true; }

 private:
  std::filesystem::path path_;
  bool keep_ = false;
};

}  // namespace xb

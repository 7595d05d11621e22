// Filesystem helpers: whole-file reads, atomic writes and atomic directory replacement.
// Every write that a user can see goes through a temporary sibling and a rename, so a failed
// or interrupted command leaves what was there before.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "util/error.h"

namespace xb {

Result<std::string> read_file(const std::filesystem::path& path);

// Writes `content` to a temporary file next to `path`, fsyncs it and renames it over `path`.
Status write_file_atomic(const std::filesystem::path& path, std::string_view content);

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

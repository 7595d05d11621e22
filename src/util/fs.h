// Filesystem helpers: whole-file reads, atomic writes and atomic directory replacement.
// Every write that a user can see goes through a temporary sibling and a rename, so a failed
// or interrupted command leaves what was there before. Temporary files and directories are
// all named ".<name>.tmp-<owner>-XXXXXX" by mkstemp/mkdtemp (safe from any thread), next to the
// <name> they will replace; <owner> is the process that made it ("<pid>.<start>.<pid namespace>",
// util/proc.h), so that what a killed process left can be told from a live one's.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
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
// target), with mode 0755 less the umask. Its name starts with ".<target name>.tmp-".
Result<std::filesystem::path> make_sibling_temp_dir(const std::filesystem::path& target);

// Removes the temporary files and directories next to `target` (".<target name>.tmp-*") whose
// owner is gone: what a process killed while writing left. Those of a live process, of another
// pid namespace and of older versions (no owner in the name) are left alone. Returns how many.
std::size_t remove_stale_temps(const std::filesystem::path& target);

// Whether a directory entry is a temporary file or directory of ours (".<name>.tmp-XXXXXX",
// or the ".tmp-..." of older versions): listings of published files skip them.
bool is_temp_name(std::string_view file_name);

// A new file, open for writing, that becomes a published file by a rename: commit(). Until
// then it is removed when the object goes (an error, an early return, an exception).
class TempFile {
 public:
  // ".<target name>.tmp-<owner>-XXXXXX" next to `target`, with permission bits `mode` (fchmod: the
  // umask does not apply). The failure says "cannot create a temporary file next to <target>".
  static Result<TempFile> create(const std::filesystem::path& target, mode_t mode = 0644);
  // ".<name>.tmp-<owner>-XXXXXX" in `directory`, for a file whose final name is known only at the end
  // (a blob named by its digest). The failure says "cannot create a temporary file in <dir>".
  static Result<TempFile> create_in(const std::filesystem::path& directory, std::string_view name, mode_t mode = 0644);

  TempFile(TempFile&& other) noexcept;
  TempFile& operator=(TempFile&& other) noexcept;
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile();  // closes the descriptor; removes the file unless committed

  int fd() const { return fd_; }  // -1 once closed
  const std::filesystem::path& path() const { return path_; }

  Status write(std::string_view data);
  // fsyncs (Durability::now) and closes the descriptor.
  Status close(Durability durability);
  // Closes the descriptor if still open (no fsync) and renames the file to `target`; from then
  // on it is not ours to remove.
  Status commit(const std::filesystem::path& target);

 private:
  TempFile(int fd, std::filesystem::path path) : fd_(fd), path_(std::move(path)) {}
  void discard();

  int fd_ = -1;
  std::filesystem::path path_;  // empty once committed
};

// Moves the fully written directory `staged` to `target` in one step. An existing target is
// swapped out atomically (renameat2 RENAME_EXCHANGE) and then deleted.
Status replace_directory(const std::filesystem::path& staged, const std::filesystem::path& target);

// Opens `path` (not following a last symlink) and hands its bytes to `sink` in pieces, exactly
// `size` of them: a file of another size "changed while it was being <doing>" ("packed"). Once a
// run caught SIGINT or SIGTERM (util/interrupt.h), fails "interrupted by ..." between pieces.
Status read_file_into(const std::filesystem::path& path, std::int64_t size,
                      const std::function<Status(const char* data, std::size_t size)>& sink, std::string_view doing);

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

// Advisory whole-file locks (flock) held for the lifetime of the object: one xbuild run per
// state directory, and the cache's shared/exclusive lock. The lock file is created if needed
// and left in place; the kernel drops the lock when the process ends, however it ends.
#pragma once

#include <filesystem>
#include <functional>

#include "util/error.h"

namespace xb {

class FileLock {
 public:
  enum class Mode { shared, exclusive };
  FileLock() = default;
  FileLock(FileLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  FileLock& operator=(FileLock&& other) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();

  // Takes the lock, waiting for it. `on_wait` is called once, before waiting, when another
  // process holds it (to tell the user why nothing happens).
  static Result<FileLock> acquire(const std::filesystem::path& file, Mode mode,
                                  const std::function<void()>& on_wait = {});
  bool held() const { return fd_ >= 0; }

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace xb

#include "util/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace xb {

FileLock& FileLock::operator=(FileLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);
}

Result<FileLock> FileLock::acquire(const std::filesystem::path& file, Mode mode, const std::function<void()>& on_wait) {
  std::error_code error;
  std::filesystem::create_directories(file.parent_path(), error);
  int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return fail("cannot open the lock file " + file.string() + ": " + std::strerror(errno));
  int operation = mode == Mode::shared ? LOCK_SH : LOCK_EX;
  if (::flock(fd, operation | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) {
      int saved = errno;
      ::close(fd);
      return fail("cannot lock " + file.string() + ": " + std::strerror(saved));
    }
    if (on_wait) on_wait();
    while (::flock(fd, operation) != 0) {
      if (errno == EINTR) continue;
      int saved = errno;
      ::close(fd);
      return fail("cannot lock " + file.string() + ": " + std::strerror(saved));
    }
  }
  return FileLock(fd);
}

}  // namespace xb

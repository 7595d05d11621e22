#include "util/fs.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <utility>
#include <vector>

#include "util/interrupt.h"
#include "util/proc.h"

namespace xb {

namespace fs = std::filesystem;

namespace {

std::string errno_text(int error) { return std::strerror(error); }

// The template mkstemp/mkdtemp fill in: "<directory>/.<name>.tmp-<owner>-XXXXXX", the owner
// being this process (util/proc.h), so that remove_stale_temps can tell whether it is gone.
std::string temp_template(const fs::path& directory, std::string_view name) {
  std::string pattern = (directory / ".").string();
  pattern.append(name).append(".tmp-").append(self_identity().str()).append("-XXXXXX");
  return pattern;
}

fs::path parent_or_current(const fs::path& target) {
  return target.parent_path().empty() ? fs::path(".") : target.parent_path();
}

// The process's umask, read without changing it (umask(2) can only set it, which would race
// with files created on other threads meanwhile). xbuild never changes its umask.
mode_t process_umask() {
  static const mode_t mask = [] {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
      if (line.rfind("Umask:", 0) == 0) return static_cast<mode_t>(std::strtoul(line.c_str() + 6, nullptr, 8));
    return static_cast<mode_t>(022);
  }();
  return mask;
}

struct CreatedFile {
  int fd;
  fs::path path;
};

Result<CreatedFile> create_temp_file(const fs::path& directory, std::string_view name, mode_t mode,
                                     const std::string& where) {
  std::string pattern = temp_template(directory, name);
  int fd = ::mkostemp(pattern.data(), O_CLOEXEC);
  if (fd < 0) return fail("cannot create a temporary file " + where + ": " + errno_text(errno));
  if (::fchmod(fd, mode) != 0) {
    int error = errno;
    ::close(fd);
    ::unlink(pattern.c_str());
    return fail("cannot chmod " + pattern + ": " + errno_text(error));
  }
  return CreatedFile{fd, fs::path(pattern)};
}

}  // namespace

Result<std::string> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("cannot read " + path.string() + ": " + errno_text(errno));
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

Status read_file_into(const fs::path& path, std::int64_t size,
                      const std::function<Status(const char* data, std::size_t size)>& sink, std::string_view doing) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return fail("cannot read " + path.string() + ": " + errno_text(errno));
  const std::string changed = path.string() + " changed while it was being " + std::string(doing);
  struct stat info {};
  if (::fstat(fd, &info) != 0 || static_cast<std::int64_t>(info.st_size) != size) {
    ::close(fd);
    return fail(changed);
  }
  std::vector<char> buffer(std::size_t{256} * 1024);
  for (std::int64_t remaining = size; remaining > 0;) {
    std::size_t want = static_cast<std::size_t>(std::min<std::int64_t>(remaining, std::int64_t(buffer.size())));
    ssize_t n = ::read(fd, buffer.data(), want);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int error = errno;
      ::close(fd);
      return fail(n == 0 ? changed : "cannot read " + path.string() + ": " + errno_text(error));
    }
    // A safe point of a run's SIGINT or SIGTERM: packing a big file stops within a piece.
    if (int signal_number = interrupt_signal()) {
      ::close(fd);
      return fail(std::string("interrupted by ") + interrupt_signal_name(signal_number));
    }
    if (Status written = sink(buffer.data(), static_cast<std::size_t>(n)); !written) {
      ::close(fd);
      return written;
    }
    remaining -= n;
  }
  ::close(fd);
  return Ok{};
}

Status write_file_atomic(const fs::path& path, std::string_view content, Durability durability) {
  Result<TempFile> temp = TempFile::create(path, 0644 & ~process_umask());
  if (!temp) return fail(temp.error());
  if (Status written = temp.value().write(content); !written) return written;
  if (Status closed = temp.value().close(durability); !closed) return closed;
  return temp.value().commit(path);
}

Status sync_files(const std::vector<fs::path>& files) {
  // Only a hint that lets the disk take all the files' data at once: where the filesystem
  // cannot start writeback this way, each fsync below does it for its file.
  for (const fs::path& file : files) {
    int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    ::sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
    ::close(fd);
  }
  for (const fs::path& file : files) {
    int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail("cannot open " + file.string() + " to sync it: " + errno_text(errno));
    if (::fsync(fd) != 0) {
      int error = errno;
      ::close(fd);
      return fail("cannot sync " + file.string() + " to disk: " + errno_text(error));
    }
    ::close(fd);
  }
  return Ok{};
}

Result<fs::path> make_sibling_temp_dir(const fs::path& target) {
  fs::path parent = parent_or_current(target);
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) return fail("cannot create directory " + parent.string() + ": " + ec.message());
  std::string pattern = temp_template(parent, target.filename().string());
  if (::mkdtemp(pattern.data()) == nullptr)
    return fail("cannot create a temporary directory next to " + target.string() + ": " + errno_text(errno));
  // mkdtemp makes it 0700; a staged directory is published as it is, so it gets mkdir's mode.
  if (::chmod(pattern.c_str(), 0755 & ~process_umask()) != 0) {
    int error = errno;
    ::rmdir(pattern.c_str());
    return fail("cannot chmod " + pattern + ": " + errno_text(error));
  }
  return fs::path(pattern);
}

std::size_t remove_stale_temps(const fs::path& target) {
  const std::string prefix = "." + target.filename().string() + ".tmp-";
  std::size_t removed = 0;
  std::error_code error;
  for (fs::directory_iterator it(parent_or_current(target), error); !error && it != fs::directory_iterator();
       it.increment(error)) {
    std::string name = it->path().filename().string();
    if (name.rfind(prefix, 0) != 0 || name.size() < prefix.size() + 7 || name[name.size() - 7] != '-') continue;
    std::optional<ProcessIdentity> owner =
        ProcessIdentity::parse(std::string_view(name).substr(prefix.size(), name.size() - 7 - prefix.size()));
    // No owner (an older version's), another pid namespace's, or one still running: not ours to judge.
    if (!owner || liveness(*owner) != Liveness::gone) continue;
    std::error_code ignored;
    if (fs::remove_all(it->path(), ignored) > 0) ++removed;
  }
  return removed;
}

bool is_temp_name(std::string_view file_name) {
  return file_name.rfind(".tmp-", 0) == 0 ||
         (file_name.size() > 1 && file_name[0] == '.' && file_name.find(".tmp-", 1) != std::string_view::npos);
}

Status replace_directory(const fs::path& staged, const fs::path& target) {
  if (::rename(staged.c_str(), target.c_str()) == 0) return Ok{};
  if (errno != EEXIST && errno != ENOTEMPTY && errno != EISDIR && errno != ENOTDIR)
    return fail("cannot move " + staged.string() + " to " + target.string() + ": " + errno_text(errno));
  // The target exists: swap both names in one step, then delete what was swapped out.
  if (::syscall(SYS_renameat2, AT_FDCWD, staged.c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) != 0)
    return fail("cannot replace " + target.string() + ": " + errno_text(errno));
  std::error_code ec;
  fs::remove_all(staged, ec);  // now holds the old content; a leftover is harmless
  return Ok{};
}

Result<TempFile> TempFile::create(const fs::path& target, mode_t mode) {
  Result<CreatedFile> created =
      create_temp_file(parent_or_current(target), target.filename().string(), mode, "next to " + target.string());
  if (!created) return fail(created.error());
  return TempFile(created.value().fd, std::move(created.value().path));
}

Result<TempFile> TempFile::create_in(const fs::path& directory, std::string_view name, mode_t mode) {
  Result<CreatedFile> created = create_temp_file(directory, name, mode, "in " + directory.string());
  if (!created) return fail(created.error());
  return TempFile(created.value().fd, std::move(created.value().path));
}

TempFile::TempFile(TempFile&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::exchange(other.path_, {})) {}

TempFile& TempFile::operator=(TempFile&& other) noexcept {
  if (this != &other) {
    discard();
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::exchange(other.path_, {});
  }
  return *this;
}

TempFile::~TempFile() { discard(); }

void TempFile::discard() {
  if (fd_ >= 0) ::close(fd_);
  if (!path_.empty()) ::unlink(path_.c_str());
  fd_ = -1;
  path_.clear();
}

Status TempFile::write(std::string_view data) {
  std::size_t written = 0;
  while (written < data.size()) {
    ssize_t n = ::write(fd_, data.data() + written, data.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("cannot write " + path_.string() + ": " + errno_text(errno));
    }
    written += static_cast<std::size_t>(n);
  }
  return Ok{};
}

Status TempFile::close(Durability durability) {
  int fd = std::exchange(fd_, -1);
  if (fd < 0) return Ok{};
  if (durability == Durability::now && ::fsync(fd) != 0) {
    int error = errno;
    ::close(fd);
    return fail("cannot write " + path_.string() + ": " + errno_text(error));
  }
  if (::close(fd) != 0) return fail("cannot write " + path_.string() + ": " + errno_text(errno));
  return Ok{};
}

Status TempFile::commit(const fs::path& target) {
  if (Status closed = close(Durability::deferred); !closed) return closed;
  if (::rename(path_.c_str(), target.c_str()) != 0)
    return fail("cannot rename " + path_.string() + " to " + target.string() + ": " + errno_text(errno));
  path_.clear();
  return Ok{};
}

TempDir::~TempDir() {
  if (keep_ || path_.empty()) return;
  std::error_code ec;
  fs::remove_all(path_, ec);
}

}  // namespace xb

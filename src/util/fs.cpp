#include "util/fs.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <vector>

namespace xb {

namespace fs = std::filesystem;

namespace {

std::string random_suffix() {
  static std::mt19937_64 generator{std::random_device{}() ^ static_cast<unsigned>(getpid())};
  static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string suffix;
  for (int i = 0; i < 8; ++i) suffix += alphabet[generator() % (sizeof(alphabet) - 1)];
  return suffix;
}

std::string errno_text(int error) { return std::strerror(error); }

}  // namespace

Result<std::string> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("cannot read " + path.string() + ": " + errno_text(errno));
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

Status write_file_atomic(const fs::path& path, std::string_view content, Durability durability) {
  fs::path temp = path.parent_path() / ("." + path.filename().string() + ".tmp-" + random_suffix());
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return fail("cannot create " + temp.string() + ": " + errno_text(errno));
  std::size_t written = 0;
  while (written < content.size()) {
    ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      int error = errno;
      ::close(fd);
      ::unlink(temp.c_str());
      return fail("cannot write " + temp.string() + ": " + errno_text(error));
    }
    written += static_cast<std::size_t>(n);
  }
  if ((durability == Durability::now && ::fsync(fd) != 0) || ::close(fd) != 0) {
    int error = errno;
    ::unlink(temp.c_str());
    return fail("cannot write " + temp.string() + ": " + errno_text(error));
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    int error = errno;
    ::unlink(temp.c_str());
    return fail("cannot rename " + temp.string() + " to " + path.string() + ": " + errno_text(error));
  }
  return Ok{};
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
  fs::path parent = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) return fail("cannot create directory " + parent.string() + ": " + ec.message());
  for (int attempt = 0; attempt < 16; ++attempt) {
    fs::path candidate = parent / ("." + target.filename().string() + ".tmp-" + random_suffix());
    if (::mkdir(candidate.c_str(), 0755) == 0) return candidate;
    if (errno != EEXIST) return fail("cannot create directory " + candidate.string() + ": " + errno_text(errno));
  }
  return fail("cannot create a temporary directory next to " + target.string());
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

TempDir::~TempDir() {
  if (keep_ || path_.empty()) return;
  std::error_code ec;
  fs::remove_all(path_, ec);
}

}  // namespace xb

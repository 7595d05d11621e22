#include "util/private_dir.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

namespace xb {

namespace fs = std::filesystem;

Status make_private_directory(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir.parent_path(), ec);
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    return fail("cannot create " + dir.string() + ": " + std::strerror(errno));
  struct stat info;
  if (::stat(dir.c_str(), &info) != 0) return fail("cannot read " + dir.string() + ": " + std::strerror(errno));
  if (!S_ISDIR(info.st_mode))
    return fail(dir.string() + " is not a directory; it must be one that only its owner can enter");
  if ((info.st_mode & 07777) != 0700 && ::chmod(dir.c_str(), 0700) != 0)
    return fail("cannot make " + dir.string() + " private (chmod 0700): " + std::strerror(errno));
  return Ok{};
}

}  // namespace xb

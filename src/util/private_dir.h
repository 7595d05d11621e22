// Directories only their owner may enter: where unpacked images and sysroots live. An image's
// setuid-root files and world-writable directories are then out of other users' reach (as
// Docker and containerd keep /var/lib/docker and their snapshot roots 0700).
#pragma once

#include <filesystem>

#include "util/error.h"

namespace xb {

// Creates `dir` (and its missing parents) with mode 0700, or tightens it to 0700 when it exists
// with wider permissions (a symlink to a directory, the owner's choice of disk, is followed).
// Fails naming the directory when it cannot, or when it is not a directory.
Status make_private_directory(const std::filesystem::path& dir);

}  // namespace xb

// How debian/tree.cpp's trees are made and finished: what a finished sysroot holds, the
// package versions a tree holds, and what mmdebstrap's output says went wrong. Internal to
// debian/ (tests call it directly); callers use tree.h.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "debian/tree.h"
#include "util/error.h"
#include "util/probe.h"

namespace xb::debian {

// Rewrites every symlink under `root` whose target is absolute into the relative one that
// reaches the same path inside `root`: usr/lib/aarch64-linux-gnu/libz.so ->
// /lib/aarch64-linux-gnu/libz.so.1.2.13 becomes ../../../lib/aarch64-linux-gnu/libz.so.1.2.13.
// Returns how many it rewrote.
Result<std::size_t> make_symlinks_relative(const std::filesystem::path& root);

// Turns what mmdebstrap's extract variant left in `root` into a sysroot: only usr/, the
// merged-/usr links and etc/ stay at the top (no dev/, tmp/, var/, run/), etc/ loses what
// mmdebstrap itself wrote there (apt/, dpkg/, resolv.conf, hostname, fstab), absolute symlinks
// become relative, and etc/ld.so.cache is an empty file.
Status finish_sysroot(const std::filesystem::path& root);

using PackageVersions = std::vector<std::pair<std::string, std::string>>;
// The .deb files apt downloaded into root/var/cache/apt/archives ("zlib1g_1%3a1.2.13.dfsg-1_arm64.deb"
// -> zlib1g 1:1.2.13.dfsg-1), sorted by name.
PackageVersions downloaded_versions(const std::filesystem::path& root);
// The packages root/var/lib/dpkg/status lists as installed, sorted by name.
PackageVersions installed_versions(const std::filesystem::path& root);

// What went wrong, from how mmdebstrap ended and its output: the "E: " lines and the last lines.
struct MakeFailure {
  std::string message;
  std::string unknown_package;  // a package the suite does not have, when that was the cause
};
MakeFailure explain_failure(const TreeSpec& spec, const CommandExit& exit, const std::vector<std::string>& error_lines,
                            const std::string& last_line, std::chrono::seconds timeout);

}  // namespace xb::debian

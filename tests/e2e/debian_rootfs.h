// Debian root filesystems for the tests of the emulate strategy and of the sandbox: made once by
// mmdebstrap and cached outside the repository, in $XBUILD_TEST_CACHE (default
// /var/cache/xbuild-tests), so that every test that needs one makes it when it is not there and
// no test relies on another having run first.
#pragma once

#include <filesystem>
#include <string>

namespace xb::testing {

// $XBUILD_TEST_CACHE, else /var/cache/xbuild-tests.
std::filesystem::path rootfs_cache_dir();

// A Debian root filesystem with gcc, libc6-dev and make for `debian_arch`, built once by
// mmdebstrap into a temporary sibling and renamed (an interrupted build never leaves half a root
// filesystem), then reused: <cache>/rootfs-<arch>-<suite>. mmdebstrap runs the target's
// maintainer scripts, so the QEMU handler for `qemu_arch` is registered first and stays (the
// callers remove what they registered). Empty, with `error` set, when it cannot be made.
std::filesystem::path ensure_debian_rootfs(const std::string& debian_arch, const std::string& qemu_arch,
                                           const std::string& suite, std::string* error);

// The arm64 bookworm root filesystem of ensure_debian_rootfs() as an OCI image, tagged
// "bookworm" in the layout <cache>/oci-arm64-bookworm (made once with umoci, without its device
// nodes). Empty, after a test failure, when it cannot be made.
std::filesystem::path ensure_oci_rootfs(const std::filesystem::path& rootfs);

}  // namespace xb::testing

#include "e2e/debian_rootfs.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>

#include "e2e/e2e_support.h"
#include "util/fs.h"
#include "util/strings.h"

namespace xb::testing {

namespace fs = std::filesystem;

namespace {

// The first URIs of the system's Debian sources, else deb.debian.org.
std::string debian_mirror() {
  Result<std::string> sources = read_file("/etc/apt/sources.list.d/debian.sources");
  if (sources) {
    for (const std::string& line : split(sources.value(), '\n'))
      if (starts_with(line, "URIs: ")) return std::string(trim(line.substr(6)));
  }
  return "http://deb.debian.org/debian";
}

}  // namespace

fs::path rootfs_cache_dir() {
  const char* dir = std::getenv("XBUILD_TEST_CACHE");
  return dir && *dir ? fs::path(dir) : fs::path("/var/cache/xbuild-tests");
}

fs::path ensure_debian_rootfs(const std::string& debian_arch, const std::string& qemu_arch, const std::string& suite,
                              std::string* error) {
  fs::path rootfs = rootfs_cache_dir() / ("rootfs-" + debian_arch + "-" + suite);
  if (fs::exists(rootfs)) return rootfs;
  CommandResult installed = xbuild({"binfmt", "install", "--arch", qemu_arch});
  if (installed.exit_code != 0) {
    *error = "xbuild binfmt install failed: " + installed.err;
    return {};
  }
  fs::create_directories(rootfs_cache_dir());
  fs::path staging = rootfs_cache_dir() / (rootfs.filename().string() + ".tmp-" + std::to_string(getpid()));
  CommandResult built = run({"mmdebstrap", "--arch=" + debian_arch, "--include=gcc,libc6-dev,make", suite,
                             staging.string(), debian_mirror()});
  if (built.exit_code != 0) {
    std::error_code ec;
    fs::remove_all(staging, ec);
    *error = "mmdebstrap failed: " + built.err;
    return {};
  }
  fs::rename(staging, rootfs);
  return rootfs;
}

fs::path ensure_oci_rootfs(const fs::path& rootfs) {
  fs::path layout = rootfs_cache_dir() / "oci-arm64-bookworm";
  if (fs::exists(layout)) return layout;
  fs::path staging = rootfs_cache_dir() / ("oci-arm64-bookworm.tmp-" + std::to_string(getpid()));
  fs::path bundle = rootfs_cache_dir() / ("oci-arm64-bookworm.bundle-" + std::to_string(getpid()));
  std::string image = staging.string() + ":bookworm";
  std::vector<std::vector<std::string>> steps = {
      {"umoci", "init", "--layout", staging.string()},
      {"umoci", "new", "--image", image},
      {"umoci", "config", "--image", image, "--architecture=arm64", "--os=linux"},
      {"umoci", "unpack", "--image", image, bundle.string()},
      {"sh", "-c",
       "tar -C '" + rootfs.string() + "' --exclude='./dev/*' -cf - . | tar -C '" + bundle.string() + "/rootfs' -xf -"},
      {"umoci", "repack", "--image", image, bundle.string()},
  };
  for (const std::vector<std::string>& step : steps) {
    CommandResult result = run(step);
    if (result.exit_code != 0) {
      ADD_FAILURE() << join(step, " ") << ": " << result.err;
      std::error_code ec;
      fs::remove_all(staging, ec);
      fs::remove_all(bundle, ec);
      return {};
    }
  }
  std::error_code ec;
  fs::remove_all(bundle, ec);
  fs::rename(staging, layout);
  return layout;
}

}  // namespace xb::testing

// The Debian package end to end, as a user gets it on a clean Debian 12: the .deb that
// scripts/build-deb.sh builds from a copy of the source tree is installed with apt into a fresh
// minbase chroot, where apt resolves its Depends from the archive (the check that they are
// right), and examples/hello, copied elsewhere in the chroot, is built there for linux/amd64 and
// linux/arm64 by the installed binary with the installed data only. The chroot's tarball (with
// gcc and the arm64 cross compiler, neither of them xbuild's Depends) is made by mmdebstrap
// once a day into the tests' cache, from the host's downloaded packages where it has them; the package is built in
// <cache>/deb/build; the chroot lives in a directory of the run's own there, removed at the end, after /proc and
// binfmt_misc are unmounted from it.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "e2e/debian_rootfs.h"
#include "e2e/e2e_support.h"
#include "e2e/layout_json.h"
#include "util/fs.h"
#include "util/strings.h"

namespace xb::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kSuite = "bookworm";
// What a first build of examples/hello for linux/amd64 and linux/arm64 needs besides xbuild, but
// QEMU: qemu-user-static installs 370 MB of emulators for every architecture where the test runs
// one, so the host's qemu-aarch64-static (the same Debian package's file) is copied in instead.
constexpr const char* kChrootPackages = "gcc,libc6-dev,make,gcc-aarch64-linux-gnu,libc6-dev-arm64-cross";
constexpr const char* kQemu = "/usr/bin/qemu-aarch64-static";
// Libraries of xbuild's Depends that a minbase chroot does not have before xbuild is installed.
const std::vector<std::string> kResolvedByApt = {"libuv1", "libarchive13", "libcurl4", "libfmt9",
                                                 "libboost-filesystem1.74.0"};

// Prints each step's wall time when it ends, so that the CI log shows where the minutes go.
class StepClock {
 public:
  void done(const std::string& step) {
    std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now();
    std::printf("deb test: %-44s %6.1f s\n", step.c_str(), std::chrono::duration<double>(now - last_).count());
    std::fflush(stdout);
    last_ = now;
  }

 private:
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

// Whether anything is mounted at or below `dir` (/proc/self/mountinfo's fifth field).
bool has_mount_below(const fs::path& dir) {
  Result<std::string> mounts = read_file("/proc/self/mountinfo");
  if (!mounts) return true;  // unknown: not safe to remove
  for (const std::string& line : split(mounts.value(), '\n')) {
    std::vector<std::string> fields = split(line, ' ');
    if (fields.size() > 4 && (fields[4] == dir.string() || starts_with(fields[4], dir.string() + "/"))) return true;
  }
  return false;
}

// This run's directory under the tests' cache: the chroot (a whole Debian tree, too big to keep
// after a failure). Removed when the test ends, unless something is still
// mounted below it, which removal would walk into.
class RunDir {
 public:
  RunDir() : path_(rootfs_cache_dir() / "deb" / ("run-" + std::to_string(getpid()))) {
    std::error_code ec;
    fs::remove_all(path_, ec);
    fs::create_directories(path_);
  }
  ~RunDir() {
    if (has_mount_below(path_)) {
      std::fprintf(stderr, "not removed, something is mounted below it: %s\n", path_.c_str());
      return;
    }
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  RunDir(const RunDir&) = delete;
  RunDir& operator=(const RunDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// The kernel file systems a Debian system has mounted, in the chroot for as long as this lives:
// /proc, and binfmt_misc where the host has it (systemd mounts it; a run registers QEMU's
// handler there when the kernel cannot give a stage an instance of its own). Unmounted in reverse
// order whatever ends the test, lazily: a process left inside cannot keep them.
class ChrootMounts {
 public:
  explicit ChrootMounts(const fs::path& root) {
    if (!mount_one("proc", root / "proc", "proc")) return;
    if (fs::exists("/proc/sys/fs/binfmt_misc/status"))
      mount_one("binfmt_misc", root / "proc" / "sys" / "fs" / "binfmt_misc", "binfmt_misc");
  }
  ~ChrootMounts() {
    for (auto target = mounted_.rbegin(); target != mounted_.rend(); ++target)
      if (::umount2(target->c_str(), MNT_DETACH) != 0)
        std::fprintf(stderr, "cannot unmount %s: %s\n", target->c_str(), std::strerror(errno));
  }
  ChrootMounts(const ChrootMounts&) = delete;
  ChrootMounts& operator=(const ChrootMounts&) = delete;
  // "" when every mount succeeded, else which one failed and why.
  const std::string& error() const { return error_; }

 private:
  bool mount_one(const char* source, const fs::path& target, const char* type) {
    if (::mount(source, target.c_str(), type, MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
      error_ = "mount " + std::string(type) + " on " + target.string() + ": " + std::strerror(errno);
      return false;
    }
    mounted_.push_back(target);
    return true;
  }

  std::vector<fs::path> mounted_;
  std::string error_;
};

// The first URIs of the machine's Debian sources, else deb.debian.org: the mirror CI reaches.
std::string debian_mirror() {
  Result<std::string> sources = read_file("/etc/apt/sources.list.d/debian.sources");
  if (sources)
    for (const std::string& line : split(sources.value(), '\n'))
      if (starts_with(line, "URIs: ")) return std::string(trim(line.substr(6)));
  return "http://deb.debian.org/debian";
}

std::string utc_date() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[16];
  std::strftime(text, sizeof text, "%Y%m%d", &tm);
  return text;
}

// <cache>/deb/bookworm-minbase-<UTC date>.tar, made by mmdebstrap when today's is not there
// (into a temporary name, then renamed; older days' tarballs removed). Empty, with `error` set,
// when it cannot be made.
fs::path ensure_chroot_tarball(std::string* error) {
  fs::path dir = rootfs_cache_dir() / "deb";
  std::string prefix = std::string(kSuite) + "-minbase-gcc-arm64-";
  fs::path tarball = dir / (prefix + utc_date() + ".tar");
  if (fs::exists(tarball)) return tarball;
  fs::create_directories(dir);
  fs::path staging = dir / (".tmp-" + std::to_string(getpid()) + ".tar");
  std::string mirror = debian_mirror();
  std::string security = mirror.find("deb.debian.org") != std::string::npos
                             ? "http://deb.debian.org/debian-security"
                             : "http://security.debian.org/debian-security";
  CommandResult made =
      run({"mmdebstrap", "--variant=minbase", std::string("--include=") + kChrootPackages,
           // The packages the host has downloaded already (hard links where the file system allows),
           // not fetched again; mmdebstrap empties the chroot's archive directory at the end.
           "--setup-hook=mkdir -p \"$1\"/var/cache/apt/archives/partial && for deb in /var/cache/apt/archives/*.deb; "
           "do [ -e \"$deb\" ] && { ln \"$deb\" \"$1\"/var/cache/apt/archives/ 2>/dev/null || cp \"$deb\" "
           "\"$1\"/var/cache/apt/archives/; }; done; true",
           kSuite, staging.string(), "deb " + mirror + " " + kSuite + " main",
           "deb " + mirror + " " + kSuite + "-updates main", "deb " + security + " " + kSuite + "-security main"});
  if (made.exit_code != 0) {
    std::error_code ec;
    fs::remove(staging, ec);
    *error = "mmdebstrap failed: " + made.err;
    return {};
  }
  fs::rename(staging, tarball);
  for (const fs::directory_entry& entry : fs::directory_iterator(dir)) {
    std::string name = entry.path().filename().string();
    if (starts_with(name, prefix) && entry.path() != tarball) fs::remove(entry.path());
  }
  return tarball;
}

// Runs a shell script as root in the chroot, with a clean environment.
CommandResult in_chroot(const fs::path& root, const std::string& script) {
  return run({"chroot", root.string(), "/usr/bin/env", "-i", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin",
              "HOME=/root", "LANG=C.UTF-8", "DEBIAN_FRONTEND=noninteractive", "SOURCE_DATE_EPOCH=1700000000", "/bin/sh",
              "-ec", script});
}

// The source tree's changes as git sees them ("" without git): the build must not add any.
std::string tree_status() {
  CommandResult status = run({"git", "-C", source_root().string(), "status", "--porcelain", "--ignored"});
  return status.exit_code == 0 ? status.out : std::string();
}

TEST(DebianPackage, InstallsOnACleanBookwormWithAptAndBuildsHello) {
  XB_REQUIRE_ROOT("to build a chroot, mount /proc in it and install packages there");
  XB_REQUIRE_TOOLS("dpkg-buildpackage", "dh", "dpkg-deb", "mmdebstrap", "chroot", "tar", "qemu-aarch64-static");
  StepClock clock;
  RunDir run_dir;
  std::string status_before = tree_status();

  // 1. The package, from a copy of the source tree, always in the same place under the cache: a
  // ccache in front of the compiler finds the last run's objects there. The debug symbols'
  // package, which nothing here installs, is not made (compressing it takes a minute).
  fs::path out = rootfs_cache_dir() / "deb" / "build";
  unsigned jobs = std::max(2u, std::thread::hardware_concurrency());
  CommandResult built = run({(source_root() / "scripts" / "build-deb.sh").string(), out.string()},
                            {{"DEB_BUILD_OPTIONS", "parallel=" + std::to_string(jobs) + " nocheck noautodbgsym"}});
  clock.done("dpkg-buildpackage (scripts/build-deb.sh)");
  ASSERT_EQ(built.exit_code, 0) << built.out.substr(built.out.size() > 20000 ? built.out.size() - 20000 : 0)
                                << built.err;
  EXPECT_EQ(tree_status(), status_before) << "the build wrote into the source tree";
  std::string architecture(trim(run({"dpkg", "--print-architecture"}).out));
  std::string version_line(trim(xbuild({"--version"}).out));  // "xbuild 0.1.0"
  fs::path deb = out / ("xbuild_" + version_line.substr(7) + "_" + architecture + ".deb");
  ASSERT_TRUE(fs::is_regular_file(deb)) << deb << " not built; " << built.out.substr(0, 2000);
  CommandResult fields = run({"dpkg-deb", "-f", deb.string(), "Depends", "Recommends", "Suggests"});
  std::printf("%s", fields.out.c_str());
  for (const std::string& library : kResolvedByApt)
    EXPECT_NE(fields.out.find(library), std::string::npos) << library << " missing from Depends: " << fields.out;

  // 2. A clean Debian 12.
  std::string error;
  fs::path tarball = ensure_chroot_tarball(&error);
  ASSERT_FALSE(tarball.empty()) << error;
  clock.done("chroot tarball (" + tarball.filename().string() + ")");
  fs::path root = run_dir.path() / "root";
  fs::create_directories(root);
  CommandResult unpacked = run({"tar", "-C", root.string(), "--numeric-owner", "-xpf", tarball.string()});
  ASSERT_EQ(unpacked.exit_code, 0) << unpacked.err;
  ChrootMounts mounts(root);
  ASSERT_EQ(mounts.error(), "");
  fs::copy_file("/etc/resolv.conf", root / "etc" / "resolv.conf", fs::copy_options::overwrite_existing);
  fs::copy_file(kQemu, root / fs::path(kQemu).relative_path(), fs::copy_options::overwrite_existing);
  clock.done("chroot unpacked");
  for (const std::string& library : kResolvedByApt)
    ASSERT_NE(in_chroot(root, "dpkg-query -W " + library).exit_code, 0) << library << " is in the chroot already";

  // 3. apt installs it with its Depends, from the archive.
  fs::copy_file(deb, root / "tmp" / deb.filename());
  CommandResult installed = in_chroot(
      root, "apt-get update -qq && apt-get install -y --no-install-recommends /tmp/" + deb.filename().string());
  clock.done("apt-get install ./" + deb.filename().string());
  ASSERT_EQ(installed.exit_code, 0) << installed.out << installed.err;
  for (const std::string& library : kResolvedByApt)
    EXPECT_EQ(in_chroot(root, "dpkg-query -W " + library).exit_code, 0) << library << " not installed by apt";

  // 4. What it installed: the binary and data, nothing naming the build machine's trees.
  CommandResult listed = in_chroot(root, "dpkg -L xbuild");
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  std::set<std::string> files;
  for (const std::string& line : split(listed.out, '\n'))
    if (!line.empty()) files.insert(line);
  for (const char* expected :
       {"/usr/bin/xbuild", "/usr/libexec/xbuild/xbuild-stage", "/usr/share/xbuild/toolchains/linux-amd64.toml",
        "/usr/share/xbuild/toolchains/firmware/startup.S", "/usr/share/xbuild/qemu/aarch64.toml",
        "/usr/share/doc/xbuild/copyright", "/usr/share/doc/xbuild/changelog.gz", "/usr/share/man/man1/xbuild.1.gz",
        "/usr/share/man/man5/xbuild.toml.5.gz", "/usr/share/bash-completion/completions/xbuild",
        "/usr/share/zsh/vendor-completions/_xbuild", "/usr/share/xbuild/docs/xbuild.schema.json"})
    EXPECT_TRUE(files.count(expected)) << expected << " not in the package:\n" << listed.out;
  std::string source_path = fs::canonical(source_root()).string();
  for (const std::string& file : files) {
    EXPECT_EQ(file.find("xbuild-data"), std::string::npos) << file;
    if (!fs::is_regular_file(fs::symlink_status(root / file.substr(1)))) continue;
    Result<std::string> content = read_file(root / file.substr(1));
    ASSERT_TRUE(content) << file;
    EXPECT_EQ(content.value().find(source_path), std::string::npos) << file << " names the source tree";
    EXPECT_EQ(content.value().find(out.string()), std::string::npos) << file << " names the build tree";
    // Man pages, where the package has them, are compressed as policy says.
    if (starts_with(file, "/usr/share/man/")) {
      EXPECT_EQ(fs::path(file).extension(), ".gz") << file;
    }
  }
  CommandResult version = in_chroot(root, "xbuild --version");
  EXPECT_EQ(version.out, xbuild({"--version"}).out) << version.err;

  // 5. A first build elsewhere, with the installed binary and data only.
  fs::path hello = copy_example("hello", root / "home" / "builder" / "hello");
  std::string in_hello = "cd /home/builder/hello && ";
  CommandResult planned = in_chroot(root, in_hello + "xbuild plan --platform linux/amd64,linux/arm64");
  EXPECT_EQ(planned.exit_code, 0) << planned.out << planned.err;
  EXPECT_NE(planned.out.find("linux/amd64  native    x86_64-linux-gnu-gcc"), std::string::npos) << planned.out;
  EXPECT_NE(planned.out.find("linux/arm64  cross     aarch64-linux-gnu-gcc"), std::string::npos) << planned.out;
  EXPECT_NE(planned.out.find("(toolchains/linux-arm64.toml)"), std::string::npos) << planned.out;
  CommandResult ran = in_chroot(root, in_hello + "xbuild run --platform linux/amd64,linux/arm64");
  clock.done("xbuild run (linux/amd64, linux/arm64)");
  ASSERT_EQ(ran.exit_code, 0) << ran.out << ran.err;
  EXPECT_EQ(elf_machine(hello / ".xbuild" / "out" / "linux-amd64" / "hello"), 0x3e);
  EXPECT_EQ(elf_machine(hello / ".xbuild" / "out" / "linux-arm64" / "hello"), 0xb7);
  json index = layout_image_index(hello / ".xbuild" / "oci");
  ASSERT_TRUE(index.contains("manifests")) << index.dump();
  std::set<std::string> platforms;
  for (const json& manifest : index["manifests"])
    platforms.insert(manifest["platform"]["os"].get<std::string>() + "/" +
                     manifest["platform"]["architecture"].get<std::string>());
  EXPECT_EQ(platforms, (std::set<std::string>{"linux/amd64", "linux/arm64"})) << index.dump();
}

}  // namespace
}  // namespace xb::testing

// Tests for debian/mmdebstrap: the command lines, absolute symlinks made relative, what a
// finished sysroot keeps, package versions from .deb names and dpkg's status, and the messages
// made from mmdebstrap's output.
#include "debian/mmdebstrap.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include "support/scratch_dir.h"
#include "util/fs.h"

namespace xb::debian {
namespace {

namespace fs = std::filesystem;
using testing::ScratchDir;

constexpr const char* kMirror = "http://deb.debian.org/debian";

// The command without the namespaces it runs in as root.
std::vector<std::string> without_unshare(std::vector<std::string> argv) {
  std::vector<std::string> prefix = {"setpriv", "--pdeathsig", "KILL",   "--",           "unshare",
                                     "--mount", "--pid",       "--fork", "--kill-child", "--"};
  if (::geteuid() == 0) {
    EXPECT_TRUE(std::equal(prefix.begin(), prefix.end(), argv.begin()))
        << "as root, in a mount and PID namespace of its own, killed with xbuild";
    argv.erase(argv.begin(), argv.begin() + static_cast<std::ptrdiff_t>(prefix.size()));
  }
  return argv;
}

TEST(MmdebstrapArgv, ASysrootIsExtractedWithMergedUsrLinks) {
  TreeSpec spec{TreeSpec::Kind::sysroot, "bookworm", "arm64", kMirror, {"libssl-dev", "zlib1g-dev"}};
  EXPECT_EQ(without_unshare(mmdebstrap_argv(spec, "/c/t")),
            (std::vector<std::string>{
                "mmdebstrap", "--variant=extract", "--arch=arm64",
                "--include=libc6-dev,libstdc++6,libssl-dev,zlib1g-dev", "--skip=cleanup/apt/cache",
                "--setup-hook=for d in bin sbin lib; do ln -s usr/$d \"$1/$d\"; mkdir -p \"$1/usr/$d\"; done",
                "bookworm", "/c/t", kMirror}));
  spec.architecture = "amd64";
  EXPECT_EQ(without_unshare(mmdebstrap_argv(spec, "/c/t"))[5],
            "--setup-hook=for d in bin sbin lib lib64; do ln -s usr/$d \"$1/$d\"; mkdir -p \"$1/usr/$d\"; done");
}

TEST(MmdebstrapArgv, ARootFilesystemIsTheAptVariantWithThePackages) {
  TreeSpec spec{TreeSpec::Kind::rootfs, "bookworm", "arm64", kMirror, {"gcc", "make", "zlib1g-dev"}};
  EXPECT_EQ(without_unshare(mmdebstrap_argv(spec, "/c/t")),
            (std::vector<std::string>{"mmdebstrap", "--variant=apt", "--arch=arm64", "--include=gcc,make,zlib1g-dev",
                                      "bookworm", "/c/t", kMirror}));
  spec.packages.clear();
  EXPECT_EQ(without_unshare(mmdebstrap_argv(spec, "/c/t")),
            (std::vector<std::string>{"mmdebstrap", "--variant=apt", "--arch=arm64", "bookworm", "/c/t", kMirror}));
}

TEST(MakeSymlinksRelative, AbsoluteTargetsBecomeRelativeInsideTheTree) {
  ScratchDir scratch;
  fs::path root = scratch / "root";
  fs::create_directories(root / "usr/lib/aarch64-linux-gnu");
  fs::create_directory_symlink("usr/lib", root / "lib");
  scratch.write("root/usr/lib/aarch64-linux-gnu/libz.so.1.2.13", "elf");
  fs::create_symlink("/lib/aarch64-linux-gnu/libz.so.1.2.13", root / "usr/lib/aarch64-linux-gnu/libz.so");
  fs::create_symlink("libz.so.1.2.13", root / "usr/lib/aarch64-linux-gnu/libz.so.1");
  fs::create_symlink("/usr/lib", root / "top");
  fs::create_symlink("/", root / "usr/root");
  fs::create_symlink("/etc/../usr/./lib", root / "usr/lib/odd");

  Result<std::size_t> rewritten = make_symlinks_relative(root);
  ASSERT_TRUE(rewritten.ok()) << rewritten.error();
  EXPECT_EQ(rewritten.value(), 4u);
  EXPECT_EQ(fs::read_symlink(root / "usr/lib/aarch64-linux-gnu/libz.so"),
            "../../../lib/aarch64-linux-gnu/libz.so.1.2.13");
  EXPECT_EQ(read_file(root / "usr/lib/aarch64-linux-gnu/libz.so").value(), "elf");
  EXPECT_EQ(fs::read_symlink(root / "usr/lib/aarch64-linux-gnu/libz.so.1"), "libz.so.1.2.13") << "already relative";
  EXPECT_EQ(fs::read_symlink(root / "lib"), "usr/lib");
  EXPECT_EQ(fs::read_symlink(root / "top"), "usr/lib");
  EXPECT_EQ(fs::read_symlink(root / "usr/root"), "..");
  EXPECT_EQ(fs::read_symlink(root / "usr/lib/odd"), ".");
}

TEST(FinishSysroot, KeepsLibrariesAndHeadersOnlyWithAnEmptyLdSoCache) {
  ScratchDir scratch;
  fs::path root = scratch / "root";
  for (const char* dir : {"usr/include", "usr/lib/aarch64-linux-gnu", "dev/pts", "tmp", "var/lib/dpkg", "run",
                          "etc/apt/sources.list.d", "etc/dpkg/dpkg.cfg.d", "etc/ld.so.conf.d"})
    fs::create_directories(root / dir);
  for (const char* link : {"bin", "sbin", "lib"}) fs::create_directory_symlink(std::string("usr/") + link, root / link);
  scratch.write("root/usr/include/zlib.h", "header");
  scratch.write("root/usr/lib/aarch64-linux-gnu/libz.so.1.2.13", "elf");
  fs::create_symlink("/lib/aarch64-linux-gnu/libz.so.1.2.13", root / "usr/lib/aarch64-linux-gnu/libz.so");
  scratch.write("root/dev/null", "");
  scratch.write("root/etc/resolv.conf", "nameserver 10.0.0.1\n");
  scratch.write("root/etc/hostname", "build\n");
  scratch.write("root/etc/fstab", "# UNCONFIGURED FSTAB\n");
  scratch.write("root/etc/netconfig", "udp6 tpi_clts v inet6 udp - -\n");
  scratch.write("root/etc/ld.so.conf.d/aarch64-linux-gnu.conf", "/usr/lib/aarch64-linux-gnu\n");

  ASSERT_TRUE(finish_sysroot(root).ok());
  std::vector<std::string> top;
  for (const fs::directory_entry& entry : fs::directory_iterator(root)) top.push_back(entry.path().filename());
  std::sort(top.begin(), top.end());
  EXPECT_EQ(top, (std::vector<std::string>{"bin", "etc", "lib", "sbin", "usr"}));
  std::vector<std::string> etc;
  for (const fs::directory_entry& entry : fs::directory_iterator(root / "etc")) etc.push_back(entry.path().filename());
  std::sort(etc.begin(), etc.end());
  EXPECT_EQ(etc, (std::vector<std::string>{"ld.so.cache", "ld.so.conf.d", "netconfig"}))
      << "what packages ship stays, what mmdebstrap wrote goes";
  EXPECT_EQ(fs::file_size(root / "etc/ld.so.cache"), 0u);
  EXPECT_EQ(fs::read_symlink(root / "usr/lib/aarch64-linux-gnu/libz.so"),
            "../../../lib/aarch64-linux-gnu/libz.so.1.2.13");
  EXPECT_EQ(read_file(root / "usr/include/zlib.h").value(), "header");
}

TEST(PackageVersions, FromTheDebsAptDownloaded) {
  ScratchDir scratch;
  scratch.write("root/var/cache/apt/archives/zlib1g-dev_1%3a1.2.13.dfsg-1_arm64.deb", "");
  scratch.write("root/var/cache/apt/archives/libc6_2.36-9+deb12u14_arm64.deb", "");
  scratch.write("root/var/cache/apt/archives/libssl3_3.0.20-1~deb12u2_arm64.deb", "");
  fs::create_directories(scratch / "root/var/cache/apt/archives/partial");
  scratch.write("root/var/cache/apt/archives/lock", "");
  EXPECT_EQ(downloaded_versions(scratch / "root"),
            (PackageVersions{
                {"libc6", "2.36-9+deb12u14"}, {"libssl3", "3.0.20-1~deb12u2"}, {"zlib1g-dev", "1:1.2.13.dfsg-1"}}));
  EXPECT_TRUE(downloaded_versions(scratch / "none").empty());
}

TEST(PackageVersions, FromDpkgsStatusTheInstalledOnes) {
  ScratchDir scratch;
  scratch.write("root/var/lib/dpkg/status",
                "Package: make\nStatus: install ok installed\nPriority: optional\nVersion: 4.3-4.1\n"
                "Description: utility\n multi-line\n\n"
                "Package: gone\nStatus: deinstall ok config-files\nVersion: 1.0\n\n"
                "Package: base-files\nEssential: yes\nStatus: install ok installed\nVersion: 12.4+deb12u5\n");
  EXPECT_EQ(installed_versions(scratch / "root"),
            (PackageVersions{{"base-files", "12.4+deb12u5"}, {"make", "4.3-4.1"}}));
}

const TreeSpec kSysroot{TreeSpec::Kind::sysroot, "bookworm", "arm64", kMirror, {"nosuchpkg"}};

CommandExit exited(int status) {
  CommandExit exit;
  exit.exit_status = status;
  return exit;
}

TEST(ExplainFailure, APackageTheSuiteDoesNotHave) {
  MakeFailure failure = explain_failure(
      kSysroot, exited(25),
      {"E: Unable to locate package nosuchpkg",
       "E: apt download failed: E: apt-get --yes install libc6-dev nosuchpkg failed", "E: mmdebstrap failed to run"},
      "E: mmdebstrap failed to run", std::chrono::seconds(1800));
  EXPECT_EQ(failure.message,
            "package \"nosuchpkg\" is not in bookworm for arm64 (look for its name: "
            "https://packages.debian.org/search?searchon=names&suite=bookworm&keywords=nosuchpkg)");
  EXPECT_EQ(failure.unknown_package, "nosuchpkg");
}

TEST(ExplainFailure, APackageWithoutAnInstallableVersion) {
  MakeFailure failure =
      explain_failure(kSysroot, exited(25), {"E: Package 'libgl-dev-virtual' has no installation candidate"}, "",
                      std::chrono::seconds(1800));
  EXPECT_EQ(failure.message,
            "package \"libgl-dev-virtual\" has no version to install in bookworm for arm64 (a virtual package or one "
            "that was removed: name a package that provides it)");
  EXPECT_EQ(failure.unknown_package, "libgl-dev-virtual");
}

TEST(ExplainFailure, ASuiteTheMirrorDoesNotHave) {
  MakeFailure failure = explain_failure(
      kSysroot, exited(25),
      {"E: The repository 'http://deb.debian.org/debian bookworm Release' does not have a Release file."}, "",
      std::chrono::seconds(1800));
  EXPECT_EQ(failure.message,
            "the Debian mirror http://deb.debian.org/debian has no suite \"bookworm\": check the suite's name "
            "(bookworm, trixie, sid, ...)");
  EXPECT_EQ(failure.unknown_package, "");
}

TEST(ExplainFailure, AForeignArchitectureWithoutItsQemuHandler) {
  TreeSpec rootfs{TreeSpec::Kind::rootfs, "bookworm", "s390x", kMirror, {}};
  MakeFailure failure = explain_failure(
      rootfs, exited(1), {"E: s390x can neither be executed natively nor via qemu user emulation with binfmt_misc"}, "",
      std::chrono::seconds(1800));
  EXPECT_EQ(failure.message,
            "this machine cannot run s390x programs, which making the root filesystem of bookworm/s390x needs (its "
            "packages' scripts run): register QEMU's binfmt_misc handler for s390x first");
}

TEST(ExplainFailure, OtherwiseTheFirstErrorLineOrTheLastLine) {
  EXPECT_EQ(explain_failure(kSysroot, exited(25),
                            {"E: Unable to correct problems, you have held broken packages.", "E: mmdebstrap failed"},
                            "", std::chrono::seconds(1800))
                .message,
            "mmdebstrap failed (exit status 25) making the sysroot of bookworm/arm64: Unable to correct problems, you "
            "have held broken packages.");
  CommandExit killed;
  killed.term_signal = 9;
  EXPECT_EQ(explain_failure(kSysroot, killed, {}, "I: extracting archives...", std::chrono::seconds(1800)).message,
            "mmdebstrap was killed by signal 9 making the sysroot of bookworm/arm64: I: extracting archives...");
  CommandExit late;
  late.timed_out = true;
  late.term_signal = 15;
  EXPECT_EQ(explain_failure(kSysroot, late, {}, "", std::chrono::seconds(1800)).message,
            "mmdebstrap did not finish making the sysroot of bookworm/arm64 within 30 minutes and was stopped");
}

}  // namespace
}  // namespace xb::debian

// The hidden `xbuild __sandbox` on its own: a command run chrooted in the cached arm64 root
// filesystem (debian_rootfs.h, made here when no other test made it yet) sees the bind-mounted
// directory as its working directory, /proc and /dev, and runs the target's binaries under QEMU;
// and its errors.
#include <gtest/gtest.h>

#include "e2e/debian_rootfs.h"
#include "e2e/e2e_support.h"
#include "util/fs.h"

namespace xb::testing {
namespace {

namespace fs = std::filesystem;

const fs::path kHandler = "/proc/sys/fs/binfmt_misc/xbuild-qemu-aarch64";

TEST(SandboxCommand, RunsChrootedWithTheBindMountProcAndDev) {
  XB_REQUIRE_ROOT("for the sandbox");
  XB_REQUIRE_TOOLS("qemu-aarch64-static");
  if (!fs::exists(rootfs_cache_dir() / "rootfs-arm64-bookworm")) XB_REQUIRE_TOOLS("mmdebstrap", "arch-test");
  // The handler this needs, registered for the test when it is not there and removed after.
  struct HandlerGuard {
    bool registered_here = !fs::exists(kHandler);
    ~HandlerGuard() {
      if (registered_here && fs::exists(kHandler)) (void)xbuild({"binfmt", "uninstall", "--arch", "aarch64"});
    }
  } guard;
  std::string error;
  fs::path rootfs = ensure_debian_rootfs("arm64", "aarch64", "bookworm", &error);
  ASSERT_FALSE(rootfs.empty()) << error;
  ASSERT_TRUE(fs::exists(rootfs / "bin" / "sh")) << rootfs;
  CommandResult installed = xbuild({"binfmt", "install", "--arch", "aarch64"});
  ASSERT_EQ(installed.exit_code, 0) << installed.err;
  ScratchDir scratch;
  scratch.write("input", "from the host\n");
  CommandResult ran =
      xbuild({"__sandbox", "--root", rootfs.string(), "--bind", scratch.path().string() + ":/xbuild/src", "--workdir",
              "/xbuild/src", "--", "/bin/sh", "-c",
              "uname -m; pwd; cat input; test -r /proc/self/status && echo proc; "
              "test -c /dev/null && echo dev; echo from the guest > output"});
  EXPECT_EQ(ran.exit_code, 0) << ran.err;
  EXPECT_EQ(ran.out, "aarch64\n/xbuild/src\nfrom the host\nproc\ndev\n");
  EXPECT_EQ(read_file(scratch / "output").value(), "from the guest\n");
  EXPECT_EQ(read_file("/proc/self/mounts").value().find(rootfs.string()), std::string::npos);
}

// A shared root filesystem (--lower) is never written: each sandbox writes into an overlay of
// its own that vanishes with it.
TEST(SandboxCommand, LowerRootIsReadOnlyAndEachSandboxStartsFresh) {
  XB_REQUIRE_ROOT("for the sandbox");
  XB_REQUIRE_TOOLS("qemu-aarch64-static");
  if (!fs::exists(rootfs_cache_dir() / "rootfs-arm64-bookworm")) XB_REQUIRE_TOOLS("mmdebstrap", "arch-test");
  struct HandlerGuard {
    bool registered_here = !fs::exists(kHandler);
    ~HandlerGuard() {
      if (registered_here && fs::exists(kHandler)) (void)xbuild({"binfmt", "uninstall", "--arch", "aarch64"});
    }
  } guard;
  std::string error;
  fs::path rootfs = ensure_debian_rootfs("arm64", "aarch64", "bookworm", &error);
  ASSERT_FALSE(rootfs.empty()) << error;
  CommandResult installed = xbuild({"binfmt", "install", "--arch", "aarch64"});
  ASSERT_EQ(installed.exit_code, 0) << installed.err;
  ScratchDir scratch;
  const std::string root = (scratch / "overlay").string();
  const std::string write = "test -e /etc/written && echo seen; echo x > /etc/written && cat /etc/written";
  for (int round = 0; round < 2; ++round) {
    CommandResult ran = xbuild({"__sandbox", "--root", root, "--lower", rootfs.string(), "--bind",
                                scratch.path().string() + ":/xbuild/src", "--", "/bin/sh", "-c", write});
    EXPECT_EQ(ran.exit_code, 0) << ran.err;
    EXPECT_EQ(ran.out, "x\n") << "round " << round;
  }
  EXPECT_FALSE(fs::exists(rootfs / "etc" / "written"));
  EXPECT_TRUE(fs::is_empty(scratch / "overlay"));
  EXPECT_EQ(read_file("/proc/self/mounts").value().find(root), std::string::npos);
}

TEST(SandboxCommand, ErrorsNameWhatIsWrong) {
  CommandResult missing = xbuild({"__sandbox", "--root", "/nonexistent", "--", "/bin/true"});
  EXPECT_EQ(missing.exit_code, 127);
  EXPECT_EQ(missing.err, "xbuild: error: sandbox: the root filesystem /nonexistent is not a directory\n");
  CommandResult usage = xbuild({"__sandbox", "--root", "/"});
  EXPECT_EQ(usage.exit_code, 2);
  EXPECT_EQ(usage.err, "xbuild: error: __sandbox: no command after \"--\"\n");
}

}  // namespace
}  // namespace xb::testing

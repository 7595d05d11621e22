// The emulate strategy end to end: examples/hello for linux/arm64 built inside a real arm64
// Debian root filesystem (made once by mmdebstrap and cached outside the repository), every
// binary of the stage run by QEMU through binfmt_misc; the image read back with skopeo and
// umoci and its binary run under QEMU. Needs root (binfmt_misc, mounts, chroot).
//
// The root filesystem is rootfs-arm64-bookworm of debian_rootfs.h's cache. The aarch64 handler
// xbuild registers is removed at the end if it was not there before.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "e2e/debian_rootfs.h"
#include "e2e/e2e_support.h"
#include "support/binfmt_aside.h"
#include "util/fs.h"
#include "util/strings.h"

namespace xb::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kHandler = "/proc/sys/fs/binfmt_misc/xbuild-qemu-aarch64";

class EmulatedHello : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!is_root() || !missing_tools({"mmdebstrap", "arch-test", "skopeo", "umoci", "qemu-aarch64-static"}).empty())
      return;
    handler_existed_ = fs::exists(kHandler);
    rootfs_ = ensure_debian_rootfs("arm64", "aarch64", "bookworm", &setup_error_);
    if (rootfs_.empty()) return;
    scratch_ = std::make_unique<ScratchDir>();
    project_ = copy_example("hello", scratch_->path() / "hello");
    std::string config = read_file(project_ / "xbuild.toml").value();
    std::string all =
        "platforms = [\"linux/amd64\", \"linux/arm64\", \"linux/arm/v7\", \"linux/386\", \"linux/riscv64\"]";
    config.replace(config.find(all), all.size(), "platforms = [\"linux/arm64\"]");
    config += "\n[platform.\"linux/arm64\"]\nstrategy = \"emulate\"\nrootfs = \"" + rootfs_.string() + "\"\n";
    (void)write_file_atomic(project_ / "xbuild.toml", config);
    layout_ = scratch_->path() / "layout";
    handler_before_run_ = fs::exists(kHandler);
    result_ = xbuild({"run", "xbuild.toml", "--output", "oci:" + layout_.string()}, project_);
  }

  static void TearDownTestSuite() {
    if (!handler_existed_ && fs::exists(kHandler)) {
      std::ofstream remove(kHandler);
      remove << "-1";
    }
    scratch_.reset();
  }

  void SetUp() override {
    XB_REQUIRE_ROOT("for the emulate strategy");
    XB_REQUIRE_TOOLS("mmdebstrap", "arch-test", "skopeo", "umoci", "qemu-aarch64-static");
    ASSERT_TRUE(setup_error_.empty()) << setup_error_;
    ASSERT_EQ(result_.exit_code, 0) << result_.out << result_.err;
  }

  static inline std::unique_ptr<ScratchDir> scratch_;
  static inline fs::path project_, layout_, rootfs_;
  static inline CommandResult result_;
  static inline bool handler_existed_ = false, handler_before_run_ = false;
  static inline std::string setup_error_;
};

TEST_F(EmulatedHello, RegistersTheHandlerItNeedsAndTheStagesRunUnderQemu) {
  std::vector<std::string> lines = split(result_.out, '\n');
  ASSERT_GE(lines.size(), 2u);
  EXPECT_EQ(lines[0], handler_before_run_ ? "xbuild: binfmt_misc: aarch64: xbuild-qemu-aarch64 is already registered "
                                            "(/usr/bin/qemu-aarch64-static, flags F)"
                                          : "xbuild: binfmt_misc: aarch64: registered xbuild-qemu-aarch64 "
                                            "(/usr/bin/qemu-aarch64-static, flags F)");
  EXPECT_NE(std::find(lines.begin(), lines.end(), "[linux/arm64 test] self-test passed on arm64 (64-bit)"), lines.end())
      << result_.out;
  // Each job's start and end, with the time since the run began (a silent stage shows in a log).
  static const std::regex started(R"(\[\+\d+\.\ds\] linux/arm64 build started)");
  static const std::regex finished(R"(\[\+\d+\.\ds\] linux/arm64 test ok in \d+\.\ds)");
  EXPECT_TRUE(std::regex_match(lines[1], started)) << result_.out;
  EXPECT_TRUE(std::any_of(lines.begin(), lines.end(), [](const std::string& line) {
    return std::regex_match(line, finished);
  })) << result_.out;
  // The sandbox's mounts lived in its own namespace and went with it.
  EXPECT_EQ(read_file("/proc/self/mounts").value().find(rootfs_.string()), std::string::npos);
}

TEST_F(EmulatedHello, SkopeoAndUmociReadBackAnArm64ImageWhoseBinaryRuns) {
  CommandResult inspect = run({"skopeo", "inspect", "--raw", "oci:" + layout_.string()});
  ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
  json index = json::parse(inspect.out);
  ASSERT_EQ(index["manifests"].size(), 1u);
  EXPECT_EQ(index["manifests"][0]["platform"]["architecture"], "arm64");
  EXPECT_EQ(index["manifests"][0]["platform"]["os"], "linux");

  fs::path bundle = scratch_->path() / "bundle";
  CommandResult unpacked = run({"umoci", "unpack", "--image", layout_.string() + ":1.0.0", bundle.string()});
  ASSERT_EQ(unpacked.exit_code, 0) << unpacked.err;
  fs::path binary = bundle / "rootfs" / "app" / "hello";
  ASSERT_TRUE(fs::is_regular_file(binary));
  EXPECT_EQ(elf_machine(binary), 0xb7);
  CommandResult ran = run({"qemu-aarch64-static", binary.string(), "--self-test"});
  EXPECT_EQ(ran.exit_code, 0) << ran.err;
  EXPECT_EQ(ran.out, "self-test passed on arm64 (64-bit)\n");
  // Compiled by the root filesystem's own gcc (Debian's native arm64 compiler), not the cross one.
  EXPECT_NE(read_file(binary).value().find("GCC: (Debian 12.2.0-14"), std::string::npos);
  EXPECT_EQ(read_file(project_ / ".xbuild" / "logs" / "linux-arm64" / "build.log").value(), "");
}

TEST_F(EmulatedHello, PlanShowsTheRootfsAndQemuThroughBinfmt) {
  CommandResult plan = xbuild({"plan"}, project_);
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  std::string row = split(plan.out, '\n')[1];
  EXPECT_EQ(row, "linux/arm64  emulate   rootfs " + rootfs_.string() + "  QEMU via binfmt_misc (qemu-aarch64-static)");
}

TEST_F(EmulatedHello, WithoutARootfsNothingRunsAndThePlanSaysHowToGiveOne) {
  ScratchDir scratch;
  fs::path project = copy_example("hello", scratch.path() / "hello");
  std::string config = read_file(project / "xbuild.toml").value();
  config += "\n[platform.\"linux/riscv64\"]\nstrategy = \"emulate\"\n";
  ASSERT_TRUE(write_file_atomic(project / "xbuild.toml", config).ok());
  CommandResult ran = xbuild({"run"}, project);
  EXPECT_EQ(ran.exit_code, 2);
  EXPECT_NE(ran.err.find("  linux/riscv64: strategy \"emulate\" needs a root filesystem of the target: set rootfs = "
                         "{ packages = [\"build-essential\"] } in [platform.\"linux/riscv64\"] (xbuild makes it), "
                         "or rootfs = \"DIR\", \"oci:DIR[:TAG]\" or an image reference\n"),
            std::string::npos)
      << ran.err;
  EXPECT_FALSE(fs::exists(project / ".xbuild"));
}

// Someone else's aarch64 handler without the F flag cannot work inside the chroot: the run
// leaves it alone, says why it cannot go on, and what to do. The test registers that handler
// itself (under a name of its own) and removes it again.
TEST_F(EmulatedHello, AForeignHandlerWithoutTheFFlagStopsTheRunWithWhatToDo) {
  // Ours (this suite's runs or earlier ones registered it) is set aside for the test.
  BinfmtAside aside("7f454c460201010000000000000000000200b700");
  for (const fs::directory_entry& entry : fs::directory_iterator("/proc/sys/fs/binfmt_misc")) {
    Result<std::string> read = read_file(entry.path());
    std::string text = read ? read.value() : "";
    if (text.find("magic 7f454c460201010000000000000000000200b700") != std::string::npos)
      XB_MACHINE_CANNOT(entry.path().string() + " handles aarch64 already");
  }
  const fs::path foreign = "/proc/sys/fs/binfmt_misc/xbuild-e2e-foreign-aarch64";
  struct Remove {
    fs::path file;
    ~Remove() {
      if (fs::exists(file)) std::ofstream(file) << "-1";
    }
  } remove{foreign};
  {
    std::ofstream reg("/proc/sys/fs/binfmt_misc/register");
    reg << ":xbuild-e2e-foreign-aarch64:M:0:\\x7fELF\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02"
           "\\x00\\xb7\\x00:\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff"
           "\\xff\\xff:/usr/bin/qemu-aarch64-static:";
  }
  ASSERT_TRUE(fs::exists(foreign));
  CommandResult ran = xbuild({"run"}, project_);
  EXPECT_EQ(ran.exit_code, 1);
  EXPECT_EQ(ran.out,
            "xbuild: binfmt_misc: aarch64: left alone: xbuild-e2e-foreign-aarch64 (not registered by xbuild) already "
            "handles these binaries (/usr/bin/qemu-aarch64-static, flags none)\n");
  EXPECT_EQ(ran.err,
            "xbuild: error: the binfmt_misc handler xbuild-e2e-foreign-aarch64 (not xbuild's) runs aarch64 binaries "
            "without the F flag, so they cannot run inside a chroot or namespace; remove it (echo -1 > "
            "/proc/sys/fs/binfmt_misc/xbuild-e2e-foreign-aarch64) and run again: xbuild then registers its own\n");
  EXPECT_FALSE(fs::exists(kHandler));
}

// The same root filesystem as an OCI image (debian_rootfs.h): `rootfs = "oci:DIR:TAG"` is
// unpacked into the state directory under its manifest digest, then the build runs in it.
TEST_F(EmulatedHello, AnOciRootfsIsUnpackedUnderItsDigestAndBuildsTheSame) {
  fs::path layout = ensure_oci_rootfs(rootfs_);
  ASSERT_FALSE(layout.empty());
  ScratchDir scratch;
  fs::path project = copy_example("hello", scratch.path() / "hello");
  std::string config = read_file(project / "xbuild.toml").value();
  std::string all =
      "platforms = [\"linux/amd64\", \"linux/arm64\", \"linux/arm/v7\", \"linux/386\", \"linux/riscv64\"]";
  config.replace(config.find(all), all.size(), "platforms = [\"linux/arm64\"]");
  config += "\n[platform.\"linux/arm64\"]\nstrategy = \"emulate\"\nrootfs = \"oci:" + layout.string() + ":bookworm\"\n";
  ASSERT_TRUE(write_file_atomic(project / "xbuild.toml", config).ok());
  std::map<std::string, std::string> env = {{"XBUILD_CACHE_DIR", (scratch.path() / "cache").string()}};
  CommandResult ran = xbuild({"run"}, project, env);
  ASSERT_EQ(ran.exit_code, 0) << ran.out << ran.err;
  // After the binfmt_misc line: the image unpacked, then the stages.
  std::vector<std::string> lines = split(ran.out, '\n');
  std::string prefix = "xbuild: rootfs of linux/arm64: unpacked sha256:";
  auto unpacked =
      std::find_if(lines.begin(), lines.end(), [&](const std::string& line) { return starts_with(line, prefix); });
  ASSERT_NE(unpacked, lines.end()) << ran.out;
  std::string hex = unpacked->substr(prefix.size(), 64);
  EXPECT_EQ(*unpacked, prefix + hex + " in " + (project / ".xbuild" / "rootfs" / hex).string());
  ASSERT_LT(unpacked + 1, lines.end()) << ran.out;
  EXPECT_TRUE(starts_with(*(unpacked + 1), "[+")) << ran.out;  // the first stage's start
  EXPECT_NE(std::find(unpacked, lines.end(), "[linux/arm64 test] self-test passed on arm64 (64-bit)"), lines.end())
      << ran.out;
  EXPECT_TRUE(fs::exists(project / ".xbuild" / "rootfs" / hex / "usr" / "bin" / "gcc"));
  EXPECT_FALSE(fs::exists(project / ".xbuild" / "rootfs" / hex / "dev" / "null"));
  EXPECT_EQ(elf_machine(project / ".xbuild" / "out" / "linux-arm64" / "hello"), 0xb7);

  // With its stages cached a rerun needs no root filesystem; without the cache it reuses it.
  CommandResult cached = xbuild({"run"}, project, env);
  ASSERT_EQ(cached.exit_code, 0) << cached.err;
  EXPECT_EQ(cached.out.find("xbuild: rootfs of"), std::string::npos) << cached.out;
  CommandResult again = xbuild({"run", "--no-cache"}, project, env);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("\nxbuild: rootfs of linux/arm64: reusing sha256:" + hex + " in " +
                           (project / ".xbuild" / "rootfs" / hex).string() + "\n"),
            std::string::npos)
      << again.out;
}

// riscv64 the same way, in a Debian `stable` root filesystem (bookworm has no riscv64 port).
TEST(EmulatedRiscv64, BuildsHelloWithTheTargetsOwnGcc) {
  XB_REQUIRE_ROOT("for the emulate strategy");
  XB_REQUIRE_TOOLS("mmdebstrap", "arch-test", "qemu-riscv64-static");
  const fs::path handler = "/proc/sys/fs/binfmt_misc/xbuild-qemu-riscv64";
  struct HandlerGuard {
    fs::path handler;
    bool existed = fs::exists(handler);
    ~HandlerGuard() {
      if (!existed && fs::exists(handler)) (void)xbuild({"binfmt", "uninstall", "--arch", "riscv64"});
    }
  } guard{handler};
  std::string error;
  fs::path rootfs = ensure_debian_rootfs("riscv64", "riscv64", "stable", &error);
  ASSERT_FALSE(rootfs.empty()) << error;

  ScratchDir scratch;
  fs::path project = copy_example("hello", scratch.path() / "hello");
  std::string config = read_file(project / "xbuild.toml").value();
  std::string all =
      "platforms = [\"linux/amd64\", \"linux/arm64\", \"linux/arm/v7\", \"linux/386\", \"linux/riscv64\"]";
  config.replace(config.find(all), all.size(), "platforms = [\"linux/riscv64\"]");
  config += "\n[platform.\"linux/riscv64\"]\nstrategy = \"emulate\"\nrootfs = \"" + rootfs.string() + "\"\n";
  ASSERT_TRUE(write_file_atomic(project / "xbuild.toml", config).ok());
  CommandResult ran = xbuild({"run"}, project);
  ASSERT_EQ(ran.exit_code, 0) << ran.out << ran.err;
  std::vector<std::string> lines = split(ran.out, '\n');
  ASSERT_GE(lines.size(), 2u);
  EXPECT_TRUE(starts_with(lines[0], "xbuild: binfmt_misc: riscv64: ")) << lines[0];
  EXPECT_NE(std::find(lines.begin(), lines.end(), "[linux/riscv64 test] self-test passed on riscv64 (64-bit)"),
            lines.end())
      << ran.out;
  EXPECT_EQ(elf_machine(project / ".xbuild" / "out" / "linux-riscv64" / "hello"), 0xf3);
}

// A kept directory inside the sandbox: $XBUILD_WORK is /xbuild/work there, bound to the platform's
// work directory here; make, run by the root filesystem's own tools under QEMU, rebuilds only
// the file that changed.
TEST(EmulatedKeep, AKeptDirectoryInTheSandboxBuildsIncrementally) {
  XB_REQUIRE_ROOT("for the emulate strategy");
  XB_REQUIRE_TOOLS("mmdebstrap", "arch-test", "qemu-aarch64-static");
  struct HandlerGuard {
    bool existed = fs::exists(kHandler);
    ~HandlerGuard() {
      if (!existed && fs::exists(kHandler)) (void)xbuild({"binfmt", "uninstall", "--arch", "aarch64"});
    }
  } guard;
  std::string error;
  fs::path rootfs = ensure_debian_rootfs("arm64", "aarch64", "bookworm", &error);
  ASSERT_FALSE(rootfs.empty()) << error;

  ScratchDir scratch;
  scratch.write("p/main.c", "int util(void);\nint main(void) { return util(); }\n");
  scratch.write("p/util.c", "int util(void) { return 0; }\n");
  scratch.write("p/Makefile",
                "hello: main.o util.o\n\t$(CC) -o $@ main.o util.o\n%.o: $(SRC)/%.c\n\t$(CC) -c -o $@ $<\n");
  scratch.write("p/xbuild.toml",
                "[project]\nname = \"kept\"\n\n[targets]\nplatforms = [\"linux/arm64\"]\n\n"
                "[stage.build]\nkeep = [\"objects\"]\n"
                "run = 'cd \"$XBUILD_WORK/objects\" && make -f \"$XBUILD_SRC/Makefile\" "
                "SRC=\"$XBUILD_SRC\" && cp hello \"$XBUILD_OUT/\"'\n\n"
                "[platform.\"linux/arm64\"]\nstrategy = \"emulate\"\nrootfs = \"" +
                    rootfs.string() + "\"\n");
  fs::path project = scratch / "p";
  const fs::path log = project / ".xbuild/logs/linux-arm64/build.log";
  CommandResult first = xbuild({"run", "--progress", "plain"}, project);
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  EXPECT_EQ(read_file(log).value(),
            "gcc -c -o main.o /xbuild/src/main.c\ngcc -c -o util.o /xbuild/src/util.c\ngcc -o hello main.o util.o\n");
  EXPECT_EQ(elf_machine(project / ".xbuild/work/linux-arm64/objects/main.o"), 0xb7);

  // make judges by modification time: the edit must be later than the object it made.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  scratch.write("p/util.c", "int util(void) { return 1 - 1; }\n");
  CommandResult edited = xbuild({"run", "--progress", "plain"}, project);
  ASSERT_EQ(edited.exit_code, 0) << edited.out << edited.err;
  EXPECT_EQ(edited.out.find("wiped"), std::string::npos) << edited.out;
  EXPECT_EQ(read_file(log).value(), "gcc -c -o util.o /xbuild/src/util.c\ngcc -o hello main.o util.o\n");
  EXPECT_EQ(elf_machine(project / ".xbuild/out/linux-arm64/hello"), 0xb7);
}

}  // namespace
}  // namespace xb::testing

// binfmt_misc: the register line, reading handler files, telling ours from others' (on a
// scratch directory standing in for /proc/sys/fs/binfmt_misc), and, as root, a real
// registration: install, status, a static aarch64 binary run by its path alone, uninstall.
// The real tests use their own name prefix ("xbuild-test-"), so they never meet a handler a
// user or xbuild itself registered, and remove what they registered even when they fail.
#include "emulate/binfmt.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <optional>

#include "emulate/elf_probe.h"
#include "support/binfmt_aside.h"
#include "support/require.h"
#include "support/scratch_dir.h"
#include "toolchain/toolchain.h"
#include "util/fs.h"
#include "util/probe.h"
#include "util/strings.h"

namespace xb {
namespace {

namespace fs = std::filesystem;
using testing::ScratchDir;

const QemuCatalog& catalog() {
  static QemuCatalog loaded = QemuCatalog::load(data_directory() / "qemu").value();
  return loaded;
}

TEST(BinfmtTest, RegisterLineHasMagicMaskInterpreterAndTheFFlag) {
  const QemuArch& aarch64 = *catalog().find_arch("aarch64");
  EXPECT_EQ(handler_name(aarch64, BinfmtOptions{}), "xbuild-qemu-aarch64");
  EXPECT_EQ(
      register_line(aarch64, "xbuild-qemu-aarch64"),
      ":xbuild-qemu-aarch64:M:0:\\x7fELF\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00"
      "\\xb7\\x00:\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff:"
      "/usr/bin/qemu-aarch64-static:F");
}

TEST(BinfmtTest, ParsesAHandlerFile) {
  BinfmtEntry entry = parse_entry("qemu-arm",
                                  "enabled\ninterpreter /usr/libexec/qemu-binfmt/arm-binfmt-P\nflags: POCF\noffset 0\n"
                                  "magic 7f454c4601010100000000000000000002002800\n"
                                  "mask ffffffffffffff00fffffffffffffffffeffffff\n");
  EXPECT_TRUE(entry.enabled);
  EXPECT_EQ(entry.interpreter, "/usr/libexec/qemu-binfmt/arm-binfmt-P");
  EXPECT_EQ(entry.flags, "POCF");
  EXPECT_EQ(entry.magic_hex, "7f454c4601010100000000000000000002002800");
}

TEST(BinfmtTest, TellsOursFromSomeoneElsesBySameMagic) {
  ScratchDir scratch;
  scratch.write("binfmt/status", "enabled\n");
  scratch.write("binfmt/register", "");
  scratch.write("binfmt/qemu-arm",
                "enabled\ninterpreter /usr/bin/qemu-arm\nflags: OCF\n"
                "magic 7f454c4601010100000000000000000002002800\nmask ff\n");
  scratch.write("binfmt/xbuild-qemu-aarch64",
                "enabled\ninterpreter /usr/bin/qemu-aarch64-static\nflags: F\n"
                "magic 7f454c460201010000000000000000000200b700\nmask ff\n");
  BinfmtOptions options;
  options.root = scratch / "binfmt";
  std::vector<BinfmtEntry> all = list_handlers(options);
  ASSERT_EQ(all.size(), 2u);
  const QemuArch& arm = *catalog().find_arch("arm");
  const QemuArch& aarch64 = *catalog().find_arch("aarch64");
  EXPECT_FALSE(own_handler(arm, all, options).has_value());
  EXPECT_EQ(foreign_handler(arm, all, options)->name, "qemu-arm");
  EXPECT_EQ(own_handler(aarch64, all, options)->name, "xbuild-qemu-aarch64");
  EXPECT_FALSE(foreign_handler(aarch64, all, options).has_value());
}

// Registration for real: needs root and a kernel with binfmt_misc.
class RealBinfmtTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.prefix = "xbuild-test-";
    options_.persistent_dir = scratch_ / "binfmt.d";
    XB_REQUIRE_ROOT("to register binfmt_misc handlers");
    ASSERT_TRUE(ensure_binfmt_mounted(options_).ok());
  }
  // Whatever happens in the test, our test handlers go.
  void TearDown() override {
    for (const QemuArch& arch : catalog().all()) {
      fs::path file = options_.root / handler_name(arch, options_);
      if (fs::exists(file)) (void)write_file_atomic_or_control(file);
    }
  }
  static bool write_file_atomic_or_control(const fs::path& file) {
    FILE* handle = std::fopen(file.c_str(), "w");
    if (!handle) return false;
    bool ok = std::fputs("-1", handle) >= 0;
    return std::fclose(handle) == 0 && ok;
  }

  ScratchDir scratch_;
  BinfmtOptions options_;
  std::optional<testing::BinfmtAside> aside_;  // put back after TearDown
};

TEST_F(RealBinfmtTest, InstallShowsTheFFlagRunsAStaticAarch64BinaryAndUninstallRemovesIt) {
  const QemuArch& aarch64 = *catalog().find_arch("aarch64");
  XB_REQUIRE_TOOLS(aarch64.interpreter.string(), "/usr/bin/aarch64-linux-gnu-gcc");
  // A handler of anyone else for aarch64 (the system's, or xbuild's own) claims these binaries
  // already: install leaves it alone, and then the binary runs through it, proving nothing.
  std::optional<BinfmtEntry> other = foreign_handler(aarch64, list_handlers(options_), options_);
  if (other && starts_with(other->name, "xbuild-qemu-")) {  // xbuild's own, left by a run: set aside
    aside_.emplace(other->magic_hex);
    other = foreign_handler(aarch64, list_handlers(options_), options_);
  }
  if (other) {
    EXPECT_EQ(install_handler(aarch64, false, options_).value(),
              "aarch64: left alone: " + other->name + " (not registered by xbuild) already handles these binaries (" +
                  other->interpreter + ", flags " + (other->flags.empty() ? "none" : other->flags) + ")");
    XB_MACHINE_CANNOT(other->name + " handles aarch64 already; the unregistered-arch test covers registration");
  }
  EXPECT_EQ(install_handler(aarch64, true, options_).value(),
            "aarch64: registered xbuild-test-qemu-aarch64 (/usr/bin/qemu-aarch64-static, flags F); wrote " +
                (options_.persistent_dir / "xbuild-test-qemu-aarch64.conf").string());
  std::optional<BinfmtEntry> ours = own_handler(aarch64, list_handlers(options_), options_);
  ASSERT_TRUE(ours.has_value());
  EXPECT_TRUE(ours->enabled);
  EXPECT_EQ(ours->flags, "F");
  std::string status = render_binfmt_status(catalog(), options_);
  std::string row = status.substr(status.find("\naarch64 ") + 1);
  row = row.substr(0, row.find('\n'));
  std::vector<std::string> words;
  for (std::string word : split(row, ' '))
    if (!word.empty()) words.push_back(word);
  EXPECT_EQ(words, (std::vector<std::string>{"aarch64", "linux/arm64", "xbuild-test-qemu-aarch64",
                                             "/usr/bin/qemu-aarch64-static", "F", "runs"}))
      << status;
  EXPECT_EQ(install_handler(aarch64, false, options_).value(),
            "aarch64: xbuild-test-qemu-aarch64 is already registered (/usr/bin/qemu-aarch64-static, flags F)");

  fs::path source = scratch_.write("hello.c", "int main(void) { return 7; }\n");
  fs::path binary = scratch_ / "hello-arm64";
  ASSERT_TRUE(probe_output({"aarch64-linux-gnu-gcc", "-static", "-o", binary.string(), source.string()},
                           ProbeOptions{{}, std::chrono::milliseconds(60000)})
                  .ok());
  int exit_status = std::system(binary.c_str());  // by its path alone: the kernel finds QEMU
  EXPECT_TRUE(WIFEXITED(exit_status));
  EXPECT_EQ(WEXITSTATUS(exit_status), 7);

  EXPECT_EQ(uninstall_handler(aarch64, options_).value(),
            "aarch64: removed xbuild-test-qemu-aarch64; removed " +
                (options_.persistent_dir / "xbuild-test-qemu-aarch64.conf").string());
  EXPECT_FALSE(fs::exists(options_.root / "xbuild-test-qemu-aarch64"));
  EXPECT_EQ(uninstall_handler(aarch64, options_).value(),
            "aarch64: xbuild-test-qemu-aarch64 is not registered; nothing to remove");
}

// An architecture nobody handles: the probe fails before, runs after install, fails again
// after uninstall, which proves our handler is the one that ran it.
TEST_F(RealBinfmtTest, TheProbeOfAnUnregisteredArchitectureRunsOnlyWhileOurHandlerIsThere) {
  std::vector<BinfmtEntry> all = list_handlers(options_);
  const QemuArch* chosen = nullptr;
  for (const char* name : {"s390x", "ppc64le", "riscv64"}) {
    const QemuArch* arch = catalog().find_arch(name);
    if (!foreign_handler(*arch, all, options_) && access(arch->interpreter.c_str(), X_OK) == 0) {
      chosen = arch;
      break;
    }
  }
  XB_REQUIRE_MACHINE(chosen, "every candidate architecture is handled already or has no QEMU");
  EXPECT_FALSE(probe_runs(chosen->arch));
  ASSERT_TRUE(install_handler(*chosen, false, options_).ok());
  EXPECT_TRUE(probe_runs(chosen->arch));
  ASSERT_TRUE(uninstall_handler(*chosen, options_).ok());
  EXPECT_FALSE(probe_runs(chosen->arch));
}

}  // namespace
}  // namespace xb

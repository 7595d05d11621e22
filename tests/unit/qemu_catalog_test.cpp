// The QEMU catalog: the shipped qemu/*.toml files, the \xNN decoding, and the diagnostics a
// broken file gets.
#include "emulate/qemu_catalog.h"

#include <gtest/gtest.h>

#include "support/scratch_dir.h"
#include "toolchain/toolchain.h"
#include "util/fs.h"
#include "util/strings.h"

namespace xb {
namespace {

using testing::ScratchDir;

TEST(QemuCatalogTest, TheShippedCatalogHasEveryArchitecture) {
  QemuCatalog catalog = QemuCatalog::load(data_directory() / "qemu").value();
  std::vector<std::string> names;
  for (const QemuArch& arch : catalog.all()) names.push_back(arch.arch);
  EXPECT_EQ(names, (std::vector<std::string>{"aarch64", "arm", "i386", "ppc64le", "riscv64", "s390x", "x86_64"}));
  const QemuArch* aarch64 = catalog.find(parse_platform("linux/arm64").value());
  ASSERT_NE(aarch64, nullptr);
  EXPECT_EQ(aarch64->arch, "aarch64");
  EXPECT_EQ(aarch64->interpreter, "/usr/bin/qemu-aarch64-static");
  EXPECT_EQ(aarch64->package, "qemu-user-static");
  EXPECT_EQ(aarch64->magic, "\\x7fELF\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xb7\\x00");
  EXPECT_EQ(decode_binfmt_bytes(aarch64->magic).value().size(), 20u);
  EXPECT_EQ(catalog.find(parse_platform("linux/arm/v6").value())->arch, "arm");
  EXPECT_EQ(catalog.find(parse_platform("linux/mips64le").value()), nullptr);
}

TEST(QemuCatalogTest, DecodesEscapesAndRefusesWhatTheRegisterFileCannotTake) {
  EXPECT_EQ(decode_binfmt_bytes("\\x7fELF\\x00").value(), std::string("\x7f"
                                                                      "ELF\0",
                                                                      5));
  EXPECT_EQ(decode_binfmt_bytes("\\x7").error(), "incomplete escape at offset 0; write each byte as \\xNN");
  EXPECT_EQ(decode_binfmt_bytes("\\n00").error(), "bad escape at offset 0; write each byte as \\xNN");
  EXPECT_EQ(decode_binfmt_bytes("a:b").error(), "character at offset 1 must be written as \\xNN");
  EXPECT_EQ(decode_binfmt_bytes("").error(), "no bytes");
}

// Every problem of a file at once, from top to bottom.
TEST(QemuCatalogTest, EveryProblemInAFileIsReportedWithItsPlace) {
  ScratchDir scratch;
  scratch.write("qemu/bad.toml",
                "arch = \"bad\"\n"
                "platform = \"linux/arm64\"\n"
                "interpreter = \"qemu-bad\"\n"
                "package = \"qemu-user-static\"\n"
                "magic = \"\\\\x7f\\\\x45\"\n"
                "mask = \"\\\\xff\"\n"
                "flags = \"F\"\n");
  Result<QemuCatalog> catalog = QemuCatalog::load(scratch / "qemu");
  ASSERT_FALSE(catalog.ok());
  std::string file = (scratch / "qemu" / "bad.toml").string();
  EXPECT_EQ(catalog.error(),
            file +
                ":3:15: error: \"interpreter\" must be an absolute path (the F flag opens it at registration)\n"
                "    3 | interpreter = \"qemu-bad\"\n"
                "      |               ^\n" +
                file +
                ":6:8: error: \"mask\" must be as long as \"magic\"\n"
                "    6 | mask = \"\\\\xff\"\n"
                "      |        ^\n" +
                file +
                ":7:1: error: unknown key \"flags\"; valid keys are arch, platform, interpreter, package, magic, mask\n"
                "    7 | flags = \"F\"\n"
                "      | ^");
}

TEST(QemuCatalogTest, AMissingKeyIsReported) {
  ScratchDir scratch;
  scratch.write("qemu/short.toml", "arch = \"short\"\n");
  Result<QemuCatalog> catalog = QemuCatalog::load(scratch / "qemu");
  ASSERT_FALSE(catalog.ok());
  EXPECT_NE(catalog.error().find("short.toml:1:1: error: missing required key \"platform\""), std::string::npos)
      << catalog.error();
}

TEST(QemuCatalogTest, ASyntaxErrorIsReportedAtItsPlace) {
  ScratchDir scratch;
  scratch.write("qemu/broken.toml", "arch = \n");
  Result<QemuCatalog> catalog = QemuCatalog::load(scratch / "qemu");
  ASSERT_FALSE(catalog.ok());
  EXPECT_EQ(catalog.error(), (scratch / "qemu" / "broken.toml").string() +
                                 ":1:8: error: TOML syntax error: Error while parsing key-value pair: expected value, "
                                 "saw '\\n'\n"
                                 "    1 | arch = \n"
                                 "      |        ^");
}

TEST(QemuCatalogTest, TwoFilesForOneArchAreAnError) {
  ScratchDir scratch;
  std::string aarch64 = read_file(data_directory() / "qemu" / "aarch64.toml").value();
  scratch.write("qemu/a.toml", aarch64);
  scratch.write("qemu/b.toml", aarch64);
  Result<QemuCatalog> catalog = QemuCatalog::load(scratch / "qemu");
  ASSERT_FALSE(catalog.ok());
  std::string b = (scratch / "qemu" / "b.toml").string();
  EXPECT_TRUE(starts_with(catalog.error(), b + ":")) << catalog.error();
  EXPECT_NE(catalog.error().find("error: arch \"aarch64\" is already described by " +
                                 (scratch / "qemu" / "a.toml").string() + "\n"),
            std::string::npos)
      << catalog.error();
}

}  // namespace
}  // namespace xb

// The exit(0) probe programs: their ELF headers, and each one really run by its QEMU (or
// natively), without any binfmt_misc handler involved.
#include "emulate/elf_probe.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "emulate/qemu_catalog.h"
#include "support/require.h"
#include "support/scratch_dir.h"
#include "toolchain/toolchain.h"
#include "util/fs.h"
#include "util/probe.h"

namespace xb {
namespace {

using testing::ScratchDir;

TEST(ElfProbeTest, HeadersMatchTheCatalogsMagicUnderItsMask) {
  QemuCatalog catalog = QemuCatalog::load(data_directory() / "qemu").value();
  for (const QemuArch& arch : catalog.all()) {
    std::string program = exit_zero_elf(arch.arch).value();
    std::string magic = decode_binfmt_bytes(arch.magic).value();
    std::string mask = decode_binfmt_bytes(arch.mask).value();
    ASSERT_GE(program.size(), magic.size()) << arch.arch;
    for (std::size_t i = 0; i < magic.size(); ++i)
      EXPECT_EQ(program[i] & mask[i], magic[i] & mask[i]) << arch.arch << " byte " << i;
  }
}

TEST(ElfProbeTest, SixtyFourBitLittleEndianHeaderLayout) {
  std::string program = exit_zero_elf("aarch64").value();
  ASSERT_EQ(program.size(), 64u + 56u + 12u);
  EXPECT_EQ(program.substr(0, 4),
            "\x7f"
            "ELF");
  EXPECT_EQ(program[4], 2);                                  // ELFCLASS64
  EXPECT_EQ(static_cast<unsigned char>(program[18]), 0xb7);  // EM_AARCH64
  EXPECT_EQ(static_cast<unsigned char>(program[24]), 0x78);  // entry 0x400078
  EXPECT_EQ(exit_zero_elf("mips").error(), "no probe program for architecture \"mips\"");
}

TEST(ElfProbeTest, EveryProbeExitsZeroUnderItsInterpreter) {
  QemuCatalog catalog = QemuCatalog::load(data_directory() / "qemu").value();
  std::vector<std::string> interpreters;
  for (const QemuArch& arch : catalog.all()) interpreters.push_back(arch.interpreter.string());
  XB_REQUIRE_TOOLS(interpreters);
  ScratchDir scratch;
  for (const QemuArch& arch : catalog.all()) {
    std::filesystem::path file = scratch.write("exit0-" + arch.arch, exit_zero_elf(arch.arch).value());
    ASSERT_EQ(chmod(file.c_str(), 0755), 0);
    Result<std::string> ran = probe_output({arch.interpreter.string(), file.string()});
    EXPECT_TRUE(ran.ok()) << arch.arch << ": " << ran.error();
  }
}

}  // namespace
}  // namespace xb

// The vector table check on ELF files arm-none-eabi-gcc links here with each target's own flags:
// an rdimon-only link (no table at all), a table with a bad initial SP, a reset vector without
// the Thumb bit or outside the code, a good table at 0x0 and at 0x10000000; then a test of such
// an ELF fails with the hint before QEMU starts.
#include "firmware/vector_table.h"

#include <gtest/gtest.h>

#include "firmware/qemu_test.h"
#include "support/require.h"
#include "support/scratch_dir.h"
#include "toolchain/toolchain.h"
#include "util/probe.h"

namespace xb::firmware {
namespace {

namespace fs = std::filesystem;
using testing::ScratchDir;

const char* kMain = "int main(void) { return 0; }\n";

// A vector table whose first two words are `sp` and `reset` (C expressions).
std::string startup(const std::string& sp, const std::string& reset) {
  return "#include <stdint.h>\n"
         "extern void _start(void);\n"
         "__attribute__((section(\".vectors\"), used)) const uintptr_t vector_table[2] = {" +
         sp + ", " + reset + "};\n";
}

Target target(const std::string& name) {
  return find_target(data_directory() / "toolchains" / "firmware", name).value();
}

// main.c, with startup.c when `startup_source` is not empty, linked as the target links.
fs::path link(const ScratchDir& scratch, const Target& target, const std::string& name,
              const std::string& startup_source) {
  std::vector<std::string> argv = {"arm-none-eabi-gcc"};
  argv.insert(argv.end(), target.cflags.begin(), target.cflags.end());
  argv.insert(argv.end(), target.ldflags.begin(), target.ldflags.end());
  argv.push_back(scratch.write(name + "/main.c", kMain).string());
  if (!startup_source.empty()) {
    argv.push_back(scratch.write(name + "/startup.c", startup_source).string());
    argv.push_back("-Wl,--undefined=vector_table");
  }
  const fs::path elf = scratch / (name + ".elf");
  argv.insert(argv.end(), {"-o", elf.string()});
  ProbeOptions options;
  options.timeout = std::chrono::milliseconds(120000);
  Result<std::string> linked = probe_output(argv, options);
  EXPECT_TRUE(linked.ok()) << linked.error();
  return elf;
}

std::string problem(const fs::path& elf, std::uint32_t address) {
  Result<std::optional<std::string>> result = vector_table_problem(elf, address);
  EXPECT_TRUE(result.ok()) << result.error();
  return result.ok() ? result.value().value_or("") : "error";
}

TEST(VectorTableTest, EachTargetNamesWhereItsTableGoes) {
  EXPECT_EQ(vector_table_address(target("cortex-m3")), 0x0u);
  EXPECT_EQ(vector_table_address(target("cortex-m4")), 0x0u);
  EXPECT_EQ(vector_table_address(target("cortex-m33")), 0x10000000u);
  Target other = target("cortex-m3");
  other.ldflags = {"--specs=rdimon.specs"};
  EXPECT_EQ(vector_table_address(other), std::nullopt);
  other.ldflags = {"-Wl,--section-start=.vectors=0x8000000"};
  EXPECT_EQ(vector_table_address(other), 0x8000000u);
}

// A project's board says where its linker script puts the table; the hint points at the script.
TEST(VectorTableTest, AProjectsBoardNamesItsTableAndItsScript) {
  Target board = target("cortex-m4f");
  board.ldflags = {"--specs=rdimon.specs", "-Wl,-T,/p/board/stm32f405.ld"};
  board.vector_table = 0x08000000u;
  board.linker_script = "/p/board/stm32f405.ld";
  board.link = "board/stm32f405.ld";
  board.machine = "netduinoplus2";
  EXPECT_EQ(vector_table_address(board), 0x08000000u);
  std::vector<std::string> hint = vector_table_hint(board, 0x08000000u);
  ASSERT_EQ(hint.size(), 2u);
  EXPECT_EQ(hint[0],
            "QEMU's Cortex-M reset loads the initial SP and PC from the vector table at 0x08000000 on netduinoplus2; "
            "without one it locks up (\"Lockup: can't escalate 3 to HardFault\")");
  EXPECT_NE(hint[1].find("; the linker script board/stm32f405.ld must place it at 0x08000000 (KEEP(*(.vectors)) first "
                         "in that region)"),
            std::string::npos)
      << hint[1];
}

TEST(VectorTableTest, JudgesTablesArmGccLinked) {
  XB_REQUIRE_TOOLS("arm-none-eabi-gcc");
  ScratchDir scratch;
  const Target m3 = target("cortex-m3");
  EXPECT_EQ(problem(link(scratch, m3, "novec", ""), 0x0),
            "no vector table at 0x00000000 in novec.elf (nothing is loaded there)");
  EXPECT_EQ(problem(link(scratch, m3, "good", startup("0x20010000u", "(uintptr_t)&_start")), 0x0), "");
  EXPECT_EQ(problem(link(scratch, m3, "sp", startup("0x40001000u", "(uintptr_t)&_start")), 0x0),
            "no vector table at 0x00000000 in sp.elf (its first word, 0x40001000, is not an initial stack pointer "
            "in RAM)");
  EXPECT_EQ(problem(link(scratch, m3, "arm", startup("0x20010000u", "0x8000u")), 0x0),
            "no vector table at 0x00000000 in arm.elf (its reset vector, 0x00008000, has no Thumb bit)");
  EXPECT_EQ(problem(link(scratch, m3, "away", startup("0x20010000u", "0x300001u")), 0x0),
            "no vector table at 0x00000000 in away.elf (its reset vector, 0x00300001, points outside the image's "
            "code)");

  const Target m33 = target("cortex-m33");
  const fs::path good33 = link(scratch, m33, "good33", startup("0x20008000u", "(uintptr_t)&_start"));
  EXPECT_EQ(problem(good33, 0x10000000), "");
  EXPECT_EQ(problem(good33, 0x0), "no vector table at 0x00000000 in good33.elf (nothing is loaded there)");
  EXPECT_EQ(problem(link(scratch, m33, "novec33", ""), 0x10000000),
            "no vector table at 0x10000000 in novec33.elf (nothing is loaded there)");
}

TEST(VectorTableTest, OtherFiles) {
  ScratchDir scratch;
  // Not an ELF: QEMU loads it as a raw image, so it is not judged.
  EXPECT_EQ(problem(scratch.write("image.bin", std::string(64, '\0')), 0x0), "");
  fs::path host = scratch / "host.elf";
  fs::copy_file("/proc/self/exe", host);
  EXPECT_EQ(problem(host, 0x0), "host.elf is not a 32-bit little-endian ARM ELF file");
  EXPECT_FALSE(vector_table_problem(scratch / "missing.elf", 0x0).ok());
  // An ARM ELF header whose one program header would sit at 0x1000, past the file's end.
  std::string cut(52, '\0');
  cut.replace(0, 7,
              "\x7f"
              "ELF\x01\x01\x01");
  cut[16] = 2;     // e_type: executable
  cut[18] = 40;    // e_machine: ARM
  cut[29] = 0x10;  // e_phoff 0x1000
  cut[42] = 32;    // e_phentsize
  cut[44] = 1;     // e_phnum
  Result<std::optional<std::string>> result = vector_table_problem(scratch.write("cut.elf", cut), 0x0);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error(), "cut.elf: the ELF file is cut short");
}

TEST(VectorTableTest, ATestWithoutATableFailsBeforeQemuStarts) {
  XB_REQUIRE_TOOLS("arm-none-eabi-gcc");
  ScratchDir scratch;
  TestOptions options;
  options.elf = link(scratch, target("cortex-m3"), "novec", "");
  // A CPU QEMU refuses: had it been started, the verdict would be its exit code.
  Target no_qemu = target("cortex-m3");
  no_qemu.qemu_cpu = "no-such-cpu";
  Result<TestOutcome> outcome = run_test(no_qemu, options);
  ASSERT_TRUE(outcome.ok()) << outcome.error();
  EXPECT_FALSE(outcome.value().passed);
  EXPECT_EQ(outcome.value().verdict,
            "FAILED: no vector table at 0x00000000 in novec.elf (nothing is loaded there); qemu-system-arm was not "
            "started");
  EXPECT_EQ(quoted_console(outcome.value()),
            (std::vector<std::string>{
                "QEMU's Cortex-M reset loads the initial SP and PC from the vector table at 0x00000000 on "
                "mps2-an385; without one it locks up (\"Lockup: can't escalate 3 to HardFault\")",
                "fix: link a vector table in section .vectors into every test executable: xbuild's own startup is "
                "in $LDFLAGS and the generated CMake and Meson files unless [firmware] startup = false; with your "
                "own, name its source in [firmware] startup, or link it yourself"}));
}

}  // namespace
}  // namespace xb::firmware

// Reading an executable's format: hand-written ELF files of both classes and byte orders, the
// static exit(0) probes of every QEMU architecture, scripts, other files, broken headers, and
// programs the cross compilers link dynamically and statically.
#include "util/executable.h"

#include <gtest/gtest.h>

#include "emulate/elf_probe.h"
#include "support/require.h"
#include "support/scratch_dir.h"
#include "support/tiny_elf.h"
#include "util/probe.h"

namespace xb {
namespace {

namespace fs = std::filesystem;
using testing::ScratchDir;
using testing::tiny_elf;
using Kind = ExecutableFormat::Kind;

TEST(ExecutableTest, ReadsTheInterpreterOfEveryClassAndByteOrder) {
  ScratchDir scratch;
  struct Case {
    bool is_64, big_endian;
    std::uint16_t machine;
    std::string interpreter;
  };
  for (const Case& c :
       {Case{true, false, 0xb7, "/lib/ld-linux-aarch64.so.1"}, Case{false, false, 0x28, "/lib/ld-linux-armhf.so.3"},
        Case{true, true, 0x16, "/lib/ld64.so.1"}, Case{false, true, 0x08, "/lib/ld.so.1"}}) {
    fs::path file = scratch.write("program", tiny_elf(c.is_64, c.big_endian, c.machine, c.interpreter));
    Result<ExecutableFormat> format = read_executable_format(file);
    ASSERT_TRUE(format.ok()) << format.error();
    EXPECT_EQ(format.value().kind, Kind::elf);
    EXPECT_EQ(format.value().interpreter, c.interpreter);
  }
}

TEST(ExecutableTest, AStaticProgramHasNoInterpreter) {
  ScratchDir scratch;
  for (const char* arch : {"aarch64", "arm", "riscv64", "i386", "x86_64", "ppc64le", "s390x"}) {
    fs::path file = scratch.write(arch, exit_zero_elf(arch).value());
    Result<ExecutableFormat> format = read_executable_format(file);
    ASSERT_TRUE(format.ok()) << arch << ": " << format.error();
    EXPECT_EQ(format.value().kind, Kind::elf) << arch;
    EXPECT_EQ(format.value().interpreter, "") << arch;
  }
  fs::path hand_written = scratch.write("static", tiny_elf(true, false, 0x3e, ""));
  EXPECT_EQ(read_executable_format(hand_written).value().interpreter, "");
}

TEST(ExecutableTest, ScriptsAndOtherFiles) {
  ScratchDir scratch;
  Result<ExecutableFormat> script = read_executable_format(scratch.write("run.sh", "#! /bin/sh -e\necho hi\n"));
  ASSERT_TRUE(script.ok());
  EXPECT_EQ(script.value().kind, Kind::script);
  EXPECT_EQ(script.value().interpreter, "/bin/sh");
  EXPECT_EQ(read_executable_format(scratch.write("env", "#!/usr/bin/env python3\n")).value().interpreter,
            "/usr/bin/env");
  for (const char* content : {"", "hello",
                              "\x7f"
                              "EL",
                              "#"}) {
    Result<ExecutableFormat> other = read_executable_format(scratch.write("other", content));
    ASSERT_TRUE(other.ok()) << other.error();
    EXPECT_EQ(other.value().kind, Kind::other) << content;
    EXPECT_EQ(other.value().interpreter, "");
  }
}

TEST(ExecutableTest, BrokenHeadersAndMissingFilesFail) {
  ScratchDir scratch;
  std::string program = tiny_elf(true, false, 0xb7, "/lib/ld-linux-aarch64.so.1");
  fs::path cut = scratch.write("cut", program.substr(0, 100));
  EXPECT_EQ(read_executable_format(cut).error(), cut.string() + ": the ELF program header table is cut short");
  fs::path short_path = scratch.write("short-path", program.substr(0, program.size() - 5));
  EXPECT_EQ(read_executable_format(short_path).error(),
            short_path.string() + ": the ELF interpreter path is cut short");
  fs::path header = scratch.write("header", program.substr(0, 40));
  EXPECT_EQ(read_executable_format(header).error(), header.string() + ": the ELF header is cut short");
  std::string odd = program;
  odd[4] = 3;
  fs::path odd_class = scratch.write("odd", odd);
  EXPECT_EQ(read_executable_format(odd_class).error(),
            odd_class.string() + " is an ELF file of an unknown class or byte order");
  EXPECT_EQ(read_executable_format(scratch / "absent").error(),
            "cannot read " + (scratch / "absent").string() + ": No such file or directory");
}

// Real programs: what the cross compilers link, dynamically and with -static.
TEST(ExecutableTest, ProgramsTheCrossCompilersLink) {
  XB_REQUIRE_TOOLS("aarch64-linux-gnu-gcc", "arm-linux-gnueabihf-gcc");
  ScratchDir scratch;
  fs::path source = scratch.write("main.c", "int main(void) { return 0; }\n");
  struct Case {
    const char* compiler;
    const char* loader;
  };
  for (const Case& c : {Case{"aarch64-linux-gnu-gcc", "/lib/ld-linux-aarch64.so.1"},
                        Case{"arm-linux-gnueabihf-gcc", "/lib/ld-linux-armhf.so.3"}}) {
    fs::path dynamic = scratch / (std::string(c.compiler) + "-dynamic");
    fs::path fixed = scratch / (std::string(c.compiler) + "-static");
    ASSERT_TRUE(probe_output({c.compiler, "-o", dynamic.string(), source.string()}).ok()) << c.compiler;
    ASSERT_TRUE(probe_output({c.compiler, "-static", "-o", fixed.string(), source.string()}).ok()) << c.compiler;
    EXPECT_EQ(read_executable_format(dynamic).value().interpreter, c.loader);
    EXPECT_EQ(read_executable_format(fixed).value().kind, Kind::elf);
    EXPECT_EQ(read_executable_format(fixed).value().interpreter, "");
  }
}

}  // namespace
}  // namespace xb

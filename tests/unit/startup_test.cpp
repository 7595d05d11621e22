// firmware/startup.cpp against the real arm-none-eabi-gcc: xbuild's startup.S compiled for each
// shipped target (then linked and judged by the vector table check), compiled once and again
// only when its source changes, and a source that does not compile quoted in the error.
#include "firmware/startup.h"

#include <gtest/gtest.h>

#include "firmware/vector_table.h"
#include "support/require.h"
#include "support/scratch_dir.h"
#include "toolchain/toolchain.h"
#include "util/fs.h"
#include "util/probe.h"
#include "util/sha256.h"

namespace xb::firmware {
namespace {

namespace fs = std::filesystem;
using testing::ScratchDir;

fs::path catalog() { return data_directory() / "toolchains" / "firmware"; }

// The shipped target `name` with its startup from `source` (empty: xbuild's own) in `state`.
Target with_startup(const std::string& name, const fs::path& state, const fs::path& source = {}) {
  Target target = find_target(catalog(), name).value_or_throw();
  target.startup = resolve_startup(target, catalog(), source, state).value_or_throw();
  return target;
}

TEST(StartupTest, TheCommandHasTheTargetsFlagsAndStackTop) {
  Target m4f = with_startup("cortex-m4f", "/state");
  EXPECT_EQ(startup_command(m4f, "/state/firmware/cortex-m4f/startup.o"),
            (std::vector<std::string>{"arm-none-eabi-gcc", "-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard",
                                      "-mfpu=fpv4-sp-d16", "-O2", "-DXBUILD_STACK_TOP=0x20400000", "-c", "startup.S",
                                      "-o", "/state/firmware/cortex-m4f/startup.o"}));
  Target none = find_target(catalog(), "cortex-m3").value_or_throw();
  Result<bool> nothing = prepare_startup(none);
  ASSERT_TRUE(nothing.ok()) << nothing.error();
  EXPECT_FALSE(nothing.value());
}

// Every shipped target's startup compiles, and an image linked with it has a vector table the
// check accepts, with the target's stack top as its first word.
TEST(StartupTest, EveryTargetsStartupLinksIntoAnImageWithAVectorTable) {
  XB_REQUIRE_TOOLS("arm-none-eabi-gcc");
  ScratchDir scratch;
  fs::path main = scratch.write("main.c", "int main(void) { return 0; }\n");
  for (const Target& shipped : load_targets(catalog()).value_or_throw()) {
    SCOPED_TRACE(shipped.name);
    Target target = with_startup(shipped.name, scratch / "state");
    Result<bool> compiled = prepare_startup(target);
    ASSERT_TRUE(compiled.ok()) << compiled.error();
    EXPECT_TRUE(compiled.value());
    fs::path elf = scratch / (shipped.name + ".elf");
    std::vector<std::string> link = {"arm-none-eabi-gcc"};
    link.insert(link.end(), target.cflags.begin(), target.cflags.end());
    link.push_back(main.string());
    for (const std::string& flag : link_flags(target)) link.push_back(flag);
    link.insert(link.end(), {"-Wl,--gc-sections", "-o", elf.string()});
    Result<std::string> linked = probe_output(link, {{}, std::chrono::seconds(60)});
    ASSERT_TRUE(linked.ok()) << linked.error();
    Result<std::optional<std::string>> problem = vector_table_problem(elf, *vector_table_address(target));
    ASSERT_TRUE(problem.ok()) << problem.error();
    EXPECT_EQ(problem.value(), std::nullopt) << *problem.value();
    Result<std::string> symbols = probe_output({"arm-none-eabi-nm", elf.string()});
    ASSERT_TRUE(symbols.ok()) << symbols.error();
    EXPECT_NE(symbols.value().find(" __xbuild_vectors\n"), std::string::npos) << symbols.value();
    EXPECT_NE(symbols.value().find(" __xbuild_reset\n"), std::string::npos) << symbols.value();
  }
}

TEST(StartupTest, CompiledOnceAndAgainWhenTheSourceChanges) {
  XB_REQUIRE_TOOLS("arm-none-eabi-gcc");
  ScratchDir scratch;
  fs::path source = scratch.write("board/start.S", read_file(catalog() / "startup.S").value_or_throw());
  Target target = with_startup("cortex-m0", scratch / "state", source);
  ASSERT_TRUE(prepare_startup(target).value_or_throw());
  EXPECT_TRUE(fs::is_regular_file(scratch / "state" / "firmware" / "cortex-m0" / "startup.o"));
  EXPECT_FALSE(prepare_startup(target).value_or_throw());  // up to date

  scratch.write("board/start.S", read_file(source).value_or_throw() + "/* changed */\n");
  target = with_startup("cortex-m0", scratch / "state", source);
  EXPECT_TRUE(prepare_startup(target).value_or_throw());

  fs::remove(scratch / "state" / "firmware" / "cortex-m0" / "startup.o");
  EXPECT_TRUE(prepare_startup(target).value_or_throw());  // missing
}

// A source that does not compile: the error names it and quotes the compiler; the last good
// object stays.
TEST(StartupTest, AFailedCompileQuotesTheCompilerAndKeepsTheLastObject) {
  XB_REQUIRE_TOOLS("arm-none-eabi-gcc");
  ScratchDir scratch;
  fs::path source = scratch.write("start.c", "const int table[1] = {1};\n");
  Target target = with_startup("cortex-m3", scratch / "state", source);
  ASSERT_TRUE(prepare_startup(target).value_or_throw());
  const fs::path object = scratch / "state" / "firmware" / "cortex-m3" / "startup.o";
  const std::string good = read_file(object).value_or_throw();

  scratch.write("start.c", "this is not C\n");
  target = with_startup("cortex-m3", scratch / "state", source);
  Result<bool> failed = prepare_startup(target);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().rfind("cannot compile the startup of firmware target \"cortex-m3\" (" + source.string() +
                                     "): arm-none-eabi-gcc -mcpu=cortex-m3 -mthumb -mfloat-abi=soft -O2 "
                                     "-DXBUILD_STACK_TOP=0x20400000 -c start.c -o ",
                                 0),
            0u)
      << failed.error();
  EXPECT_NE(failed.error().find(" failed:\nstart.c:1:1: error: unknown type name 'this'\n"), std::string::npos)
      << failed.error();
  EXPECT_EQ(read_file(object).value_or_throw(), good);
  std::vector<std::string> left;
  for (const auto& entry : fs::directory_iterator(object.parent_path())) left.push_back(entry.path().filename());
  std::sort(left.begin(), left.end());
  EXPECT_EQ(left, (std::vector<std::string>{"startup.o", "startup.o.key"}));
}

}  // namespace
}  // namespace xb::firmware

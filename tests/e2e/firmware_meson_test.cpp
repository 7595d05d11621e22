// Meson on firmware targets through xbuild's generated cross file, with nothing of the
// project's own but its meson.build: the compiler sanity check runs a real executable under
// qemu-system-arm (`xbuild firmware exec`, the cross file's exe_wrapper), and `meson test` runs
// cJSON's Unity suites the same way, judged by their exit status. cJSON 1.7.15 comes from
// Debian's source package; it has no meson.build, so the test writes the plainest one (the
// library, Unity, one executable and test per suite). `firmware exec` itself is checked first
// on a program that prints its arguments and returns their count.
#include <gtest/gtest.h>

#include "e2e/debian_source.h"
#include "e2e/e2e_support.h"
#include "support/require.h"
#include "util/fs.h"
#include "util/strings.h"

namespace xb::testing {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kTools = {"meson", "ninja", "arm-none-eabi-gcc", "qemu-system-arm"};

TEST(FirmwareExec, RunsAnImageWithItsArgumentsAndHandsBackItsExitStatus) {
  XB_REQUIRE_TOOLS(kTools);
  ScratchDir scratch;
  scratch.write("args.c",
                "#include <stdio.h>\n"
                "int main(int argc, char** argv) {\n"
                "  for (int i = 1; i < argc; i++) printf(\"arg %d: %s\\n\", i, argv[i]);\n"
                "  return argc;\n"
                "}\n");
  CommandResult built = run({"sh", "-c",
                             "set -e; set -a; eval \"$(\"$XB\" firmware env --target cortex-m3 --state-dir state)\"; "
                             "set +a; $CC $CFLAGS args.c $LDFLAGS -o args.elf"},
                            {{"XB", xbuild_binary().string()}}, scratch.path());
  ASSERT_EQ(built.exit_code, 0) << built.out << built.err;
  CommandResult ran =
      xbuild({"firmware", "exec", "--target", "cortex-m3", "args.elf", "one,two", "--timeout"}, scratch.path());
  EXPECT_EQ(ran.exit_code, 3) << ran.err;
  EXPECT_EQ(ran.out, "arg 1: one,two\narg 2: --timeout\n");

  CommandResult missing = xbuild({"firmware", "exec", "--target", "cortex-m3", "nothing.elf"}, scratch.path());
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_EQ(missing.err, "xbuild: error: firmware exec: nothing.elf does not exist; build it first\n");
  CommandResult none = xbuild({"firmware", "exec", "--target", "cortex-m3"}, scratch.path());
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_EQ(none.err,
            "xbuild: error: firmware exec: name the image to run: xbuild firmware exec --target T ELF [ARG...]\n");
}

// The plainest meson.build for cJSON and its Unity suites; `workdir` is where the suites find
// their inputs/ (semihosting opens files relative to QEMU's working directory).
const char* const kMesonBuild = R"(project('cjson', 'c', default_options : ['c_std=c89'])
cjson = static_library('cjson', 'cJSON.c')
unity = static_library('unity', 'tests/unity/src/unity.c')
foreach t : ['parse_hex4', 'parse_number', 'print_number', 'parse_examples', 'parse_array', 'print_string']
  test(t, executable(t, 'tests/' + t + '.c', link_with : [cjson, unity]), workdir : meson.current_source_dir() / 'tests')
endforeach
)";

const char* const kConfig = R"(
[project]
name = "cjson-meson"
version = "1.7.15"

[targets]
firmware = ["cortex-m3", "cortex-m4f"]

[stage.build]
run = '''
meson setup "$XBUILD_OUT/build" $XBUILD_MESON_ARGS
meson compile -C "$XBUILD_OUT/build"
'''

[stage.test]
needs = ["build"]
run = 'meson test -C "$XBUILD_OUT/build" --print-errorlogs'

[firmware]
elf = "build/parse_examples"
)";

TEST(FirmwareMeson, CjsonUnitySuitesPassUnderMesonTestWithTheSanityCheckRun) {
  XB_REQUIRE_TOOLS(kTools);
  ScratchDir scratch;
  DebianSource source = fetch_debian_source("cjson", "bookworm");
  if (source.tree.empty()) XB_MACHINE_CANNOT(source.error);
  const fs::path project = scratch / "cjson";
  std::string error;
  ASSERT_TRUE(copy_tree(source.tree, project, &error)) << error;
  scratch.write("cjson/meson.build", kMesonBuild);
  scratch.write("cjson/xbuild.toml", kConfig);
  CommandResult result = xbuild({"run", "xbuild.toml", "--no-cache", "--progress", "plain", "-j", "2"}, project);
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  for (const std::string target : {"cortex-m3", "cortex-m4f"}) {
    SCOPED_TRACE(target);
    const fs::path build = project / ".xbuild" / "out" / ("none-arm-" + target) / "build";
    const std::string log = read_file(build / "meson-logs" / "meson-log.txt").value();
    // The sanity check ran its executable through the cross file's wrapper, and it passed.
    EXPECT_NE(log.find("Running test binary command:  " + xbuild_binary().string() + " firmware exec --target " +
                       target + " " + (build / "meson-private" / "sanitycheckc_cross.exe").string() + "\n"),
              std::string::npos)
        << log;
    EXPECT_EQ(log.find("skip_sanity_check"), std::string::npos);
    const std::string test_log = read_file(project / ".xbuild" / "logs" / ("none-arm-" + target) / "test.log").value();
    EXPECT_NE(test_log.find("\nOk:                 6   \n"), std::string::npos) << test_log;
    EXPECT_NE(test_log.find("\nFail:               0   \n"), std::string::npos) << test_log;
    const std::string testlog = read_file(build / "meson-logs" / "testlog.txt").value();
    EXPECT_NE(testlog.find("6 Tests 0 Failures 1 Ignored \nOK\n"), std::string::npos) << testlog;
  }
}

}  // namespace
}  // namespace xb::testing

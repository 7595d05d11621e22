// Firmware targets on a real project with a real test framework: cJSON 1.7.15 from Debian's
// source package, whose tests use the ThrowTheSwitch Unity it bundles (tests/unity). CMake
// configures it through xbuild's generated toolchain file while the stage environment also
// holds CFLAGS/LDFLAGS (the flags must reach gcc once), four of its Unity suites run under
// qemu-system-arm on cortex-m0, cortex-m3, cortex-m4f and cortex-m7 (the last two hard-float,
// which readelf confirms), and a copy of one suite with one input changed by sed fails with the
// lines that say why. The project brings no startup code and only its ordinary cmake commands:
// xbuild's startup (a vector table, the FPU enabled) is in every executable.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>

#include "e2e/debian_source.h"
#include "e2e/e2e_support.h"
#include "support/require.h"
#include "util/fs.h"

namespace xb::testing {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kTools = {"cmake",          "ninja", "sed", "arm-none-eabi-gcc", "arm-none-eabi-readelf",
                                         "qemu-system-arm"};

// The suites run, and each one's closing summary (Unity's line ends with a space).
const std::vector<std::pair<std::string, std::string>> kSuites = {{"parse_hex4", "2 Tests 0 Failures 0 Ignored "},
                                                                  {"parse_number", "6 Tests 0 Failures 0 Ignored "},
                                                                  {"print_number", "6 Tests 0 Failures 1 Ignored "},
                                                                  {"parse_examples", "14 Tests 0 Failures 0 Ignored "}};

const char* const kConfig = R"(
[project]
name = "cjson-firmware"
version = "1.7.15"

[targets]
firmware = ["cortex-m0", "cortex-m3", "cortex-m4f", "cortex-m7"]

[stage.build]
run = '''
cmake -S . -B "$XBUILD_OUT/build" -G Ninja $XBUILD_CMAKE_ARGS -DBUILD_SHARED_LIBS=OFF
cmake --build "$XBUILD_OUT/build" --target parse_hex4 parse_number print_number parse_examples
cp "$XBUILD_OUT/build/tests/parse_hex4" "$XBUILD_OUT/firmware.elf"
sed 's/"BEEF"));/"BEEE"));/' tests/parse_hex4.c > "$XBUILD_OUT/parse_hex4_flipped.c"
grep -q BEEE "$XBUILD_OUT/parse_hex4_flipped.c"
$CC $CFLAGS -Itests "$XBUILD_OUT/parse_hex4_flipped.c" tests/unity/src/unity.c $LDFLAGS -o "$XBUILD_OUT/parse_hex4_flipped"
'''

[stage.test]
needs = ["build"]
run = '''
cd "$XBUILD_OUT/build/tests"
for suite in parse_hex4 parse_number print_number parse_examples; do $XBUILD_EXEC "./$suite"; done
'''

[stage.flipped]
needs = ["test"]
run = '$XBUILD_EXEC "$XBUILD_OUT/parse_hex4_flipped"'

[firmware]
timeout = "60s"
)";

// cJSON's tree with kConfig, or why it cannot be had.
std::string prepare(const ScratchDir& scratch, fs::path& project) {
  DebianSource source = fetch_debian_source("cjson", "bookworm");
  if (source.tree.empty()) return source.error;
  project = scratch / "cjson";
  std::string error;
  if (!copy_tree(source.tree, project, &error)) return error;
  scratch.write("cjson/xbuild.toml", kConfig);
  return "";
}

struct TargetCase {
  std::string name, cpu, machine, cflags, ldflags;
  bool hard_float;
};

const std::vector<TargetCase> kTargets = {
    {"cortex-m0", "cortex-m0", "microbit", "-mcpu=cortex-m0 -mthumb -mfloat-abi=soft",
     "--specs=rdimon.specs -Wl,--section-start=.vectors=0x0 -Wl,-Tdata=0x20000000", false},
    {"cortex-m3", "cortex-m3", "mps2-an385", "-mcpu=cortex-m3 -mthumb -mfloat-abi=soft",
     "--specs=rdimon.specs -Wl,--section-start=.vectors=0x0", false},
    {"cortex-m4f", "cortex-m4", "mps2-an386", "-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16",
     "--specs=rdimon.specs -Wl,--section-start=.vectors=0x0", true},
    {"cortex-m7", "cortex-m7", "mps2-an500", "-mcpu=cortex-m7 -mthumb -mfloat-abi=hard -mfpu=fpv5-d16",
     "--specs=rdimon.specs -Wl,--section-start=.vectors=0x0", true}};

// LDFLAGS of `target` with xbuild's startup compiled into `state_dir`.
std::string link_flags(const TargetCase& target, const fs::path& state_dir) {
  return target.ldflags + " " + (state_dir / "firmware" / target.name / "startup.o").string() +
         " -Wl,--undefined=__xbuild_vectors";
}

// The line of parse_hex4.c that sed changes (Unity names the failing assertion's line).
int flipped_line(const fs::path& project) {
  std::string text = read_file(project / "tests" / "parse_hex4.c").value();
  std::size_t at = text.find("\"BEEF\"));");
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
}

TEST(FirmwareRealUnity, CjsonSuitesPassAndAFlippedAssertionFailsWithItsLines) {
  XB_REQUIRE_TOOLS(kTools);
  ScratchDir scratch;
  fs::path project;
  if (std::string why = prepare(scratch, project); !why.empty()) XB_MACHINE_CANNOT(why);
  const fs::path layout = scratch / "layout";
  auto start = std::chrono::steady_clock::now();
  CommandResult result = xbuild({"run", "xbuild.toml", "--keep-going", "--no-cache", "--progress", "plain", "-j", "2",
                                 "-o", "oci:" + layout.string()},
                                project);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::minutes(4));
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  const int line = flipped_line(project);

  EXPECT_FALSE(fs::exists(project / "startup.c"));
  for (const TargetCase& target_case : kTargets) {
    const std::string& target = target_case.name;
    SCOPED_TRACE(target);
    const std::string on = target_case.cpu + " (" + target_case.machine + ")";
    const fs::path out = project / ".xbuild" / "out" / ("none-arm-" + target);
    const fs::path logs = project / ".xbuild" / "logs" / ("none-arm-" + target);
    const std::string test_log = read_file(logs / "test.log").value_or_throw();
    for (const auto& [suite, summary] : kSuites)
      EXPECT_NE(test_log.find("\n" + summary + "\nOK\nfirmware test " + suite + " on " + on +
                              ": passed (exit code 0, pass pattern matched)\n"),
                std::string::npos)
          << suite << "\n"
          << test_log;
    EXPECT_NE(test_log.find("\n" + project.string() +
                            "/tests/print_number.c:105:print_number_should_print_non_number:IGNORE\n"),
              std::string::npos)
        << test_log;

    const std::string flipped_source = (out / "parse_hex4_flipped.c").string();
    const std::string failure = flipped_source + ":" + std::to_string(line) +
                                ":parse_hex4_should_parse_mixed_case:FAIL: Expected 48879 Was 48878";
    const std::string verdict = "firmware test parse_hex4_flipped on " + on + ": FAILED: exit code 1";
    const std::string flipped_log = read_file(logs / "flipped.log").value_or_throw();
    EXPECT_NE(flipped_log.find("\n" + failure + "\n\n-----------------------\n2 Tests 1 Failures 0 Ignored \nFAIL\n" +
                               verdict + "\nthe console ended with:\n  | " + flipped_source +
                               ":70:parse_hex4_should_parse_all_combinations:PASS\n  | " + failure +
                               "\n  | -----------------------\n  | 2 Tests 1 Failures 0 Ignored\n  | FAIL\n"),
              std::string::npos)
        << flipped_log;
    EXPECT_NE(result.out.find("[none/arm/" + target + " flipped] " + verdict + "\n"), std::string::npos) << result.out;

    // The toolchain file and the environment's CFLAGS/LDFLAGS gave each flag once, the startup
    // object among them.
    std::string cache = read_file(out / "build" / "CMakeCache.txt").value_or_throw();
    EXPECT_NE(cache.find("\nCMAKE_TOOLCHAIN_FILE:FILEPATH=" +
                         (project / ".xbuild" / "toolchains" / ("none-arm-" + target + ".cmake")).string() + "\n"),
              std::string::npos)
        << cache;
    EXPECT_NE(cache.find("\nCMAKE_C_FLAGS:STRING=" + target_case.cflags + "\n"), std::string::npos) << cache;
    EXPECT_NE(cache.find("\nCMAKE_EXE_LINKER_FLAGS:STRING=" + link_flags(target_case, project / ".xbuild") + "\n"),
              std::string::npos)
        << cache;

    // Each ELF is of the ABI its target says: floats in VFP registers on the hard-float ones.
    for (const fs::path& elf : {out / "build" / "tests" / "parse_examples", out / "parse_hex4_flipped"}) {
      CommandResult attributes = run({"arm-none-eabi-readelf", "-A", elf.string()});
      ASSERT_EQ(attributes.exit_code, 0) << attributes.err;
      EXPECT_EQ(attributes.out.find("Tag_ABI_VFP_args: VFP registers\n") != std::string::npos, target_case.hard_float)
          << elf << "\n"
          << attributes.out;
      EXPECT_EQ(attributes.out.find("Tag_FP_arch:") != std::string::npos, target_case.hard_float) << attributes.out;
      CommandResult symbols = run({"arm-none-eabi-nm", elf.string()});
      EXPECT_NE(symbols.out.find(" __xbuild_vectors\n"), std::string::npos) << symbols.out;
    }
  }
  EXPECT_NE(result.err.find("none/arm/cortex-m3"), std::string::npos) << result.err;
  EXPECT_FALSE(fs::exists(layout));
}

// Outside `xbuild run`: the environment that `xbuild firmware env` prints, and plain
// `cmake -S . -B build`, which finds the toolchain file through CMAKE_TOOLCHAIN_FILE.
TEST(FirmwareRealUnity, EnvWritesIntoTheProjectsStateDirectoryAndCmakeBuildsWithIt) {
  XB_REQUIRE_TOOLS(kTools);
  ScratchDir scratch;
  fs::path project;
  if (std::string why = prepare(scratch, project); !why.empty()) XB_MACHINE_CANNOT(why);
  const fs::path dir = project / ".xbuild" / "firmware" / "cortex-m3";
  CommandResult built = run(
      {"sh", "-c",
       "set -e; cd tests; set -a; eval \"$(\"$XB\" firmware env --target cortex-m3 --config ../xbuild.toml)\"; set +a; "
       "cd ..; cmake -S . -B build -G Ninja -DBUILD_SHARED_LIBS=OFF >/dev/null; cmake --build build --target "
       "parse_hex4 >/dev/null; cd build/tests; $XBUILD_EXEC ./parse_hex4"},
      {{"XB", xbuild_binary().string()}}, project);
  EXPECT_EQ(built.exit_code, 0) << built.out << built.err;
  EXPECT_NE(built.err.find("xbuild firmware env: compiled " +
                           (source_root() / "toolchains" / "firmware" / "startup.S").string() + " into " +
                           (dir / "startup.o").string() + "\nxbuild firmware env: wrote " +
                           (dir / "meson-cross.ini").string() + " and " + (dir / "toolchain.cmake").string() + "\n"),
            std::string::npos)
      << built.err;
  EXPECT_NE(built.out.find("firmware test parse_hex4 on cortex-m3 (mps2-an385): passed (exit code 0, pass pattern "
                           "matched)\n"),
            std::string::npos)
      << built.out;
  std::string cache = read_file(project / "build" / "CMakeCache.txt").value();
  EXPECT_NE(cache.find("\nCMAKE_TOOLCHAIN_FILE:FILEPATH=" + (dir / "toolchain.cmake").string() + "\n"),
            std::string::npos)
      << cache;
  EXPECT_NE(cache.find("\nCMAKE_EXE_LINKER_FLAGS:STRING=" + link_flags(kTargets[1], project / ".xbuild") + "\n"),
            std::string::npos)
      << cache;
  EXPECT_FALSE(fs::exists(project / "tests" / ".xbuild"));

  // No project here: a clear error, and nothing written.
  CommandResult outside = xbuild({"firmware", "env", "--target", "cortex-m3"}, scratch.path());
  EXPECT_EQ(outside.exit_code, 2);
  EXPECT_EQ(outside.out, "");
  EXPECT_EQ(outside.err, "xbuild: error: firmware env: " + (scratch / "xbuild.toml").string() +
                             " does not exist; run it in the project's directory, or name the project's config "
                             "(--config FILE) or where the cross files go (--state-dir DIR)\n");
  EXPECT_FALSE(fs::exists(scratch / ".xbuild"));
}

}  // namespace
}  // namespace xb::testing

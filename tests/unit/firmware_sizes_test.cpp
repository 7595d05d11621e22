// --size-baseline FILE read before anything runs: a firmware-size.txt of an earlier run matched
// to the run's targets by name, arm-none-eabi-size's output for a lone target, and each mistake
// an error with exit status 2. The measuring pass itself runs arm-none-eabi-size on real ELFs
// (tests/e2e/firmware_size_debug_test.cpp).
#include "build/firmware_sizes.h"

#include <gtest/gtest.h>

#include <variant>

#include "config/config.h"
#include "support/scratch_dir.h"

namespace xb {
namespace {

namespace fs = std::filesystem;
using testing::ScratchDir;

Config config_of(const std::string& targets) {
  ConfigResult result =
      parse_config("[project]\nname = \"fw\"\n[targets]\n" + targets + "\n[stage.b]\nrun = \"make\"\n", "xbuild.toml");
  if (const ConfigErrors* errors = std::get_if<ConfigErrors>(&result)) ADD_FAILURE() << errors->render();
  Config config = std::get<Config>(std::move(result));
  config.file = "/p/xbuild.toml";
  return config;
}

// The message of the error read_size_baseline() throws, which must have exit status 2.
std::string error_of(const fs::path& file, const Config& config) {
  try {
    read_size_baseline(file, config);
  } catch (const Error& error) {
    EXPECT_EQ(error.exit_code(), 2);
    return error.what();
  }
  return "(no error)";
}

TEST(SizeBaseline, NoneGivenIsEmpty) {
  SizeBaseline baseline = read_size_baseline(std::nullopt, config_of("firmware = [\"cortex-m3\"]"));
  EXPECT_FALSE(baseline.file);
  EXPECT_TRUE(baseline.sizes.empty());
}

TEST(SizeBaseline, AnEarlierRunsTableIsMatchedByTargetName) {
  ScratchDir scratch;
  fs::path file = scratch.write("firmware-size.txt",
                                "text\tdata\tbss\tflash\tram\ttarget\n"
                                "7080\t108\t340\t7188\t448\tcortex-m3\n"
                                "7100\t110\t344\t7210\t454\tcortex-m33\n");
  SizeBaseline baseline =
      read_size_baseline(file, config_of("platforms = [\"linux/amd64\"]\nfirmware = [\"cortex-m3\", \"cortex-m4\"]"));
  EXPECT_EQ(baseline.file, file);
  EXPECT_EQ(baseline.sizes, (std::map<std::string, firmware::Sizes>{{"cortex-m3", {7080, 108, 340}}}));
}

TEST(SizeBaseline, AnArtifactsSizeReportServesALoneTarget) {
  ScratchDir scratch;
  fs::path file = scratch.write("crc16.size.txt",
                                "   text\t   data\t    bss\t    dec\t    hex\tfilename\n"
                                "  32300\t   2788\t    264\t  35352\t   8a18\tfirmware.elf\n");
  SizeBaseline baseline = read_size_baseline(file, config_of("firmware = [\"cortex-m4\"]"));
  EXPECT_EQ(baseline.sizes, (std::map<std::string, firmware::Sizes>{{"cortex-m4", {32300, 2788, 264}}}));
}

TEST(SizeBaseline, MistakesAreErrorsWithExitStatus2) {
  ScratchDir scratch;
  const Config firmware = config_of("firmware = [\"cortex-m3\", \"cortex-m4\"]");
  EXPECT_EQ(error_of(scratch / "missing.txt", firmware), "cannot read the size baseline: cannot read " +
                                                             (scratch / "missing.txt").string() +
                                                             ": No such file or directory");
  EXPECT_EQ(error_of(scratch / "x.txt", config_of("platforms = [\"linux/amd64\"]")),
            "--size-baseline " + (scratch / "x.txt").string() +
                ": /p/xbuild.toml builds no firmware targets; add them to [targets] firmware, or drop --size-baseline");
  fs::path json = scratch.write("metadata.json", "{\"containerimage.digest\": \"sha256:00\"}\n");
  EXPECT_EQ(error_of(json, firmware),
            "the size baseline " + json.string() +
                " is a metadata file without firmware sizes: use the --metadata-file of a run that built firmware "
                "targets (xbuild run --metadata-file FILE)");
  fs::path words = scratch.write("words.txt", "hello\n");
  EXPECT_EQ(error_of(words, firmware),
            "the size baseline " + words.string() +
                " is not a size table: its first line must name the columns text, data and bss, and last target or "
                "filename (as arm-none-eabi-size prints them, or as xbuild run writes <state dir>/firmware-size.txt)");
  fs::path other = scratch.write("other.txt", "text data bss target\n1 2 3 cortex-m33\n");
  EXPECT_EQ(error_of(other, firmware),
            "the size baseline " + other.string() +
                " names none of the firmware targets (cortex-m3, cortex-m4), only cortex-m33; use the "
                "firmware-size.txt of an earlier run, which names each target");
}

}  // namespace
}  // namespace xb

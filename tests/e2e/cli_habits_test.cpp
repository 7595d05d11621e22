// The command-line habits CI users bring from other tools: `help`, `version` and `-V`, a "did you
// mean" for a mistyped command, `-f FILE`, `--platform` for a subset of the matrix, `-t/--tag`
// for the image's tags, and XBUILD_* variables as defaults of the common flags.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "build_paths.h"
#include "e2e/e2e_support.h"
#include "e2e/run_report.h"
#include "util/fs.h"

namespace xb::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

TEST(CliHabits, HelpAndVersionAliasesAndAMistypedCommand) {
  CommandResult version = xbuild({"version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out, "xbuild " XBUILD_VERSION "\n");
  CommandResult short_version = xbuild({"-V"});
  EXPECT_EQ(short_version.out, version.out);

  CommandResult help = xbuild({"help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_EQ(help.out, xbuild({"--help"}).out);
  CommandResult run_help = xbuild({"help", "run"});
  EXPECT_EQ(run_help.exit_code, 0);
  EXPECT_EQ(run_help.out, xbuild({"run", "--help"}).out);
  EXPECT_NE(run_help.out.find("--platform"), std::string::npos) << run_help.out;

  CommandResult typo = xbuild({"rnu"});
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_EQ(
      typo.err,
      "xbuild: error: \"rnu\" is not an xbuild command; did you mean \"run\"? The commands are run, plan, binfmt, "
      "push, pull, manifest, cache, firmware, merge, init, targets, schema, completion; xbuild help COMMAND says "
      "more.\n");
}

// `xbuild schema` prints the committed docs/xbuild.schema.json, byte for byte.
TEST(CliHabits, SchemaPrintsTheCommittedSchema) {
  CommandResult schema = xbuild({"schema"});
  EXPECT_EQ(schema.exit_code, 0) << schema.err;
  EXPECT_EQ(schema.err, "");
  EXPECT_TRUE(schema.out == read_file(source_root() / "docs/xbuild.schema.json").value())
      << "run `xbuild schema > docs/xbuild.schema.json`";
  EXPECT_EQ(nlohmann::json::parse(schema.out)["$schema"], "http://json-schema.org/draft-07/schema#");
}

TEST(CliHabits, PlatformBuildsASubsetAndTagNamesTheImage) {
  XB_REQUIRE_TOOLS("make", "x86_64-linux-gnu-gcc", "aarch64-linux-gnu-gcc", "qemu-aarch64-static");
  ScratchDir scratch;
  fs::path project = copy_example("hello", scratch / "hello");
  std::string config = kTwoPlatformConfig;
  config.replace(config.find("platforms = [\"linux/amd64\", \"linux/arm64\"]"), 43,
                 "platforms = [\"linux/amd64\", \"linux/arm64\", \"linux/riscv64\"]");
  config += "\n[platform.\"linux/riscv64\"]\nenv = { EXTRA = \"1\" }\n";
  scratch.write("hello/xbuild.toml", config);
  fs::path layout = scratch / "layout";

  ReportedRun subset = xbuild_run({"-f", (project / "xbuild.toml").string(), "--platform", "linux/aarch64", "-t",
                                   "nightly", "-t", "2026-12-05", "-o", "oci:" + layout.string()},
                                  scratch.path());
  ASSERT_EQ(subset.exit_code, 0) << subset.out << subset.err;
  ASSERT_TRUE(subset.metadata.contains("platforms")) << subset.metadata;
  EXPECT_EQ(subset.metadata["platforms"].size(), 1u) << subset.metadata;
  EXPECT_EQ(subset.platform("linux/arm64")["stages"], json({{"build", "ok"}, {"test", "ok"}}));
  json index = json::parse(read_file(layout / "index.json").value());
  EXPECT_EQ(index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"], "nightly");

  // The same flags from the environment; a name the config lacks is said before anything runs.
  CommandResult plan = xbuild({"plan"}, project, {{"XBUILD_PLATFORMS", "linux/amd64,linux/riscv64"}});
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  EXPECT_NE(plan.out.find("\nlinux/amd64  "), std::string::npos) << plan.out;
  EXPECT_NE(plan.out.find("\nlinux/riscv64  "), std::string::npos) << plan.out;
  EXPECT_EQ(plan.out.find("\nlinux/arm64  "), std::string::npos) << plan.out;
  CommandResult wrong = xbuild({"run", "--platform", "linux/mips64le"}, project);
  EXPECT_EQ(wrong.exit_code, 2);
  EXPECT_EQ(wrong.err, "xbuild: error: --platform linux/mips64le: not a platform of " +
                           (project / "xbuild.toml").string() +
                           "; its platforms are linux/amd64, linux/arm64, linux/riscv64\n");
  // Neither the subset run nor the refused one touched the other platforms.
  EXPECT_FALSE(fs::exists(project / ".xbuild/logs/linux-amd64"));
  EXPECT_FALSE(fs::exists(project / ".xbuild/out/linux-riscv64"));
}

}  // namespace
}  // namespace xb::testing

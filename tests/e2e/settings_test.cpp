// `--set KEY=VALUE` on a real project: the values reach the run and the plan as the file's would,
// a setting of a stage's command runs that stage again and no other, and every bad setting is
// refused by its exact message before anything is written.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "e2e/e2e_support.h"
#include "e2e/run_report.h"
#include "util/fs.h"

namespace xb::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Two stages on this machine's platform, no compiler needed: `build` writes a file, `test` reads
// it and says what its command is.
const char* const kConfig = R"([project]
name = "settings"

[targets]
platforms = ["linux/amd64"]

[stage.build]
run = 'echo built > "$XBUILD_OUT/built"'

[stage.test]
needs = ["build"]
run = 'cat "$XBUILD_OUT/built"; echo first'
timeout = "10m"

[image]
name = "registry.example/settings"
tags = ["1.0"]
)";

class Settings : public ::testing::Test {
 protected:
  Settings() {
    scratch_.write("p/xbuild.toml", kConfig);
    project_ = scratch_ / "p";
  }
  ScratchDir scratch_;
  fs::path project_;
};

TEST_F(Settings, ASettingOfAStagesCommandRunsThatStageAgainAndNoOther) {
  XB_REQUIRE_TOOLS("sh");
  const std::map<std::string, std::string> env = {{"XBUILD_CACHE_DIR", (scratch_ / "cache").string()}};
  ReportedRun cold = xbuild_run({}, project_, env);
  ASSERT_EQ(cold.exit_code, 0) << cold.err;
  EXPECT_EQ(cold.platform("linux/amd64")["stages"], json({{"build", "ok"}, {"test", "ok"}})) << cold.metadata;

  ReportedRun changed = xbuild_run({"--set", "stage.test.run=cat \"$XBUILD_OUT/built\"; echo second"}, project_, env);
  ASSERT_EQ(changed.exit_code, 0) << changed.err;
  EXPECT_EQ(changed.platform("linux/amd64")["stages"], json({{"build", "cached"}, {"test", "ok"}})) << changed.metadata;
  EXPECT_EQ(read_file(project_ / ".xbuild/logs/linux-amd64/test.log").value(), "built\nsecond\n");

  // The same setting again is the same key; without it, the file's key, still in the cache.
  ReportedRun again = xbuild_run({"--set", "stage.test.run=cat \"$XBUILD_OUT/built\"; echo second"}, project_, env);
  EXPECT_EQ(again.platform("linux/amd64")["stages"], json({{"build", "cached"}, {"test", "cached"}})) << again.metadata;
  ReportedRun file = xbuild_run({}, project_, env);
  EXPECT_EQ(file.platform("linux/amd64")["stages"], json({{"build", "cached"}, {"test", "cached"}})) << file.metadata;
  EXPECT_EQ(read_file(project_ / "xbuild.toml").value(), kConfig);  // the file is never written
}

TEST_F(Settings, SettingsNameTheImageAndChangeThePlan) {
  XB_REQUIRE_TOOLS("sh");
  fs::path layout = scratch_ / "layout";
  ReportedRun run = xbuild_run({"--set", "image.name=registry.example/app", "--set",
                                "image.tags=[\"2.0\", \"nightly\"]", "-o", "oci:" + layout.string()},
                               project_);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  json index = json::parse(read_file(layout / "index.json").value());
  EXPECT_EQ(index["manifests"][0]["annotations"], json({{"io.containerd.image.name", "registry.example/app:2.0"},
                                                        {"org.opencontainers.image.ref.name", "2.0"}}));

  // Each --set, --platform and -t takes one value: the FILE after them stays the FILE.
  CommandResult plan =
      xbuild({"plan", "--set", "stage.test.needs=[]", "--platform", "linux/amd64", "-t", "x", "xbuild.toml"}, project_);
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  EXPECT_NE(plan.out.find("\n  build\n  test\n"), std::string::npos) << plan.out;
  CommandResult file_plan = xbuild({"plan"}, project_);
  EXPECT_NE(file_plan.out.find("\n  build\n  test (needs build)\n"), std::string::npos) << file_plan.out;
}

// Each refusal: exit status 2, the setting named, and no state directory made.
TEST_F(Settings, BadSettingsAreRefusedByName) {
  struct Case {
    std::string setting;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"stage.test.tiemout=20m", "unknown key \"tiemout\" in [stage.test]; did you mean \"timeout\"?"},
      {"image.tags=nightly", "\"tags\" in [image]: expected an array of strings, found a string"},
      {"stage.test.timeout=20 minutes",
       "invalid timeout \"20 minutes\" in [stage.test]: expected a duration such as \"90s\", \"10m\", \"1h\" or "
       "\"1h30m\", or a number of seconds"},
      {"foo", "expected KEY=VALUE, e.g. --set image.name=registry.example/app"},
      {"stage.tset.timeout=20m", "unknown stage \"tset\"; did you mean \"test\"?"},
      {"image.tags=[\"a\"", "[\"a\" is not a TOML value: error while parsing array: encountered end-of-file"},
  };
  for (const Case& bad : cases) {
    for (const std::string command : {"run", "plan"}) {
      SCOPED_TRACE(command + " --set " + bad.setting);
      CommandResult refused = xbuild({command, "--set", "image.name=ok", "--set", bad.setting}, project_);
      EXPECT_EQ(refused.exit_code, 2);
      EXPECT_EQ(refused.err, "xbuild: --set " + bad.setting + ": " + bad.message +
                                 "\nxbuild: error: 1 error in --set; nothing was run\n");
      EXPECT_FALSE(fs::exists(project_ / ".xbuild"));
    }
  }
  // With the file's own problems: each where it is, then the count of both.
  scratch_.write("p/xbuild.toml", std::string(kConfig) + "tgas = [\"x\"]\n");
  CommandResult both = xbuild({"run", "--set", "stage.test.timeout=0s"}, project_);
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_EQ(both.err,
            "xbuild.toml:18:1: error: unknown key \"tgas\" in [image]; did you mean \"tags\"?\n"
            "   18 | tgas = [\"x\"]\n"
            "      | ^\n"
            "xbuild: --set stage.test.timeout=0s: \"timeout\" in [stage.test] must be a positive duration, got "
            "\"0s\"\n"
            "xbuild: error: 2 errors in xbuild.toml and --set; nothing was run\n");
  EXPECT_FALSE(fs::exists(project_ / ".xbuild"));
}

}  // namespace
}  // namespace xb::testing

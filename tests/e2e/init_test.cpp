// xbuild init, xbuild targets and run --source-date-epoch with the real binary: each template's
// file is accepted by `xbuild plan` as written, in a small project and in Debian's cJSON, whose
// generated file builds it and passes its own ctest suite on linux/amd64 and linux/arm64;
// `targets` agrees with `plan`; the images' `created` is what --source-date-epoch says.
#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <regex>

#include "e2e/debian_source.h"
#include "e2e/e2e_support.h"
#include "e2e/layout_json.h"
#include "e2e/run_report.h"
#include "util/fs.h"
#include "util/strings.h"

namespace xb::testing {
namespace {

namespace fs = std::filesystem;

std::string file_text(const fs::path& file) {
  Result<std::string> text = read_file(file);
  return text ? text.value() : std::string();
}

std::string schema_line() {
  return "#:schema " + fs::weakly_canonical(source_root()).string() + "/docs/xbuild.schema.json\n";
}

TEST(InitCommand, EachTemplateWritesAConfigThatPlanAccepts) {
  XB_REQUIRE_TOOLS("cmake", "meson", "make", "aarch64-linux-gnu-gcc", "arm-none-eabi-gcc");
  const std::map<std::string, std::pair<std::string, std::string>> projects = {
      {"cmake", {"CMakeLists.txt", "cmake_minimum_required(VERSION 3.13)\nproject(demo C)\n"}},
      {"meson", {"meson.build", "project('demo', 'c')\n"}},
      {"autotools", {"configure.ac", "AC_INIT([demo], [1])\n"}},
      {"c", {"Makefile", "all:\n\tmkdir -p $(OUT)\ncheck:\n"}},
  };
  for (const auto& [name, file] : projects) {
    ScratchDir scratch;
    scratch.write("demo/" + file.first, file.second);
    CommandResult init = xbuild({"init", "demo", "--firmware", "cortex-m4"}, scratch.path());
    ASSERT_EQ(init.exit_code, 0) << name << init.out << init.err;
    std::string written = file_text(scratch / "demo/xbuild.toml");
    EXPECT_EQ(written.rfind(schema_line(), 0), 0u) << written;
    EXPECT_NE(written.find(name + " template, found " + file.first), std::string::npos) << written;
    EXPECT_NE(init.out.find("next: xbuild plan demo/xbuild.toml"), std::string::npos) << init.out;
    CommandResult plan = xbuild({"plan"}, scratch / "demo");
    EXPECT_EQ(plan.exit_code, 0) << name << "\n" << written << plan.out << plan.err;
    EXPECT_NE(plan.out.find("none/arm/cortex-m4"), std::string::npos);
    EXPECT_NE(plan.out.find("linux/arm64"), std::string::npos);
  }
}

TEST(InitCommand, NeverOverwritesWithoutForceAndBadOptionsWriteNothing) {
  ScratchDir scratch;
  scratch.write("xbuild.toml", "mine\n");
  CommandResult again = xbuild({"init"}, scratch.path());
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_EQ(again.err, "xbuild: error: " + (fs::weakly_canonical(scratch.path()) / "xbuild.toml").string() +
                           " exists; nothing was written: edit it, or replace it with xbuild init --force\n");
  EXPECT_EQ(file_text(scratch / "xbuild.toml"), "mine\n");
  CommandResult forced = xbuild({"init", "--force", "--platforms", "linux/amd64"}, scratch.path());
  EXPECT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_NE(file_text(scratch / "xbuild.toml").find("platforms = [\"linux/amd64\"]"), std::string::npos);

  ScratchDir empty;
  CommandResult typo = xbuild({"init", "--platforms", "linux/arm65"}, empty.path());
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_NE(typo.err.find("--platforms linux/arm65: not a target xbuild knows; did you mean linux/arm64?"),
            std::string::npos)
      << typo.err;
  CommandResult firmware = xbuild({"init", "--firmware", "cortex-m5"}, empty.path());
  EXPECT_EQ(firmware.exit_code, 2);
  EXPECT_NE(firmware.err.find("--firmware cortex-m5: not a target xbuild knows; did you mean"), std::string::npos);
  CommandResult kind = xbuild({"init", "--template", "scons"}, empty.path());
  EXPECT_EQ(kind.exit_code, 2);
  EXPECT_EQ(kind.err, "xbuild: error: --template scons: not a template; use c, cmake, meson or autotools\n");
  EXPECT_TRUE(fs::is_empty(empty.path()));
}

// Debian's cJSON as it comes: `xbuild init` chooses CMake, and the file as written builds it and
// passes cJSON's own ctest suite natively and crossing to arm64 (ctest runs the tests by their
// path: under QEMU there).
TEST(InitCommand, CjsonBuildsAndPassesItsCtestSuiteWithTheGeneratedFile) {
  XB_REQUIRE_TOOLS("apt-get", "dpkg-source", "cmake", "ctest", "aarch64-linux-gnu-gcc", "qemu-aarch64-static");
  DebianSource source = fetch_debian_source("cjson", "bookworm");
  XB_REQUIRE_MACHINE(!source.tree.empty(), source.error);
  ScratchDir scratch;
  std::string error;
  ASSERT_TRUE(copy_tree(source.tree, scratch / "cjson", &error)) << error;
  CommandResult init = xbuild({"init"}, scratch / "cjson");
  ASSERT_EQ(init.exit_code, 0) << init.err;
  EXPECT_NE(init.out.find("(cmake template, found CMakeLists.txt)"), std::string::npos) << init.out;
  auto started = std::chrono::steady_clock::now();
  ReportedRun run = xbuild_run({"--platform", "linux/amd64,linux/arm64", "--progress", "plain"}, scratch / "cjson");
  std::printf("[ cjson ] xbuild init's config: linux/amd64 and linux/arm64 built and tested in %.1f s\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  for (const char* platform : {"linux/amd64", "linux/arm64"})
    EXPECT_EQ(run.platform(platform)["stages"], nlohmann::json({{"build", "ok"}, {"test", "ok"}})) << platform;
  EXPECT_NE(run.out.find("100% tests passed, 0 tests failed out of 19"), std::string::npos);
}

// `targets` is the plan's view: every target it lists, planned by `xbuild plan`, takes the same
// strategy, and the plan is ready exactly when every target is.
TEST(TargetsCommand, AgreesWithThePlanOfEveryTarget) {
  ScratchDir scratch;
  CommandResult listed = xbuild({"targets", "--json"}, scratch.path());
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  nlohmann::json json = nlohmann::json::parse(listed.out);
  std::vector<std::string> platforms, firmware;
  bool all_ready = true;
  for (const nlohmann::json& target : json["targets"]) {
    std::string name = target["platform"];
    if (target["firmware"])
      firmware.push_back(json_quote(name.substr(std::string("none/arm/").size())));
    else
      platforms.push_back(json_quote(name));
    all_ready = all_ready && target["ready"].get<bool>();
    EXPECT_EQ(target["ready"].get<bool>(), target["missing"].empty()) << name;
  }
  EXPECT_EQ(json["host"], "linux/amd64");
  EXPECT_GE(platforms.size(), 6u);
  EXPECT_GE(firmware.size(), 8u);
  scratch.write("xbuild.toml", "[project]\nname = \"t\"\n[targets]\nplatforms = [" + join(platforms, ", ") +
                                   "]\nfirmware = [" + join(firmware, ", ") + "]\n[stage.build]\nrun = 'true'\n");
  CommandResult plan = xbuild({"plan"}, scratch.path());
  EXPECT_EQ(plan.exit_code, all_ready ? 0 : 2) << plan.out;
  for (const nlohmann::json& target : json["targets"]) {
    std::string strategy = target["strategy"] == "bare metal" ? "cross" : target["strategy"].get<std::string>();
    std::regex row("\\n" + std::string(target["platform"]) + " +" + strategy + " ");
    EXPECT_TRUE(std::regex_search("\n" + plan.out, row)) << target["platform"] << "\n" << plan.out;
  }
  CommandResult table = xbuild({"targets"}, scratch.path());
  EXPECT_EQ(table.exit_code, 0);
  EXPECT_EQ(table.out.rfind("targets on this machine (linux/amd64):\nTARGET ", 0), 0u) << table.out;
}

// The image config's `created` under each --source-date-epoch, read from the layout.
std::string created_of(const fs::path& layout) {
  nlohmann::json index = layout_image_index(layout);
  nlohmann::json manifest = layout_blob_json(layout, index["manifests"][0]["digest"]);
  return layout_blob_json(layout, manifest["config"]["digest"]).value("created", "");
}

TEST(SourceDateEpoch, ChoosesTheImagesCreationTime) {
  XB_REQUIRE_TOOLS("make", "cc");
  ScratchDir scratch;
  fs::path project = copy_example("hello", scratch / "hello");
  scratch.write("hello/xbuild.toml", kTwoPlatformConfig);
  std::vector<std::string> args = {"--platform", "linux/amd64", "--progress", "plain", "-o", "oci:out"};
  auto run_with = [&](std::vector<std::string> extra, std::map<std::string, std::string> env = {}) {
    extra.insert(extra.begin(), args.begin(), args.end());
    return xbuild_run(extra, project, env);
  };
  ReportedRun seconds = run_with({"--source-date-epoch", "1600000000"});
  ASSERT_EQ(seconds.exit_code, 0) << seconds.err;
  EXPECT_EQ(created_of(project / "out"), "2020-09-13T12:26:40Z");
  EXPECT_EQ((seconds.out + seconds.err).find("xbuild: note:"), std::string::npos);

  std::time_t before = std::time(nullptr);
  ReportedRun now = run_with({"--source-date-epoch", "now"});
  ASSERT_EQ(now.exit_code, 0) << now.err;
  std::string created = created_of(project / "out");
  char earliest[32], latest[32];
  std::time_t after = std::time(nullptr);
  std::strftime(earliest, sizeof earliest, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&before));
  std::strftime(latest, sizeof latest, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&after));
  EXPECT_GE(created, earliest);
  EXPECT_LE(created, latest);

  ReportedRun fallback = run_with({}, {{"SOURCE_DATE_EPOCH", ""}});  // not a git checkout: 0, with a note
  ASSERT_EQ(fallback.exit_code, 0) << fallback.err;
  EXPECT_EQ(created_of(project / "out"), "1970-01-01T00:00:00Z");
  EXPECT_NE((fallback.out + fallback.err)
                .find("xbuild: note: the images are dated 1970-01-01 (SOURCE_DATE_EPOCH 0): " + project.string() +
                      " is not in a git checkout"),
            std::string::npos)
      << fallback.out << fallback.err;

  ReportedRun git = run_with({"--source-date-epoch", "git"});
  EXPECT_EQ(git.exit_code, 2);
  EXPECT_NE(git.err.find("--source-date-epoch git: " + project.string() + " is not in a git checkout with a commit"),
            std::string::npos)
      << git.err;
  ReportedRun bad = run_with({"--source-date-epoch", "yesterday"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(bad.err,
            "xbuild: error: --source-date-epoch \"yesterday\": use now (the current time), git (the time of the last "
            "commit) or a whole number of seconds since 1970-01-01 UTC, such as 1700000000\n");
}

}  // namespace
}  // namespace xb::testing

// Firmware in `xbuild run`'s matrix: examples/firmware builds for linux/amd64 and three
// bare-metal targets at once (real arm-none-eabi GCC + newlib, real qemu-system-arm with
// semihosting, the host's gcc). One index holds the Linux image and a firmware artifact per
// target; skopeo reads it back, a real docker-registry takes it, and failing or hanging
// firmware tests stop the run with what went wrong.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "e2e/e2e_support.h"
#include "e2e/layout_json.h"
#include "e2e/run_report.h"
#include "support/registry_fixture.h"
#include "util/fs.h"
#include "util/sha256.h"

namespace xb::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::vector<std::string> kFirmwareRunTools = {"make",
                                                    "gcc",
                                                    "arm-none-eabi-gcc",
                                                    "arm-none-eabi-objcopy",
                                                    "arm-none-eabi-size",
                                                    "arm-none-eabi-readelf",
                                                    "qemu-system-arm",
                                                    "skopeo"};

struct TargetCase {
  std::string cpu, machine, tag_cpu_name;
};

const std::vector<TargetCase> kTargets = {
    {"cortex-m3", "mps2-an385", "7-M"}, {"cortex-m4", "mps2-an386", "7E-M"}, {"cortex-m33", "mps2-an505", "8-M.MAIN"}};

class FirmwareRun : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!missing_tools(kFirmwareRunTools).empty()) return;  // SetUp says which, once per test
    scratch_ = std::make_unique<ScratchDir>();
    project_ = copy_example("firmware", scratch_->path() / "firmware");
    layout_ = scratch_->path() / "layout";
    result_ = xbuild({"run", "xbuild.toml", "--output", "oci:" + layout_.string(), "--progress", "plain",
                      "--metadata-file", (scratch_->path() / "metadata.json").string()},
                     project_);
    metadata_ = read_metadata(scratch_->path() / "metadata.json");
  }
  static void TearDownTestSuite() { scratch_.reset(); }

  void SetUp() override {
    XB_REQUIRE_TOOLS(kFirmwareRunTools);
    ASSERT_EQ(result_.exit_code, 0) << result_.out << result_.err;
  }

  static std::string blob_text(const std::string& digest) { return layout_blob_text(layout_, digest); }
  static json blob(const std::string& digest) { return layout_blob_json(layout_, digest); }
  static json index() { return layout_image_index(layout_); }
  static json entry_for(const std::string& variant) {
    json all = index();  // kept: a range-for over index()["manifests"] would outlive the temporary
    for (const json& entry : all["manifests"])
      if (entry["platform"].value("variant", "") == variant) return entry;
    ADD_FAILURE() << "no index entry for " << variant;
    return json::object();
  }

  static inline std::unique_ptr<ScratchDir> scratch_;
  static inline fs::path project_, layout_;
  static inline CommandResult result_;
  static inline json metadata_;
};

TEST_F(FirmwareRun, OneIndexHoldsTheLinuxImageAndAFirmwareArtifactPerTarget) {
  CommandResult raw = run({"skopeo", "inspect", "--raw", "oci:" + layout_.string()});
  ASSERT_EQ(raw.exit_code, 0) << raw.err;
  json manifests = json::parse(raw.out)["manifests"];
  ASSERT_EQ(manifests.size(), 4u) << raw.out;
  EXPECT_EQ(manifests[0]["platform"], (json{{"os", "linux"}, {"architecture", "amd64"}}));
  EXPECT_FALSE(manifests[0].contains("artifactType"));
  for (std::size_t i = 0; i < kTargets.size(); ++i) {
    SCOPED_TRACE(kTargets[i].cpu);
    EXPECT_EQ(manifests[i + 1]["platform"],
              (json{{"os", "none"}, {"architecture", "arm"}, {"variant", kTargets[i].cpu}}));
    EXPECT_EQ(manifests[i + 1]["artifactType"], "application/vnd.xbuild.firmware.v1");
    EXPECT_EQ(manifests[i + 1]["mediaType"], "application/vnd.oci.image.manifest.v1+json");
  }
  // skopeo picks this machine's image out of the index: the Linux one.
  CommandResult linux_image = run({"skopeo", "inspect", "oci:" + layout_.string()});
  ASSERT_EQ(linux_image.exit_code, 0) << linux_image.err;
  EXPECT_EQ(json::parse(linux_image.out)["Architecture"], "amd64");
}

TEST_F(FirmwareRun, EachArtifactHoldsItsTargetsElfBinHexAndSizeReport) {
  for (const TargetCase& target : kTargets) {
    SCOPED_TRACE(target.cpu);
    json entry = entry_for(target.cpu);
    json manifest = blob(entry["digest"]);
    EXPECT_EQ(manifest["artifactType"], "application/vnd.xbuild.firmware.v1");
    EXPECT_EQ(manifest["config"]["mediaType"], "application/vnd.oci.empty.v1+json");
    EXPECT_EQ(manifest["annotations"]["xbuild.firmware.target"], target.cpu);
    EXPECT_EQ(manifest["annotations"]["xbuild.firmware.board"], target.machine);
    EXPECT_EQ(manifest["annotations"]["org.opencontainers.image.created"], "2023-11-14T22:13:20Z");
    std::vector<std::string> titles;
    for (const json& layer : manifest["layers"])
      titles.push_back(layer["annotations"]["org.opencontainers.image.title"]);
    EXPECT_EQ(titles, (std::vector<std::string>{"firmware.elf", "firmware.bin", "firmware.hex", "firmware.size.txt"}));

    // The ELF is the one the stages built, for this target's CPU.
    fs::path elf = project_ / ".xbuild" / "out" / ("none-arm-" + target.cpu) / "firmware.elf";
    EXPECT_EQ(manifest["layers"][0]["digest"], sha256_digest(read_file(elf).value()));
    CommandResult attributes = run({"arm-none-eabi-readelf", "-A", elf.string()});
    EXPECT_NE(attributes.out.find("Tag_CPU_name: \"" + target.tag_cpu_name + "\"\n"), std::string::npos)
        << attributes.out;
    CommandResult size = run({"arm-none-eabi-size", elf.string()});
    std::istringstream numbers(size.out.substr(size.out.find('\n') + 1));
    std::string text;
    numbers >> text;
    EXPECT_EQ(manifest["annotations"]["xbuild.firmware.size.text"], text);
    // The size report names the file, not the directory it was built in.
    std::string report = blob_text(manifest["layers"][3]["digest"]);
    EXPECT_NE(report.find("\tfirmware.elf\n"), std::string::npos) << report;
    EXPECT_EQ(report.find(project_.string()), std::string::npos) << report;
  }
}

TEST_F(FirmwareRun, EveryTargetsTestsRanAndTheSummaryListsTheArtifacts) {
  for (const TargetCase& target : kTargets) {
    SCOPED_TRACE(target.cpu);
    EXPECT_NE(result_.out.find("[none/arm/" + target.cpu + " test] firmware test test.elf on " + target.cpu + " (" +
                               target.machine + "): passed (exit code 0, pass pattern matched)\n"),
              std::string::npos)
        << result_.out;
    EXPECT_EQ(metadata_["platforms"]["none/arm/" + target.cpu]["containerimage.digest"],
              entry_for(target.cpu)["digest"])
        << metadata_;
    // The suite ran once: the image's sections do not overlap through the board's memory aliases.
    std::string ok_line = "[none/arm/" + target.cpu + " test] OK\n";
    std::size_t first = result_.out.find(ok_line);
    EXPECT_NE(first, std::string::npos);
    EXPECT_EQ(result_.out.find(ok_line, first + 1), std::string::npos) << result_.out;
    std::string meson =
        read_file(project_ / ".xbuild" / "toolchains" / ("none-arm-" + target.cpu + ".meson.ini")).value();
    EXPECT_NE(meson.find("system = 'none'"), std::string::npos) << meson;
  }
  // The Linux recipe ran the same unit tests natively.
  EXPECT_NE(result_.out.find("[linux/amd64 test] 3 Tests 0 Failures 0 Ignored\n"), std::string::npos) << result_.out;
  CommandResult plan = xbuild({"plan", "xbuild.toml"}, project_);
  EXPECT_EQ(plan.exit_code, 0) << plan.err;
  EXPECT_NE(plan.out.find("qemu-system-arm -M mps2-an505 -cpu cortex-m33 (xbuild firmware test)"), std::string::npos)
      << plan.out;
}

TEST_F(FirmwareRun, ACleanBuildInAnotherDirectoryGivesTheSameIndex) {
  ScratchDir scratch;
  fs::path project = copy_example("firmware", scratch.path() / "elsewhere" / "again");
  fs::path layout = scratch.path() / "layout";
  CommandResult again = xbuild({"run", "xbuild.toml", "--no-cache", "-o", "oci:" + layout.string()}, project);
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_EQ(read_file(layout / "index.json").value(), read_file(layout_ / "index.json").value());
}

TEST_F(FirmwareRun, ARegistryCarriesTheFirmwareNextToTheImage) {
  XB_REQUIRE_TOOLS("docker-registry");
  ScratchDir scratch;
  LocalRegistry registry(scratch.path() / "registry");
  ASSERT_TRUE(registry.ok()) << registry.error();
  const std::string ref = registry.host() + "/examples/crc16:1.0.0";
  CommandResult pushed = xbuild({"push", "oci:" + layout_.string(), ref});
  ASSERT_EQ(pushed.exit_code, 0) << pushed.out << pushed.err;
  CommandResult raw = run({"skopeo", "inspect", "--tls-verify=false", "--raw", "docker://" + ref});
  ASSERT_EQ(raw.exit_code, 0) << raw.err;
  EXPECT_EQ(json::parse(raw.out), index());
  CommandResult shown = xbuild({"manifest", "inspect", ref});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_NE(shown.out.find("  none/arm/cortex-m33  sha256:"), std::string::npos) << shown.out;
  EXPECT_NE(
      shown.out.find("application/vnd.oci.image.manifest.v1+json (artifact application/vnd.xbuild.firmware.v1)\n"),
      std::string::npos)
      << shown.out;
  json entry = entry_for("cortex-m4");
  std::string by_digest = registry.host() + "/examples/crc16@" + entry["digest"].get<std::string>();
  CommandResult artifact = run({"skopeo", "inspect", "--tls-verify=false", "--raw", "docker://" + by_digest});
  ASSERT_EQ(artifact.exit_code, 0) << artifact.err;
  EXPECT_EQ(artifact.out, blob_text(entry["digest"]));
  // Every file of the artifact is in the registry, byte for byte.
  fs::path copy = scratch.path() / "copy";
  CommandResult copied =
      run({"skopeo", "copy", "--src-tls-verify=false", "docker://" + by_digest, "oci:" + copy.string() + ":fw"});
  ASSERT_EQ(copied.exit_code, 0) << copied.err;
  json manifest = blob(entry["digest"]);  // kept: the loop must not range over a temporary's member
  for (const json& layer : manifest["layers"]) {
    std::string digest = layer["digest"];
    EXPECT_EQ(read_file(copy / "blobs" / "sha256" / digest.substr(7)).value(), blob_text(digest));
  }
  // xbuild pull picks the firmware by its platform, as it picks an image.
  fs::path pulled = scratch.path() / "pulled";
  CommandResult pull = xbuild({"pull", ref, "--platform", "none/arm/cortex-m4", "-o", "oci:" + pulled.string()});
  ASSERT_EQ(pull.exit_code, 0) << pull.out << pull.err;
  CommandResult pulled_raw = run({"skopeo", "inspect", "--raw", "oci:" + pulled.string()});
  ASSERT_EQ(pulled_raw.exit_code, 0) << pulled_raw.err;
  EXPECT_EQ(pulled_raw.out, blob_text(entry["digest"]));
}

TEST_F(FirmwareRun, AFailingAndAHangingFirmwareTestAreEachReportedAndNothingIsWritten) {
  ScratchDir scratch;
  fs::path project = copy_example("firmware", scratch.path() / "broken");
  std::string config = read_file(project / "xbuild.toml").value();
  config.replace(config.find("timeout = \"30s\""), 15, "timeout = 2");
  // cortex-m3 runs a suite with a failing test; cortex-m4 one that never exits.
  config +=
      "\n[platform.\"none/arm/cortex-m3\".stage.test]\n"
      "run = 'make -s OUT=\"$XBUILD_OUT\" \"$XBUILD_OUT/fail.elf\" && $XBUILD_EXEC \"$XBUILD_OUT/fail.elf\"'\n"
      "\n[platform.\"none/arm/cortex-m4\".stage.test]\n"
      "run = 'make -s OUT=\"$XBUILD_OUT\" \"$XBUILD_OUT/hang.elf\" && $XBUILD_EXEC \"$XBUILD_OUT/hang.elf\"'\n";
  ASSERT_TRUE(write_file_atomic(project / "xbuild.toml", config).ok());
  fs::path layout = scratch.path() / "layout";
  auto start = std::chrono::steady_clock::now();
  CommandResult failed = xbuild(
      {"run", "xbuild.toml", "--keep-going", "--no-cache", "--progress", "plain", "-o", "oci:" + layout.string()},
      project);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(60));
  EXPECT_EQ(failed.exit_code, 1) << failed.out << failed.err;
  EXPECT_NE(failed.out.find("test_deliberately_wrong:FAIL: Expected 4660 Was 10673\n"), std::string::npos)
      << failed.out;
  EXPECT_NE(failed.out.find("[none/arm/cortex-m3 test] firmware test fail.elf on cortex-m3 (mps2-an385): FAILED: exit "
                            "code 1\n"),
            std::string::npos)
      << failed.out;
  EXPECT_NE(failed.out.find("[none/arm/cortex-m4 test] firmware test hang.elf on cortex-m4 (mps2-an386): FAILED: no "
                            "exit after the timeout (2000 ms); qemu-system-arm was stopped\n"),
            std::string::npos)
      << failed.out;
  EXPECT_NE(failed.err.find("none/arm/cortex-m3"), std::string::npos) << failed.err;
  EXPECT_NE(failed.err.find("none/arm/cortex-m4"), std::string::npos) << failed.err;
  EXPECT_FALSE(fs::exists(layout));
}

TEST_F(FirmwareRun, AMissingFirmwareImageIsAClearErrorAndWritesNothing) {
  ScratchDir scratch;
  fs::path project = copy_example("firmware", scratch.path() / "noelf");
  std::string config = read_file(project / "xbuild.toml").value();
  config.replace(config.find("elf = \"firmware.elf\""), 20, "elf = \"app.elf\"");
  ASSERT_TRUE(write_file_atomic(project / "xbuild.toml", config).ok());
  fs::path layout = scratch.path() / "layout";
  CommandResult failed = xbuild({"run", "xbuild.toml", "-o", "oci:" + layout.string()}, project);
  EXPECT_EQ(failed.exit_code, 1) << failed.out << failed.err;
  EXPECT_NE(failed.err.find("xbuild: error: none/arm/cortex-m3: the firmware image " +
                            (project / ".xbuild" / "out" / "none-arm-cortex-m3" / "app.elf").string() +
                            " does not exist; a stage should write it to $XBUILD_OUT/app.elf, or [firmware] elf "
                            "should name the file it writes\n"),
            std::string::npos)
      << failed.err;
  EXPECT_FALSE(fs::exists(layout));
}

}  // namespace
}  // namespace xb::testing

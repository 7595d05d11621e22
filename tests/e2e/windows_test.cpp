// examples/greet end to end: Linux and Windows from one config. Real mingw-w64 compiles, real
// wine runs the .exe self-test, and the Windows image is read back by skopeo and, entry by
// entry, by Python's tarfile (an independent PAX reader).
#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "e2e/e2e_support.h"
#include "e2e/layout_json.h"
#include "util/fs.h"

namespace xb::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// ko's and crane's security descriptor: owner and group BUILTIN\Users (O:BUG:BU).
constexpr const char* kUsersSid = "AQAAgBQAAAAkAAAAAAAAAAAAAAABAgAAAAAABSAAAAAhAgAAAQIAAAAAAAUgAAAAIQIAAA==";

// Lists a gzip'd tar as JSON: [{name, type, pax}] in archive order; extracts one member's bytes.
constexpr const char* kListTar = R"(
import json, sys, tarfile
with tarfile.open(sys.argv[1], "r:gz") as tar:
    out = []
    for m in tar.getmembers():
        out.append({"name": m.name, "type": "dir" if m.isdir() else "file" if m.isfile() else "other",
                    "pax": m.pax_headers, "uid": m.uid, "gid": m.gid})
        if len(sys.argv) > 3 and m.name == sys.argv[2]:
            open(sys.argv[3], "wb").write(tar.extractfile(m).read())
    print(json.dumps(out))
)";

// What building examples/greet and reading it back takes.
const std::vector<std::string> kGreetTools = {
    "make", "skopeo", "python3", "aarch64-linux-gnu-gcc", "qemu-aarch64-static", "x86_64-w64-mingw32-gcc", "wine"};

class GreetExample : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!missing_tools(kGreetTools).empty()) return;  // SetUp says which, once per test
    scratch_ = std::make_unique<ScratchDir>();
    project_ = copy_example("greet", scratch_->path() / "greet");
    layout_ = scratch_->path() / "layout";
    result_ = xbuild({"run", "xbuild.toml", "--output", "oci:" + layout_.string()}, project_);
  }
  static void TearDownTestSuite() { scratch_.reset(); }

  void SetUp() override {
    XB_REQUIRE_TOOLS(kGreetTools);
    ASSERT_EQ(result_.exit_code, 0) << result_.out << result_.err;
  }

  static json blob(const std::string& digest) { return layout_blob_json(layout_, digest); }
  static json index() { return layout_image_index(layout_); }
  static json manifest_for(const std::string& os) {
    json manifests = index()["manifests"];
    for (const json& entry : manifests)
      if (entry["platform"]["os"] == os) return blob(entry["digest"]);
    ADD_FAILURE() << "no " << os << " manifest";
    return json::object();
  }

  static inline std::unique_ptr<ScratchDir> scratch_;
  static inline fs::path project_, layout_;
  static inline CommandResult result_;
};

TEST_F(GreetExample, OneIndexHoldsLinuxAndWindowsWithOsVersion) {
  CommandResult inspect = run({"skopeo", "inspect", "--raw", "oci:" + layout_.string()});
  ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
  json manifests = json::parse(inspect.out)["manifests"];
  ASSERT_EQ(manifests.size(), 3u);
  EXPECT_EQ(manifests[0]["platform"], json({{"os", "linux"}, {"architecture", "amd64"}}));
  EXPECT_EQ(manifests[1]["platform"], json({{"os", "linux"}, {"architecture", "arm64"}}));
  EXPECT_EQ(manifests[2]["platform"],
            json({{"os", "windows"}, {"architecture", "amd64"}, {"os.version", "10.0.20348.2582"}}));

  // skopeo picks the Windows image by its platform and reads its config.
  CommandResult config = run({"skopeo", "--override-os", "windows", "--override-arch", "amd64", "inspect", "--config",
                              "oci:" + layout_.string()});
  ASSERT_EQ(config.exit_code, 0) << config.err;
  json windows = json::parse(config.out);
  EXPECT_EQ(windows["os"], "windows");
  EXPECT_EQ(windows["os.version"], "10.0.20348.2582");
  EXPECT_EQ(windows["config"]["Entrypoint"], json::array({"C:\\app\\greet.exe"}));
  EXPECT_EQ(windows["rootfs"]["diff_ids"].size(), 1u);

  json linux_config = blob(manifest_for("linux")["config"]["digest"]);
  EXPECT_EQ(linux_config["config"]["Entrypoint"], json::array({"/app/greet"}));
  EXPECT_FALSE(linux_config.contains("os.version"));
}

TEST_F(GreetExample, WindowsLayerIsFilesAndHivesWithTheSecurityDescriptorOnEveryEntry) {
  json manifest = manifest_for("windows");
  ASSERT_EQ(manifest["layers"].size(), 1u);
  std::string digest = manifest["layers"][0]["digest"];
  EXPECT_EQ(manifest["layers"][0]["mediaType"], "application/vnd.oci.image.layer.v1.tar+gzip");
  fs::path exe = scratch_->path() / "greet.exe";
  CommandResult listed = run({"python3", "-c", kListTar, (layout_ / "blobs" / "sha256" / digest.substr(7)).string(),
                              "Files/app/greet.exe", exe.string()});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  json entries = json::parse(listed.out);

  std::vector<std::string> names;
  for (const json& entry : entries) names.push_back(entry["name"]);
  EXPECT_EQ(names, (std::vector<std::string>{"Hives", "Files", "Files/app", "Files/app/greet.exe"}));
  for (const json& entry : entries) {
    SCOPED_TRACE(entry.dump());
    EXPECT_EQ(entry["pax"], json({{"MSWINDOWS.rawsd", kUsersSid}}));
    EXPECT_EQ(entry["uid"], 0);
    EXPECT_EQ(entry["gid"], 0);
  }
  EXPECT_EQ(entries[0]["type"], "dir");
  EXPECT_EQ(entries[1]["type"], "dir");
  EXPECT_EQ(entries[3]["type"], "file");

  // The .exe in the layer is a PE file that wine runs.
  std::string bytes = read_file(exe).value();
  ASSERT_GE(bytes.size(), 2u);
  EXPECT_EQ(bytes.substr(0, 2), "MZ");
  CommandResult ran =
      run({"wine", exe.string(), "--self-test"},
          {{"WINEPREFIX", (project_ / ".xbuild" / "wine" / "windows-amd64").string()}, {"WINEDEBUG", "-all"}});
  EXPECT_EQ(ran.exit_code, 0) << ran.err;
  EXPECT_NE(ran.out.find("self-test on Windows"), std::string::npos) << ran.out;
}

TEST_F(GreetExample, WineRanTheWindowsSelfTestQuietlyInAPrefixUnderTheStateDirectory) {
  EXPECT_NE(result_.out.find("[windows/amd64 test] self-test on Windows"), std::string::npos) << result_.out;
  EXPECT_NE(result_.out.find("[linux/arm64 test] self-test on Linux"), std::string::npos) << result_.out;
  // WINEDEBUG=-all and a prefix made before the stages: no wine chatter in the stages' output.
  for (const char* noise : {"fixme:", "err:", "wine: "})
    EXPECT_EQ(result_.out.find(noise), std::string::npos) << noise << " in:\n" << result_.out;
  EXPECT_TRUE(fs::exists(project_ / ".xbuild" / "wine" / "windows-amd64" / "system.reg"));
  EXPECT_TRUE(fs::exists(project_ / ".xbuild" / "logs" / "windows-amd64" / "runner-setup.log"));
  std::string meson = read_file(project_ / ".xbuild" / "toolchains" / "windows-amd64.meson.ini").value();
  EXPECT_NE(meson.find("system = 'windows'"), std::string::npos) << meson;
  EXPECT_NE(meson.find("exe_wrapper = ['wine']"), std::string::npos) << meson;
}

TEST_F(GreetExample, AFailingWindowsTestStopsTheRunWithItsLog) {
  ScratchDir scratch;
  fs::path project = copy_example("greet", scratch.path() / "greet");
  std::string config = read_file(project / "xbuild.toml").value();
  std::string from = "run = '$XBUILD_EXEC \"$XBUILD_OUT/app/greet.exe\" --self-test'";
  std::size_t at = config.find(from);
  ASSERT_NE(at, std::string::npos);
  // A Windows program that fails: its exit status comes back through wine.
  config.replace(at, from.size(),
                 "run = '''\nprintf 'int main(void) { return 3; }' > fail.c\n$CC -o fail.exe fail.c\n"
                 "$XBUILD_EXEC ./fail.exe\n'''");
  ASSERT_TRUE(write_file_atomic(project / "xbuild.toml", config).ok());
  fs::path layout = scratch.path() / "layout";
  // A state directory of its own, so that the suite's stays as its run left it; only wine's
  // prefix (made once per state directory) is the suite's, as the other tests use it.
  fs::path state = scratch.path() / "state";
  fs::create_directories(state);
  fs::create_directory_symlink(project_ / ".xbuild" / "wine", state / "wine");
  CommandResult failed = xbuild(
      {"run", "xbuild.toml", "-o", "oci:" + layout.string(), "--state-dir", state.string(), "--no-cache"}, project);
  EXPECT_EQ(failed.exit_code, 1) << failed.out << failed.err;
  EXPECT_NE(failed.err.find("stage \"test\" failed on windows/amd64 (exit status 3)"), std::string::npos) << failed.err;
  EXPECT_FALSE(fs::exists(layout));
}

}  // namespace
}  // namespace xb::testing

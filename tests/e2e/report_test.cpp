// The end-of-run report: the summary table, --metadata-file and --junit, after a successful
// run and after a failed one.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "e2e/e2e_support.h"
#include "util/fs.h"

namespace xb::testing {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

const char* const kConfig = R"(
[project]
name = "hello"

[targets]
platforms = ["linux/amd64", "linux/arm64"]

[stage.build]
run = 'make -s -C src CC="$CC" OUT="$XBUILD_OUT"'

[stage.test]
needs = ["build"]
run = '$XBUILD_EXEC "$XBUILD_OUT/hello" --self-test'

[image]
name = "localhost:5000/demo/hello"
tags = ["1.0"]
entrypoint = ["/app/hello"]
copy = [{ from = "hello", to = "/app/hello" }]
)";

TEST(Report, MetadataFileHoldsTheDigestsOfTheLayout) {
  XB_REQUIRE_TOOLS("make", "aarch64-linux-gnu-gcc", "qemu-aarch64-static");
  ScratchDir scratch;
  fs::path project = copy_example("hello", scratch / "hello");
  scratch.write("hello/xbuild.toml", kConfig);
  fs::path metadata = scratch / "out/metadata.json";
  fs::create_directories(metadata.parent_path());
  CommandResult result =
      xbuild({"run", "--metadata-file", metadata.string(), "--junit", (scratch / "junit.xml").string()}, project);
  ASSERT_EQ(result.exit_code, 0) << result.err;

  json layout = json::parse(read_file(project / ".xbuild/oci/index.json").value());
  std::string index_digest = layout["manifests"][0]["digest"];
  json index = json::parse(read_file(project / ".xbuild/oci/blobs/sha256" / index_digest.substr(7)).value());
  json written = json::parse(read_file(metadata).value());
  EXPECT_EQ(written["containerimage.digest"], index_digest);
  EXPECT_EQ(written["containerimage.descriptor"]["digest"], index_digest);
  EXPECT_EQ(written["containerimage.descriptor"]["size"], layout["manifests"][0]["size"]);
  EXPECT_EQ(written["image.name"], "localhost:5000/demo/hello:1.0");
  for (const json& manifest : index["manifests"]) {
    std::string platform =
        manifest["platform"]["os"].get<std::string>() + "/" + manifest["platform"]["architecture"].get<std::string>();
    EXPECT_EQ(written["platforms"][platform]["containerimage.digest"], manifest["digest"]) << platform;
    EXPECT_EQ(written["platforms"][platform]["stages"], json({{"build", "ok"}, {"test", "ok"}})) << platform;
  }
  EXPECT_EQ(written["platforms"].size(), 2u);

  std::string junit = read_file(scratch / "junit.xml").value();
  EXPECT_NE(junit.find("<testsuites name=\"xbuild\" tests=\"4\" failures=\"0\""), std::string::npos) << junit;
  EXPECT_NE(junit.find("<testcase classname=\"linux/arm64\" name=\"test\" time=\""), std::string::npos) << junit;

  // The summary table, before the closing lines. (The other end-to-end tests read the metadata
  // file; the table and the closing digest lines are checked here.)
  EXPECT_NE(result.out.find("PLATFORM     STRATEGY  STAGES\n"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("\nlinux/arm64  cross     build ok "), std::string::npos) << result.out;
  // The closing lines: each platform's image digest, then the index digest, in full, and each
  // digest only there (the table has none).
  auto count = [&](const std::string& text) {
    std::size_t found = 0;
    for (std::size_t at = result.out.find(text); at != std::string::npos; at = result.out.find(text, at + 1)) ++found;
    return found;
  };
  for (const json& manifest : index["manifests"]) {
    std::string platform =
        manifest["platform"]["os"].get<std::string>() + "/" + manifest["platform"]["architecture"].get<std::string>();
    std::string digest = manifest["digest"].get<std::string>();
    EXPECT_NE(result.out.find("\n  " + platform + "  " + digest + "\n"), std::string::npos) << result.out;
    EXPECT_EQ(count(digest.substr(0, 19)), 1u) << result.out;
  }
  EXPECT_NE(result.out.find("\n  index        " + index_digest + "\n"), std::string::npos) << result.out;
  EXPECT_EQ(count(index_digest.substr(0, 19)), 1u) << result.out;
}

TEST(Report, AFailedRunStillWritesJunitWithTheLogAndMetadataWithoutDigests) {
  XB_REQUIRE_TOOLS("make", "aarch64-linux-gnu-gcc", "qemu-aarch64-static");
  ScratchDir scratch;
  fs::path project = copy_example("hello", scratch / "hello");
  scratch.write("hello/xbuild.toml", std::string(kConfig) + R"(
[platform."linux/arm64".stage.test]
run = 'echo "checking <things>"; echo boom >&2; exit 3'
)");
  fs::path junit = scratch / "junit.xml", metadata = scratch / "metadata.json";
  CommandResult result =
      xbuild({"run", "-j", "1", "--junit", junit.string(), "--metadata-file", metadata.string()}, project);
  EXPECT_EQ(result.exit_code, 1);
  std::string xml = read_file(junit).value();
  EXPECT_NE(xml.find("<testsuites name=\"xbuild\" tests=\"4\" failures=\"1\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("<failure message=\"failed (exit status 3)\" type=\"failed\">checking &lt;things&gt;\nboom\n"
                     "</failure>\n      <system-out>checking &lt;things&gt;\nboom\n</system-out>"),
            std::string::npos)
      << xml;
  json written = json::parse(read_file(metadata).value());
  EXPECT_FALSE(written.contains("containerimage.digest"));
  EXPECT_EQ(written["platforms"]["linux/arm64"]["stages"]["test"], "failed");
  EXPECT_NE(result.out.find("\nlinux/arm64  cross     build ok "), std::string::npos) << result.out;
  EXPECT_NE(result.out.find(", test failed "), std::string::npos) << result.out;
  // The failed stage's output again, at the end, after the table.
  fs::path log = project / ".xbuild/logs/linux-arm64/test.log";
  EXPECT_NE(result.out.find("\nlinux/arm64 test failed: exit status 3\n"
                            "xbuild: linux/arm64 test failed (exit status 3); its output (" +
                            log.string() +
                            "):\n"
                            "     1 | checking <things>\n"
                            "     2 | boom\n"),
            std::string::npos)
      << result.out;
}

TEST(Report, AMissingReportDirectoryIsRefusedBeforeAnythingRuns) {
  ScratchDir scratch;
  fs::path project = copy_example("hello", scratch / "hello");
  scratch.write("hello/xbuild.toml", kConfig);
  std::string before = snapshot_tree(scratch.path());
  fs::path file = scratch / "missing/junit.xml";
  CommandResult result = xbuild({"run", "--junit", file.string()}, project);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err, "xbuild: error: --junit " + file.string() + ": the directory " +
                            (scratch / "missing").string() + " does not exist; create it first\n");
  CommandResult directory = xbuild({"run", "--metadata-file", scratch.path().string()}, project);
  EXPECT_EQ(directory.exit_code, 2);
  EXPECT_EQ(directory.err, "xbuild: error: --metadata-file \"" + scratch.path().string() +
                               "\" is not a file name: name the file to write\n");
  EXPECT_EQ(snapshot_tree(scratch.path()), before);
}

}  // namespace
}  // namespace xb::testing

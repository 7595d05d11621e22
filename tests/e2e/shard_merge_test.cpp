// Sharded runs merged back together: three shards of examples/hello (five platforms, build
// stage only) built separately and merged with `xbuild merge` give the layout of one unsharded
// run, file for file; the refusals (a platform missing, two images for one platform, a bad
// --shard) leave the output untouched. The merged layout is pushed to a real registry and
// read back with skopeo.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "e2e/e2e_support.h"
#include "e2e/run_report.h"
#include "support/registry_fixture.h"
#include "util/fs.h"

namespace xb::testing {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

const std::vector<std::string> kCrossCompilers = {"make",
                                                  "x86_64-linux-gnu-gcc",
                                                  "aarch64-linux-gnu-gcc",
                                                  "arm-linux-gnueabihf-gcc",
                                                  "i686-linux-gnu-gcc",
                                                  "riscv64-linux-gnu-gcc"};

// examples/hello without its test stage: the split, not qemu, is under test here.
fs::path hello_project(const ScratchDir& scratch) {
  fs::path project = copy_example("hello", scratch / "hello");
  std::string config = read_file(project / "xbuild.toml").value();
  std::size_t test = config.find("[stage.test]");
  std::size_t image = config.find("[image]");
  config.erase(test, image - test);
  scratch.write("hello/xbuild.toml", config);
  return project;
}

std::string slurp(const fs::path& file) { return read_file(file).value(); }

std::vector<std::string> platforms_of(const fs::path& layout) {
  json top = json::parse(slurp(layout / "index.json"));
  std::string digest = top["manifests"][0]["digest"];
  json index = json::parse(slurp(layout / "blobs/sha256" / digest.substr(7)));
  std::vector<std::string> platforms;
  for (const json& manifest : index["manifests"]) {
    std::string name =
        manifest["platform"]["os"].get<std::string>() + "/" + manifest["platform"]["architecture"].get<std::string>();
    if (manifest["platform"].contains("variant")) name += "/" + manifest["platform"]["variant"].get<std::string>();
    platforms.push_back(name);
  }
  return platforms;
}

class ShardMerge : public ::testing::Test {
 protected:
  void build_shards() {
    project_ = hello_project(scratch_);
    for (int i = 1; i <= 3; ++i) {
      std::string shard = std::to_string(i) + "/3";
      CommandResult result =
          xbuild({"run", "--no-cache", "--shard", shard, "-o", "oci:" + shard_dir(i).string()}, project_);
      ASSERT_EQ(result.exit_code, 0) << result.err;
    }
  }
  fs::path shard_dir(int i) const { return scratch_ / ("shard-" + std::to_string(i)); }

  ScratchDir scratch_;
  fs::path project_;
};

TEST_F(ShardMerge, ThreeShardsMergedEqualOneUnshardedRunFileForFile) {
  XB_REQUIRE_TOOLS(kCrossCompilers);
  build_shards();
  // The split: platforms sorted by name (386, amd64, arm/v7, arm64, riscv64), dealt round-robin;
  // each shard's index keeps config order.
  EXPECT_EQ(platforms_of(shard_dir(1)), (std::vector<std::string>{"linux/arm64", "linux/386"}));
  EXPECT_EQ(platforms_of(shard_dir(2)), (std::vector<std::string>{"linux/amd64", "linux/riscv64"}));
  EXPECT_EQ(platforms_of(shard_dir(3)), (std::vector<std::string>{"linux/arm/v7"}));

  ReportedRun whole = xbuild_run({"--no-cache", "-o", "oci:" + (scratch_ / "whole").string()}, project_);
  ASSERT_EQ(whole.exit_code, 0) << whole.err;
  fs::path merged = scratch_ / "merged";
  CommandResult merge = xbuild({"merge", "oci:" + shard_dir(3).string(), shard_dir(1).string(),
                                "oci:" + shard_dir(2).string(), "-o", "oci:" + merged.string()});
  ASSERT_EQ(merge.exit_code, 0) << merge.err;

  // Every file: index.json, oci-layout, the index, each manifest, config and layer.
  EXPECT_EQ(snapshot_tree(merged), snapshot_tree(scratch_ / "whole"));
  json top = json::parse(slurp(merged / "index.json"));
  std::string index_digest = top["manifests"][0]["digest"];
  EXPECT_EQ(
      merge.out.rfind("xbuild: merged 3 layouts (5 platforms); wrote oci:" + merged.string() + " (tag 1.0.0)\n", 0), 0u)
      << merge.out;
  // merge writes no metadata file: its closing lines are its only report of the index.
  EXPECT_NE(merge.out.find("\n  index          " + index_digest + "\n"), std::string::npos) << merge.out;
  EXPECT_EQ(whole.index_digest(), index_digest) << whole.metadata;
  // The same merge into an archive equals the unsharded run's archive.
  CommandResult whole_tar = xbuild({"run", "-o", "oci-archive:" + (scratch_ / "whole.tar").string()}, project_);
  ASSERT_EQ(whole_tar.exit_code, 0) << whole_tar.err;
  CommandResult merge_tar = xbuild({"merge", shard_dir(1).string(), shard_dir(2).string(), shard_dir(3).string(), "-o",
                                    "oci-archive:" + (scratch_ / "merged.tar").string()});
  ASSERT_EQ(merge_tar.exit_code, 0) << merge_tar.err;
  EXPECT_EQ(slurp(scratch_ / "merged.tar"), slurp(scratch_ / "whole.tar"));
  // The shard annotations stay in the shards.
  json shard_top = json::parse(slurp(shard_dir(2) / "index.json"));
  std::string shard_index = shard_top["manifests"][0]["digest"];
  json annotations = json::parse(slurp(shard_dir(2) / "blobs/sha256" / shard_index.substr(7)))["annotations"];
  EXPECT_EQ(annotations["dev.xbuild.shard"], "2/3");
  EXPECT_EQ(annotations["dev.xbuild.platforms"], "linux/amd64,linux/arm64,linux/arm/v7,linux/386,linux/riscv64");
}

TEST_F(ShardMerge, AMissingShardIsRefusedUnlessAllowPartial) {
  XB_REQUIRE_TOOLS(kCrossCompilers);
  build_shards();
  fs::path merged = scratch_ / "merged";
  scratch_.write("merged/keep", "previous");
  CommandResult refused =
      xbuild({"merge", shard_dir(1).string(), shard_dir(2).string(), "-o", "oci:" + merged.string()});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_EQ(refused.err,
            "xbuild: error: cannot merge: 1 of the 5 expected platforms is missing: linux/arm/v7; merge their shards "
            "too, or pass --allow-partial to merge what is there\n");
  EXPECT_EQ(slurp(merged / "keep"), "previous");

  CommandResult partial = xbuild(
      {"merge", shard_dir(1).string(), shard_dir(2).string(), "-o", "oci:" + merged.string(), "--allow-partial"});
  ASSERT_EQ(partial.exit_code, 0) << partial.err;
  EXPECT_NE(partial.out.find("\nxbuild: warning: linux/arm/v7 is missing (--allow-partial)\n"), std::string::npos)
      << partial.out;
  EXPECT_EQ(platforms_of(merged),
            (std::vector<std::string>{"linux/amd64", "linux/arm64", "linux/386", "linux/riscv64"}));

  // --expect overrides the shards' list: here it names a platform none of them has.
  CommandResult expected = xbuild({"merge", shard_dir(3).string(), "-o", "oci:" + (scratch_ / "x").string(), "--expect",
                                   "linux/arm/v7,linux/s390x"});
  EXPECT_EQ(expected.exit_code, 1);
  EXPECT_EQ(expected.err,
            "xbuild: error: cannot merge: 1 of the 2 expected platforms is missing: linux/s390x; merge their shards "
            "too, or pass --allow-partial to merge what is there\n");
  CommandResult unexpected =
      xbuild({"merge", shard_dir(3).string(), "-o", "oci:" + (scratch_ / "x").string(), "--expect", "linux/amd64"});
  EXPECT_EQ(unexpected.exit_code, 1);
  EXPECT_EQ(unexpected.err, "xbuild: error: cannot merge: " + shard_dir(3).string() +
                                " holds linux/arm/v7, which is not one of the expected platforms (linux/amd64)\n");
  EXPECT_FALSE(fs::exists(scratch_ / "x"));
}

TEST_F(ShardMerge, TwoDifferentImagesForOnePlatformAreRefused) {
  XB_REQUIRE_TOOLS(kCrossCompilers);
  build_shards();
  // The same shard again, from a changed config: other manifests, same index annotations.
  std::string config = slurp(project_ / "xbuild.toml");
  config.replace(config.find("labels = {"), 10, "labels = { \"changed\" = \"yes\", ");
  scratch_.write("hello/xbuild.toml", config);
  CommandResult again =
      xbuild({"run", "--no-cache", "--shard", "3/3", "-o", "oci:" + (scratch_ / "shard-3b").string()}, project_);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  auto child = [&](const fs::path& layout) {
    std::string index = json::parse(slurp(layout / "index.json"))["manifests"][0]["digest"];
    return json::parse(slurp(layout / "blobs/sha256" / index.substr(7)))["manifests"][0]["digest"].get<std::string>();
  };
  std::string a = child(shard_dir(3));
  std::string b = child(scratch_ / "shard-3b");
  ASSERT_NE(a, b);
  CommandResult refused = xbuild({"merge", shard_dir(1).string(), shard_dir(2).string(), shard_dir(3).string(),
                                  (scratch_ / "shard-3b").string(), "-o", "oci:" + (scratch_ / "m").string()});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_EQ(refused.err, "xbuild: error: cannot merge: linux/arm/v7 has two different images: " + a + " in " +
                             shard_dir(3).string() + " and " + b + " in " + (scratch_ / "shard-3b").string() +
                             "; merge only shards built from the same commit and SOURCE_DATE_EPOCH\n");
  EXPECT_FALSE(fs::exists(scratch_ / "m"));

  // A shard from another SOURCE_DATE_EPOCH: the indexes' created annotations differ.
  CommandResult later = xbuild({"run", "--no-cache", "--shard", "2/3", "-o", "oci:" + (scratch_ / "late").string()},
                               project_, {{"SOURCE_DATE_EPOCH", "1700000001"}});
  ASSERT_EQ(later.exit_code, 0) << later.err;
  CommandResult mixed = xbuild({"merge", shard_dir(1).string(), (scratch_ / "late").string(), shard_dir(3).string(),
                                "-o", "oci:" + (scratch_ / "m").string()});
  EXPECT_EQ(mixed.exit_code, 1);
  std::string created = json::parse(
      slurp(shard_dir(1) / "blobs/sha256" /
            json::parse(slurp(shard_dir(1) / "index.json"))["manifests"][0]["digest"].get<std::string>().substr(
                7)))["annotations"]["org.opencontainers.image.created"];
  EXPECT_EQ(mixed.err,
            "xbuild: error: cannot merge: the layouts' indexes differ: org.opencontainers.image.created=" + created +
                " in " + shard_dir(1).string() + " but org.opencontainers.image.created=2023-11-14T22:13:21Z in " +
                (scratch_ / "late").string() + "; build every shard from the same commit and SOURCE_DATE_EPOCH\n");
}

TEST_F(ShardMerge, PlanShowsTheShardsPlatforms) {
  XB_REQUIRE_TOOLS(kCrossCompilers);
  project_ = hello_project(scratch_);
  CommandResult plan = xbuild({"plan", "--shard", "2/3"}, project_);
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  EXPECT_EQ(plan.out.rfind("shard 2/3: linux/amd64, linux/riscv64 (of 5 platforms)\n", 0), 0u) << plan.out;
  EXPECT_EQ(plan.out.find("linux/arm64"), std::string::npos) << plan.out;
  CommandResult bad = xbuild({"plan", "--shard", "3/2"}, project_);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(bad.err, "xbuild: error: --shard 3/2: the shard number must be from 1 to 2\n");
}

TEST_F(ShardMerge, BadShardValuesAndArgumentsAreRefusedBeforeAnythingRuns) {
  XB_REQUIRE_TOOLS(kCrossCompilers);
  project_ = hello_project(scratch_);
  std::string before = snapshot_tree(scratch_.path());
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"x", "--shard \"x\" is not I/N: write the shard's number and the shard count, e.g. --shard 2/3"},
      {"1/3/2", "--shard \"1/3/2\" is not I/N: write the shard's number and the shard count, e.g. --shard 2/3"},
      {"-1/3", "--shard \"-1/3\" is not I/N: write the shard's number and the shard count, e.g. --shard 2/3"},
      {"1/0", "--shard 1/0: the shard count must be at least 1"},
      {"0/3", "--shard 0/3: the shard number must be from 1 to 3"},
      {"4/3", "--shard 4/3: the shard number must be from 1 to 3"},
      {"6/6", "--shard 6/6: " + (project_ / "xbuild.toml").string() +
                  " has 5 platforms, so shard 6 would build nothing; use at most 5 shards"},
  };
  for (const auto& [value, message] : cases) {
    CommandResult result = xbuild({"run", "--shard", value}, project_);
    EXPECT_EQ(result.exit_code, 2) << value;
    EXPECT_EQ(result.err, "xbuild: error: " + message + "\n") << value;
  }
  CommandResult push = xbuild({"run", "--shard", "1/2", "--push"}, project_);
  EXPECT_EQ(push.exit_code, 2);
  EXPECT_EQ(push.err,
            "xbuild: error: --push with --shard would tag an index of one shard; merge the shards, then push: xbuild "
            "merge LAYOUT... -o oci:DIR --push REF\n");
  CommandResult not_layout =
      xbuild({"merge", (scratch_ / "nowhere").string(), "-o", "oci:" + (scratch_ / "m").string()});
  EXPECT_EQ(not_layout.exit_code, 2);
  EXPECT_EQ(not_layout.err,
            "xbuild: error: " + (scratch_ / "nowhere").string() + " is not an OCI layout (no index.json there)\n");
  EXPECT_EQ(snapshot_tree(scratch_.path()), before);
}

TEST_F(ShardMerge, MergePushesTheMergedIndexToARegistry) {
  XB_REQUIRE_TOOLS(kCrossCompilers);
  XB_REQUIRE_TOOLS("docker-registry", "skopeo");
  build_shards();
  LocalRegistry registry(scratch_ / "registry");
  ASSERT_TRUE(registry.ok()) << registry.error();
  fs::path merged = scratch_ / "merged";
  std::string reference = registry.host() + "/nightly/hello:latest";
  CommandResult merge = xbuild({"merge", shard_dir(1).string(), shard_dir(2).string(), shard_dir(3).string(), "-o",
                                "oci:" + merged.string(), "--push", reference, "--insecure-registry", registry.host()});
  ASSERT_EQ(merge.exit_code, 0) << merge.err;
  std::string index_digest = json::parse(slurp(merged / "index.json"))["manifests"][0]["digest"];
  EXPECT_EQ(merge.out.rfind("xbuild: pushed " + reference + " (" + index_digest + ")\n", 0), 0u) << merge.out;
  CommandResult inspect = run({"skopeo", "inspect", "--raw", "--tls-verify=false", "docker://" + reference});
  ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
  EXPECT_EQ(inspect.out, slurp(merged / "blobs/sha256" / index_digest.substr(7)));
}

}  // namespace
}  // namespace xb::testing

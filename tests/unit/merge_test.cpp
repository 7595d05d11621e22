#include "oci/merge.h"

#include <gtest/gtest.h>

#include "oci/image.h"
#include "oci/layout_reader.h"
#include "support/scratch_dir.h"
#include "util/fs.h"

namespace xb::oci {
namespace {

namespace fs = std::filesystem;
using testing::ScratchDir;

Platform platform(const std::string& name) { return parse_platform(name).value(); }

// One image per platform (a layer whose content is `seed` + the platform), like a shard.
struct Shard {
  std::vector<std::string> platforms;
  std::string seed = "same";
  std::map<std::string, std::string> annotations = {{kAnnotationCreated, "2023-11-14T22:13:20Z"}};
  std::string tag = "1.0";
  std::string image_name = "registry.example/app:1.0";
  // On index.json itself: the run's result and identity.
  std::map<std::string, std::string> identity = {
      {kAnnotationResult, "ok"}, {kAnnotationConfigDigest, "sha256:c0f"}, {kAnnotationCreated, "2023-11-14T22:13:20Z"}};
};

Descriptor write_image(LayoutWriter& layout, const std::string& name, const std::string& seed) {
  Descriptor layer = layout.add_blob("layer of " + name + " " + seed, kMediaTypeLayerGzip).value();
  ImageConfig config;
  config.platform = platform(name);
  config.diff_ids = {layer.digest};
  Descriptor config_blob = layout.add_blob(image_config_json(config), kMediaTypeConfig).value();
  Descriptor manifest = layout.add_blob(manifest_json(config_blob, {layer}), kMediaTypeManifest).value();
  manifest.platform = platform(name);
  return manifest;
}

std::string write_layout(const fs::path& directory, const Shard& shard) {
  LayoutWriter layout = LayoutWriter::create(directory).value();
  std::vector<Descriptor> manifests;
  for (const std::string& name : shard.platforms) manifests.push_back(write_image(layout, name, shard.seed));
  Descriptor index = layout.add_blob(index_json(manifests, shard.annotations), kMediaTypeIndex).value();
  EXPECT_TRUE(layout.finish(index, shard.tag, shard.image_name, shard.identity).ok());
  return index.digest;
}

class Merge : public ::testing::Test {
 protected:
  Shard shard(std::vector<std::string> platforms, const std::string& number) {
    Shard result;
    result.platforms = std::move(platforms);
    result.annotations[kAnnotationShard] = number;
    result.annotations[kAnnotationPlatforms] = "linux/amd64,linux/arm64,linux/arm/v7";
    result.identity[kAnnotationShard] = number;
    result.identity[kAnnotationPlatforms] = result.annotations[kAnnotationPlatforms];
    return result;
  }
  fs::path layout(const std::string& name, const Shard& content) {
    write_layout(scratch_ / name, content);
    return scratch_ / name;
  }
  Result<MergeResult> merge(const std::vector<fs::path>& inputs, const MergeOptions& options = {}) {
    LayoutWriter out = LayoutWriter::create(scratch_ / "out").value();
    return merge_layouts(inputs, options, out);
  }
  ScratchDir scratch_;
};

TEST_F(Merge, ShardsMergeIntoTheIndexOfOneLayoutInTheShardsOrder) {
  Shard whole;
  whole.platforms = {"linux/amd64", "linux/arm64", "linux/arm/v7"};
  std::string expected = write_layout(scratch_ / "whole", whole);
  fs::path a = layout("a", shard({"linux/arm64"}, "1/2"));
  fs::path b = layout("b", shard({"linux/amd64", "linux/arm/v7"}, "2/2"));
  Result<MergeResult> merged = merge({a, b});
  ASSERT_TRUE(merged.ok()) << merged.error();
  EXPECT_EQ(merged.value().index.digest, expected);
  EXPECT_EQ(merged.value().ref_name, "1.0");
  EXPECT_EQ(merged.value().blobs, 9u);
  ASSERT_EQ(merged.value().images.size(), 3u);
  EXPECT_EQ(merged.value().images[2].platform, "linux/arm/v7");
  EXPECT_EQ(testing::snapshot_tree(scratch_ / "out"), testing::snapshot_tree(scratch_ / "whole"));
  // The shards' name, for an archive's loaders, as the whole run's layout has it.
  EXPECT_NE(
      read_file(scratch_ / "out/index.json").value().find(R"("io.containerd.image.name":"registry.example/app:1.0")"),
      std::string::npos);
}

TEST_F(Merge, RefusesLayoutsThatNameDifferentImages) {
  fs::path a = layout("a", shard({"linux/arm64"}, "1/2"));
  Shard renamed = shard({"linux/amd64", "linux/arm/v7"}, "2/2");
  renamed.image_name = "registry.example/other:1.0";
  Result<MergeResult> merged = merge({a, layout("b", renamed)});
  ASSERT_FALSE(merged.ok());
  EXPECT_EQ(merged.error(), "the layouts name different images: \"registry.example/app:1.0\" in " + a.string() +
                                " and \"registry.example/other:1.0\" in " + (scratch_ / "b").string());
}

TEST_F(Merge, WithoutAPlatformListTheOrderIsByName) {
  Shard one;
  one.platforms = {"linux/riscv64", "linux/amd64"};
  Result<MergeResult> merged = merge({layout("a", one)});
  ASSERT_TRUE(merged.ok()) << merged.error();
  EXPECT_EQ(merged.value().images[0].platform, "linux/amd64");
  EXPECT_EQ(merged.value().images[1].platform, "linux/riscv64");
}

TEST_F(Merge, TheSameImageTwiceIsOneImage) {
  fs::path a = layout("a", shard({"linux/amd64", "linux/arm64"}, "1/2"));
  fs::path b = layout("b", shard({"linux/arm64", "linux/arm/v7"}, "2/2"));
  Result<MergeResult> merged = merge({a, b});
  ASSERT_TRUE(merged.ok()) << merged.error();
  EXPECT_EQ(merged.value().images.size(), 3u);
}

TEST_F(Merge, RefusesTwoImagesForOnePlatform) {
  fs::path a = layout("a", shard({"linux/amd64", "linux/arm64"}, "1/2"));
  Shard other = shard({"linux/arm64", "linux/arm/v7"}, "2/2");
  other.seed = "changed";
  fs::path b = layout("b", other);
  Result<MergeResult> merged = merge({a, b});
  ASSERT_FALSE(merged.ok());
  EXPECT_EQ(merged.error().substr(0, 40), "linux/arm64 has two different images: sh");
  EXPECT_NE(merged.error().find(" in " + a.string() + " and sha256:"), std::string::npos) << merged.error();
  EXPECT_NE(
      merged.error().find(" in " + b.string() + "; merge only shards built from the same commit and SOURCE_DATE_EPOCH"),
      std::string::npos)
      << merged.error();
}

TEST_F(Merge, RefusesMissingPlatformsUnlessPartialIsAllowed) {
  fs::path a = layout("a", shard({"linux/arm64"}, "1/2"));
  Result<MergeResult> refused = merge({a});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error(),
            "2 of the 3 expected platforms are missing: linux/amd64, linux/arm/v7; merge their shards too, or pass "
            "--allow-partial to merge what is there");
  fs::remove_all(scratch_ / "out");
  Result<MergeResult> partial = merge({a}, {{}, true});
  ASSERT_TRUE(partial.ok()) << partial.error();
  EXPECT_EQ(partial.value().missing, (std::vector<std::string>{"linux/amd64", "linux/arm/v7"}));
}

TEST_F(Merge, GivenPlatformsReplaceTheShardsList) {
  fs::path a = layout("a", shard({"linux/arm64", "linux/amd64"}, "1/1"));
  Result<MergeResult> refused = merge({a}, {{platform("linux/arm64")}, false});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error(),
            a.string() + " holds linux/amd64, which is not one of the expected platforms (linux/arm64)");
  fs::remove_all(scratch_ / "out");
  Result<MergeResult> ordered = merge({a}, {{platform("linux/arm64"), platform("linux/amd64")}, false});
  ASSERT_TRUE(ordered.ok()) << ordered.error();
  EXPECT_EQ(ordered.value().images[0].platform, "linux/arm64");
}

TEST_F(Merge, RefusesDifferentTagsAnnotationsAndPlatformLists) {
  fs::path a = layout("a", shard({"linux/arm64"}, "1/2"));
  Shard tagged = shard({"linux/amd64", "linux/arm/v7"}, "2/2");
  tagged.tag = "2.0";
  Result<MergeResult> tags = merge({a, layout("b", tagged)});
  ASSERT_FALSE(tags.ok());
  EXPECT_EQ(tags.error(), "the layouts carry different tags: \"1.0\" in " + a.string() + " and \"2.0\" in " +
                              (scratch_ / "b").string());

  fs::remove_all(scratch_ / "out");
  Shard listed = shard({"linux/amd64"}, "2/2");
  listed.annotations[kAnnotationPlatforms] = "linux/amd64,linux/arm64";
  Result<MergeResult> lists = merge({a, layout("c", listed)});
  ASSERT_FALSE(lists.ok());
  EXPECT_EQ(lists.error(),
            "the layouts were built from different platform lists: linux/amd64,linux/arm64,linux/arm/v7 in " +
                a.string() + " and linux/amd64,linux/arm64 in " + (scratch_ / "c").string() +
                "; build every shard from the same xbuild.toml");
}

TEST_F(Merge, RefusesABlobThatDoesNotMatchItsDigest) {
  Shard one;
  one.platforms = {"linux/amd64"};
  fs::path a = layout("a", one);
  std::string layer_digest;
  for (const fs::directory_entry& entry : fs::directory_iterator(a / "blobs/sha256")) {
    std::string content = read_file(entry.path()).value();
    if (content.rfind("layer of", 0) == 0) {
      layer_digest = "sha256:" + entry.path().filename().string();
      ASSERT_TRUE(write_file_atomic(entry.path(), std::string(content.size(), 'x')).ok());  // same size
    }
  }
  Result<MergeResult> merged = merge({a});
  ASSERT_FALSE(merged.ok());
  EXPECT_EQ(merged.error(), "the blob " + (a / "blobs/sha256" / layer_digest.substr(7)).string() +
                                " does not match its digest " + layer_digest);
  // Cut short, it is refused by its size before it is read.
  fs::path blob = a / "blobs/sha256" / layer_digest.substr(7);
  std::size_t size = fs::file_size(blob);
  ASSERT_TRUE(write_file_atomic(blob, "short").ok());
  fs::remove_all(scratch_ / "out");
  EXPECT_EQ(merge({a}).error(), "the blob " + blob.string() + " holds 5 bytes, but its descriptor (" + layer_digest +
                                    ") declares " + std::to_string(size) + "; the layout is damaged or was altered");
}

TEST_F(Merge, RefusesALayoutThatIsNotOneImageIndex) {
  scratch_.write(
      "empty/index.json",
      R"({"schemaVersion":2,"manifests":[],"annotations":{"dev.xbuild.result":"ok",)"
      R"("dev.xbuild.config.digest":"sha256:c0f","org.opencontainers.image.created":"2023-11-14T22:13:20Z"}})");
  Result<MergeResult> merged = merge({scratch_ / "empty"});
  ASSERT_FALSE(merged.ok());
  EXPECT_EQ(merged.error(), "the OCI layout " + (scratch_ / "empty").string() +
                                " does not hold exactly one image index; merge layouts written by xbuild run");
}

std::string render_annotations(const std::map<std::string, std::string>& annotations) {
  std::string text;
  for (const auto& [key, value] : annotations) text += (text.empty() ? "" : " ") + key + "=" + value;
  return text;
}

std::string layout_annotations(const fs::path& layout) {
  return render_annotations(LayoutReader::read_index(layout).value().annotations());
}

TEST_F(Merge, TheMergedIndexJsonCarriesTheSharedIdentityWithoutTheShardKeys) {
  fs::path a = layout("a", shard({"linux/arm64"}, "1/2"));
  fs::path b = layout("b", shard({"linux/amd64", "linux/arm/v7"}, "2/2"));
  ASSERT_TRUE(merge({a, b}).ok());
  EXPECT_EQ(
      layout_annotations(scratch_ / "out"),
      "dev.xbuild.config.digest=sha256:c0f dev.xbuild.result=ok org.opencontainers.image.created=2023-11-14T22:13:20Z");
  fs::remove_all(scratch_ / "out");
  Result<MergeResult> partial = merge({a}, {{}, true});
  ASSERT_TRUE(partial.ok()) << partial.error();
  EXPECT_EQ(layout_annotations(scratch_ / "out"),
            "dev.xbuild.config.digest=sha256:c0f dev.xbuild.missing=linux/amd64,linux/arm/v7 dev.xbuild.result=ok "
            "org.opencontainers.image.created=2023-11-14T22:13:20Z");
}

// A failed shard's layout as xbuild run leaves it: no image, its identity with result failed.
fs::path failed_layout(const fs::path& directory, const std::string& number) {
  LayoutWriter layout = LayoutWriter::create(directory).value();
  EXPECT_TRUE(layout
                  .finish_empty({{kAnnotationResult, "failed"},
                                 {kAnnotationConfigDigest, "sha256:c0f"},
                                 {kAnnotationCreated, "2023-11-14T22:13:20Z"},
                                 {kAnnotationShard, number},
                                 {kAnnotationPlatforms, "linux/amd64,linux/arm64,linux/arm/v7"}})
                  .ok());
  return directory;
}

TEST_F(Merge, AFailedShardIsRefusedOrLeftOutWithAllowPartial) {
  fs::path a = layout("a", shard({"linux/arm64"}, "1/2"));
  fs::path b = failed_layout(scratch_ / "b", "2/2");
  Result<MergeResult> refused = merge({a, b});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error(), b.string() +
                                 " (shard 2/2) cannot be merged: its run failed; fix the failure and run shard 2/2 "
                                 "again, or pass --allow-partial to merge the others without it");
  fs::remove_all(scratch_ / "out");
  Result<MergeResult> partial = merge({a, b}, {{}, true});
  ASSERT_TRUE(partial.ok()) << partial.error();
  ASSERT_EQ(partial.value().left_out.size(), 1u);
  EXPECT_EQ(partial.value().left_out[0].layout, b);
  EXPECT_EQ(partial.value().left_out[0].shard, "2/2");
  EXPECT_EQ(partial.value().left_out[0].reason, "its run failed");
  EXPECT_TRUE(partial.value().left_out[0].failed);
  EXPECT_EQ(partial.value().merged, (std::vector<fs::path>{a}));
  EXPECT_EQ(partial.value().missing, (std::vector<std::string>{"linux/amd64", "linux/arm/v7"}));
  fs::remove_all(scratch_ / "out");
  Result<MergeResult> only_failed = merge({b}, {{}, true});
  ASSERT_FALSE(only_failed.ok());
  EXPECT_EQ(only_failed.error(), "nothing to merge: every layout was left out");
}

TEST_F(Merge, AStaleShardIsNamedWithWhatDiffers) {
  fs::path a = layout("a", shard({"linux/arm64"}, "1/3"));
  fs::path b = layout("b", shard({"linux/amd64"}, "2/3"));
  Shard old = shard({"linux/arm/v7"}, "3/3");
  old.identity[kAnnotationConfigDigest] = "sha256:0ld";
  old.identity[kAnnotationRevision] = "1234abcd";
  old.identity[kAnnotationDirty] = "false";
  fs::path c = layout("c", old);
  Result<MergeResult> refused = merge({c, a, b});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error(), c.string() +
                                 " (shard 3/3) cannot be merged: it is stale: config digest sha256:0ld instead of "
                                 "sha256:c0f, commit 1234abcd instead of none, uncommitted changes false instead of "
                                 "none (as in " +
                                 a.string() +
                                 " and 1 more); run shard 3/3 again from the same commit, xbuild.toml and command line "
                                 "as the others, or pass --allow-partial to merge the others without it");
  fs::remove_all(scratch_ / "out");
  Result<MergeResult> partial = merge({c, a, b}, {{}, true});
  ASSERT_TRUE(partial.ok()) << partial.error();
  ASSERT_EQ(partial.value().left_out.size(), 1u);
  EXPECT_FALSE(partial.value().left_out[0].failed);
  EXPECT_EQ(partial.value().missing, (std::vector<std::string>{"linux/arm/v7"}));
}

TEST_F(Merge, ALayoutWithoutIdentityAndADuplicateShardAreRefused) {
  fs::path a = layout("a", shard({"linux/arm64"}, "1/2"));
  Shard bare = shard({"linux/amd64", "linux/arm/v7"}, "2/2");
  bare.identity.clear();
  fs::path b = layout("b", bare);
  Result<MergeResult> unidentified = merge({a, b});
  ASSERT_FALSE(unidentified.ok());
  EXPECT_EQ(
      unidentified.error(),
      b.string() +
          " cannot be merged: it has no run identity (no dev.xbuild.result on its index.json): it was not written "
          "by xbuild run, or by an older one; build it again with this xbuild, or pass --allow-partial to merge "
          "the others without it");
  fs::remove_all(scratch_ / "out");
  fs::path again = layout("again", shard({"linux/arm64"}, "1/2"));
  Result<MergeResult> twice = merge({a, again}, {{}, true});
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error(),
            "shard 1/2 is given twice: " + a.string() + " and " + again.string() + "; name each shard's layout once");
}

}  // namespace
}  // namespace xb::oci

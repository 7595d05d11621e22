// Tests for oci/layout_reader: layouts written by LayoutWriter (and damaged by hand) read back:
// roots, blobs checked against their digests, a platform's image, root filesystem layers, base
// images; every refusal by its message.
#include "oci/layout_reader.h"

#include <gtest/gtest.h>

#include "oci/image.h"
#include "oci/layout.h"
#include "support/scratch_dir.h"
#include "util/fs.h"

namespace xb::oci {
namespace {

namespace fs = std::filesystem;

Platform platform(const std::string& name) { return parse_platform(name).value(); }

class LayoutReaderTest : public ::testing::Test {
 protected:
  // An image of `name` with one layer per string of `layers` and a config holding `runtime`.
  Descriptor write_image(LayoutWriter& writer, const std::string& name, const std::vector<std::string>& layers,
                         ImageConfig runtime = {}) {
    std::vector<Descriptor> blobs;
    for (const std::string& content : layers) {
      blobs.push_back(writer.add_blob(content, kMediaTypeLayerGzip).value());
      runtime.diff_ids.push_back(blobs.back().digest);
    }
    runtime.platform = platform(name);
    Descriptor config = writer.add_blob(image_config_json(runtime), kMediaTypeConfig).value();
    Descriptor manifest = writer.add_blob(manifest_json(config, blobs), kMediaTypeManifest).value();
    manifest.platform = runtime.platform;
    return manifest;
  }

  // A layout holding one index of `platforms`, tagged `tag`.
  fs::path write_index_layout(const std::string& name, const std::vector<std::string>& platforms,
                              const std::string& tag = "1.0") {
    LayoutWriter writer = LayoutWriter::create(scratch_ / name).value();
    std::vector<Descriptor> images;
    for (const std::string& platform_name : platforms)
      images.push_back(write_image(writer, platform_name, {"layer of " + platform_name}));
    index_ = writer.add_blob(index_json(images), kMediaTypeIndex).value();
    EXPECT_TRUE(writer.finish(index_, tag).ok());
    images_ = images;
    return scratch_ / name;
  }

  testing::ScratchDir scratch_;
  Descriptor index_;
  std::vector<Descriptor> images_;
};

TEST_F(LayoutReaderTest, OpensALayoutAndItsRoots) {
  fs::path layout = write_index_layout("layout", {"linux/amd64", "linux/arm64"});
  Result<LayoutReader> reader = LayoutReader::open(layout);
  ASSERT_TRUE(reader.ok()) << reader.error();
  EXPECT_EQ(reader.value().directory(), layout);
  ASSERT_EQ(reader.value().roots().size(), 1u);
  EXPECT_EQ(reader.value().roots()[0].digest, index_.digest);
  EXPECT_EQ(reader.value().roots()[0].annotations.at(kAnnotationRefName), "1.0");
  // The only root is the one to use, whatever the tag asked for.
  EXPECT_EQ(reader.value().root("other").value().digest, index_.digest);
  EXPECT_NE(reader.value().tagged("1.0"), nullptr);
  EXPECT_EQ(reader.value().tagged("other"), nullptr);

  Result<Manifest> index = reader.value().manifest(reader.value().roots()[0]);
  ASSERT_TRUE(index.ok()) << index.error();
  EXPECT_TRUE(index.value().is_index());
  EXPECT_EQ(index.value().manifests, images_);
}

TEST_F(LayoutReaderTest, OpenWantsTheLayoutFileAndAnImage) {
  EXPECT_EQ(LayoutReader::open(scratch_ / "nowhere").error(),
            (scratch_ / "nowhere").string() + " is not an OCI image layout (it has no oci-layout file)");
  scratch_.write("empty/oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  scratch_.write("empty/index.json", R"({"schemaVersion":2,"manifests":[]})");
  EXPECT_EQ(LayoutReader::open(scratch_ / "empty").error(),
            (scratch_ / "empty/index.json").string() + ": the layout holds no image");
  // read_index() takes what is there.
  Result<LayoutReader> empty = LayoutReader::read_index(scratch_ / "empty");
  ASSERT_TRUE(empty.ok()) << empty.error();
  EXPECT_TRUE(empty.value().roots().empty());
  scratch_.write("bare/index.json", R"({"manifests":[]})");
  EXPECT_TRUE(LayoutReader::read_index(scratch_ / "bare").ok());
  EXPECT_EQ(LayoutReader::read_index(scratch_ / "nowhere").error(),
            "cannot read " + (scratch_ / "nowhere/index.json").string() + ": No such file or directory");
  scratch_.write("broken/oci-layout", "{}");
  scratch_.write("broken/index.json", "[]");
  EXPECT_EQ(LayoutReader::open(scratch_ / "broken").error(),
            (scratch_ / "broken/index.json").string() + ": not an image index");
}

TEST_F(LayoutReaderTest, ARootIsChosenByTagAmongSeveral) {
  scratch_.write("two/oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  Descriptor one{kMediaTypeManifest, "sha256:" + std::string(64, '1'), 1, std::nullopt, {{kAnnotationRefName, "1"}}};
  Descriptor two{kMediaTypeManifest, "sha256:" + std::string(64, '2'), 2, std::nullopt, {{kAnnotationRefName, "2"}}};
  scratch_.write("two/index.json", index_json({one, two}));
  LayoutReader reader = LayoutReader::open(scratch_ / "two").value();
  EXPECT_EQ(reader.root("2").value(), two);
  EXPECT_EQ(reader.tagged("1"), &reader.roots()[0]);
  EXPECT_EQ(reader.root("3").error(),
            (scratch_ / "two").string() + " holds 2 images and none is tagged \"3\"; name one of: 1, 2");
}

TEST_F(LayoutReaderTest, BlobPathsAreCheckedInOnePlace) {
  fs::path layout = write_index_layout("layout", {"linux/amd64"});
  LayoutReader reader = LayoutReader::open(layout).value();
  EXPECT_EQ(reader.blob_path(index_.digest).value(), layout / "blobs/sha256" / index_.digest.substr(7));
  for (const std::string& digest : {std::string("sha256:../../../etc/passwd"), "sha256:" + std::string(64, 'A'),
                                    std::string("md5:x"), std::string("")})
    EXPECT_EQ(reader.blob_path(digest).error(),
              "the layout " + layout.string() + " names a blob \"" + digest + "\" that is not a sha256 digest");
}

TEST_F(LayoutReaderTest, BlobsAreCheckedAgainstTheirDigests) {
  fs::path layout = write_index_layout("layout", {"linux/amd64"});
  LayoutReader reader = LayoutReader::open(layout).value();
  Descriptor layer = reader.manifest(images_[0]).value().layers[0];
  EXPECT_EQ(reader.blob(layer.digest).value(), "layer of linux/amd64");
  EXPECT_EQ(reader.verified_blob_file(layer.digest).value(), layout / "blobs/sha256" / layer.digest.substr(7));

  fs::path file = reader.blob_path(layer.digest).value();
  ASSERT_TRUE(write_file_atomic(file, "tampered").ok());
  std::string mismatch = "the blob " + file.string() + " does not match its digest " + layer.digest;
  EXPECT_EQ(reader.blob(layer.digest).error(), mismatch);
  EXPECT_EQ(reader.verified_blob_file(layer.digest).error(), mismatch);

  fs::remove(file);
  EXPECT_EQ(reader.blob(layer.digest).error(), "the layout " + layout.string() + " lacks the blob " + layer.digest +
                                                   ": cannot read " + file.string() + ": No such file or directory");
  EXPECT_EQ(reader.verified_blob_file(layer.digest).error(),
            "the layout " + layout.string() + " lacks the blob " + layer.digest + ": cannot read " + file.string());
}

TEST_F(LayoutReaderTest, APlatformsImageIsPickedFromAnIndex) {
  fs::path layout = write_index_layout("layout", {"linux/amd64", "linux/arm/v7", "linux/arm64"});
  LayoutReader reader = LayoutReader::open(layout).value();
  Manifest index = reader.manifest(reader.roots()[0]).value();
  EXPECT_EQ(reader.platform_manifest(index, platform("linux/arm/v7")).value(), images_[1]);
  EXPECT_EQ(reader.platform_manifest(index, platform("linux/arm64")).value(), images_[2]);
  // No fallbacks (arm64 does not take arm/v7, amd64 not 386); a variant on one side only matches.
  EXPECT_EQ(
      reader.platform_manifest(index, platform("linux/386")).error(),
      "the image in " + layout.string() + " has no linux/386 variant; it has: linux/amd64, linux/arm/v7, linux/arm64");
  Manifest unversioned = index;
  unversioned.manifests[1].platform->variant = "";
  unversioned.manifests.push_back({kMediaTypeManifest, index_.digest, 1, std::nullopt, {}});
  EXPECT_EQ(reader.platform_manifest(unversioned, platform("linux/arm/v6")).value(), unversioned.manifests[1]);
  EXPECT_EQ(reader.platform_manifest(unversioned, platform("linux/s390x")).error(),
            "the image in " + layout.string() +
                " has no linux/s390x variant; it has: linux/amd64, linux/arm, linux/arm64, (no platform)");
}

TEST_F(LayoutReaderTest, FindsTheLayersOfAPlatformsImageThroughAnIndex) {
  fs::path layout = write_index_layout("layout", {"linux/amd64", "linux/arm64"}, "bookworm");
  Result<ImageLayers> found = find_image_layers(layout, "bookworm", platform("linux/arm64"));
  ASSERT_TRUE(found.ok()) << found.error();
  EXPECT_EQ(found.value().manifest_digest, images_[1].digest);
  ASSERT_EQ(found.value().layers.size(), 1u);
  EXPECT_EQ(read_file(found.value().layers[0]).value(), "layer of linux/arm64");
  // The only root needs no tag; a tag must match.
  EXPECT_EQ(find_image_layers(layout, "", platform("linux/arm64")).value().manifest_digest, images_[1].digest);
  EXPECT_EQ(find_image_layers(layout, "trixie", platform("linux/arm64")).error(),
            "no image tagged \"trixie\" in the OCI layout " + layout.string() + "; it has: bookworm");
}

TEST_F(LayoutReaderTest, FindsTheLayersOfARootThatIsAnImage) {
  LayoutWriter writer = LayoutWriter::create(scratch_ / "layout").value();
  Descriptor image = write_image(writer, "linux/riscv64", {"bottom", "top"});
  ASSERT_TRUE(writer.finish(image, "").ok());
  Result<ImageLayers> found = find_image_layers(scratch_ / "layout", "", platform("linux/amd64"));
  ASSERT_TRUE(found.ok()) << found.error();
  EXPECT_EQ(found.value().manifest_digest, image.digest);
  ASSERT_EQ(found.value().layers.size(), 2u);
  EXPECT_EQ(read_file(found.value().layers[0]).value(), "bottom");
  EXPECT_EQ(read_file(found.value().layers[1]).value(), "top");
  EXPECT_EQ(find_image_layers(scratch_ / "layout", "x", platform("linux/amd64")).error(),
            "no image tagged \"x\" in the OCI layout " + (scratch_ / "layout").string() + "; it has: (untagged)");
}

TEST_F(LayoutReaderTest, FindImageLayersSaysWhatIsMissing) {
  scratch_.write("empty/index.json", R"({"schemaVersion":2,"manifests":[]})");
  EXPECT_EQ(find_image_layers(scratch_ / "empty", "", platform("linux/amd64")).error(),
            "no image (give a tag: oci:DIR:TAG) in the OCI layout " + (scratch_ / "empty").string() + "; it is empty");
  EXPECT_EQ(find_image_layers(scratch_ / "nowhere", "", platform("linux/amd64")).error(),
            "cannot read the OCI layout's index.json: cannot read " + (scratch_ / "nowhere/index.json").string() +
                ": No such file or directory");
  Descriptor one{kMediaTypeManifest, "sha256:" + std::string(64, '1'), 1, std::nullopt, {{kAnnotationRefName, "1"}}};
  Descriptor two{kMediaTypeManifest, "sha256:" + std::string(64, '2'), 2, std::nullopt, {}};
  scratch_.write("two/index.json", index_json({one, two}));
  EXPECT_EQ(find_image_layers(scratch_ / "two", "", platform("linux/amd64")).error(),
            "no image (give a tag: oci:DIR:TAG) in the OCI layout " + (scratch_ / "two").string() +
                "; it has: 1, (untagged)");
}

TEST_F(LayoutReaderTest, FindImageLayersRefusesANonDistributableLayerTheLayoutLacks) {
  LayoutWriter writer = LayoutWriter::create(scratch_ / "layout").value();
  Descriptor foreign{kMediaTypeDockerForeignLayerGzip, "sha256:" + std::string(64, 'f'), 5, std::nullopt, {}};
  foreign.urls = {"https://example.invalid/base.tar.gz"};
  ImageConfig runtime;
  runtime.platform = platform("windows/amd64");
  runtime.diff_ids = {"sha256:" + std::string(64, 'd')};
  Descriptor config = writer.add_blob(image_config_json(runtime), kMediaTypeConfig).value();
  Descriptor image = writer.add_blob(manifest_json(config, {foreign}), kMediaTypeManifest).value();
  ASSERT_TRUE(writer.finish(image, "ltsc2022").ok());
  EXPECT_EQ(find_image_layers(scratch_ / "layout", "ltsc2022", platform("windows/amd64")).error(),
            "the image " + image.digest + " in " + (scratch_ / "layout").string() + " has a non-distributable layer " +
                foreign.digest +
                " that the layout does not hold (it is downloaded from its urls only); use a root filesystem image "
                "whose layers are all in the layout");
}

TEST_F(LayoutReaderTest, ReadsABaseImage) {
  LayoutWriter writer = LayoutWriter::create(scratch_ / "base").value();
  ImageConfig runtime;
  runtime.entrypoint = {"/bin/sh"};
  runtime.cmd = {"-c", "true"};
  runtime.env = {"PATH=/bin"};
  runtime.working_dir = "/work";
  runtime.user = "nobody";
  Descriptor image = write_image(writer, "linux/amd64", {"one", "two"}, runtime);
  ASSERT_TRUE(writer.finish(image, "latest").ok());
  Result<BaseImage> base = read_base_image(scratch_ / "base", "docker.io/library/debian:12");
  ASSERT_TRUE(base.ok()) << base.error();
  EXPECT_EQ(base.value().name, "docker.io/library/debian:12");
  EXPECT_EQ(base.value().digest, image.digest);
  ASSERT_EQ(base.value().layers.size(), 2u);
  ASSERT_EQ(base.value().layer_files.size(), 2u);
  EXPECT_EQ(read_file(base.value().layer_files[1]).value(), "two");
  EXPECT_EQ(base.value().diff_ids,
            (std::vector<std::string>{base.value().layers[0].digest, base.value().layers[1].digest}));
  EXPECT_EQ(base.value().entrypoint, runtime.entrypoint);
  EXPECT_EQ(base.value().cmd, runtime.cmd);
  EXPECT_EQ(base.value().env, runtime.env);
  EXPECT_EQ(base.value().working_dir, "/work");
  EXPECT_EQ(base.value().user, "nobody");
  EXPECT_EQ(base.value().os_version, "");
}

TEST_F(LayoutReaderTest, ABaseImageKeepsItsNonDistributableLayersWithoutFiles) {
  LayoutWriter writer = LayoutWriter::create(scratch_ / "base").value();
  Descriptor foreign{kMediaTypeDockerForeignLayerGzip, "sha256:" + std::string(64, 'f'), 5, std::nullopt, {}};
  Descriptor own = writer.add_blob("own layer", kMediaTypeLayerGzip).value();
  ImageConfig runtime;
  runtime.platform = Platform{"windows", "amd64", "", "10.0.20348.2582"};
  runtime.diff_ids = {"sha256:" + std::string(64, 'd'), own.digest};
  Descriptor config = writer.add_blob(image_config_json(runtime), kMediaTypeConfig).value();
  Descriptor image = writer.add_blob(manifest_json(config, {foreign, own}), kMediaTypeManifest).value();
  ASSERT_TRUE(writer.finish(image, "latest").ok());
  Result<BaseImage> base = read_base_image(scratch_ / "base", "mcr.microsoft.com/windows/nanoserver:ltsc2022");
  ASSERT_TRUE(base.ok()) << base.error();
  EXPECT_EQ(base.value().layer_files,
            (std::vector<fs::path>{fs::path(), scratch_ / "base/blobs/sha256" / own.digest.substr(7)}));
  EXPECT_EQ(base.value().os_version, "10.0.20348.2582");
}

TEST_F(LayoutReaderTest, ABaseImageIsOneImageWhoseConfigListsEveryLayer) {
  fs::path layout = write_index_layout("index", {"linux/amd64"});
  EXPECT_EQ(read_base_image(layout, "x").error(), layout.string() + ": expected one image, found an index");

  LayoutWriter writer = LayoutWriter::create(scratch_ / "short").value();
  Descriptor layer = writer.add_blob("layer", kMediaTypeLayerGzip).value();
  ImageConfig runtime;
  runtime.platform = platform("linux/amd64");
  Descriptor config = writer.add_blob(image_config_json(runtime), kMediaTypeConfig).value();
  Descriptor image = writer.add_blob(manifest_json(config, {layer}), kMediaTypeManifest).value();
  ASSERT_TRUE(writer.finish(image, "latest").ok());
  EXPECT_EQ(read_base_image(scratch_ / "short", "base").error(),
            "base (config " + config.digest + "): the config lists 0 diff_ids for 1 layers");
}

TEST_F(LayoutReaderTest, TellsWhetherALayoutStillHoldsARootIndex) {
  fs::path layout = write_index_layout("layout", {"linux/amd64"});
  EXPECT_TRUE(layout_holds_root_index(layout, index_.digest));
  EXPECT_FALSE(layout_holds_root_index(layout, images_[0].digest));  // in the layout, but not a root
  EXPECT_FALSE(layout_holds_root_index(layout, "sha256:" + std::string(64, '0')));
  EXPECT_FALSE(layout_holds_root_index(scratch_ / "nowhere", index_.digest));
  fs::remove(layout / "blobs/sha256" / index_.digest.substr(7));
  EXPECT_FALSE(layout_holds_root_index(layout, index_.digest));
}

}  // namespace
}  // namespace xb::oci

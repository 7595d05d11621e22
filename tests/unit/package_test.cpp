// Tests for package: parsing --output, and packaging a two-platform plan into a layout or an
// archive, with every document checked as its exact text.
#include "package/package.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <vector>

#include "oci/layer.h"
#include "support/scratch_dir.h"
#include "support/tiny_elf.h"
#include "util/sha256.h"

namespace xb {
namespace {

namespace fs = std::filesystem;

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string hex(const std::string& digest) { return digest.substr(7); }

std::vector<std::string> archive_names(const fs::path& path) {
  std::vector<std::string> names;
  struct archive* archive = archive_read_new();
  archive_read_support_filter_all(archive);
  archive_read_support_format_tar(archive);
  EXPECT_EQ(archive_read_open_filename(archive, path.c_str(), 10240), ARCHIVE_OK);
  struct archive_entry* header = nullptr;
  while (archive_read_next_header(archive, &header) == ARCHIVE_OK) names.push_back(archive_entry_pathname(header));
  archive_read_free(archive);
  return names;
}

std::vector<std::string> directory_names(const fs::path& directory) {
  std::vector<std::string> names;
  for (const fs::directory_entry& entry : fs::directory_iterator(directory)) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

// --- parse_output -------------------------------------------------------------------------

TEST(PackageOutputTest, ParsesLayoutsAndArchives) {
  Result<OutputTarget> layout = parse_output("oci:out/image", "/base");
  ASSERT_TRUE(layout.ok()) << layout.error();
  EXPECT_EQ(layout.value().kind, OutputTarget::Kind::layout);
  EXPECT_EQ(layout.value().path, "/base/out/image");
  EXPECT_EQ(layout.value().str(), "oci:/base/out/image");

  Result<OutputTarget> archive = parse_output("oci-archive:/srv/image.tar", "/base");
  ASSERT_TRUE(archive.ok()) << archive.error();
  EXPECT_EQ(archive.value().kind, OutputTarget::Kind::archive);
  EXPECT_EQ(archive.value().path, "/srv/image.tar");
  EXPECT_EQ(archive.value().str(), "oci-archive:/srv/image.tar");

  Result<OutputTarget> trailing = parse_output("oci:./out/../image/", "/base");
  ASSERT_TRUE(trailing.ok()) << trailing.error();
  EXPECT_EQ(trailing.value().path, "/base/image");
}

TEST(PackageOutputTest, RejectsOtherTransports) {
  Result<OutputTarget> docker = parse_output("docker://localhost:5000/x", "/base");
  ASSERT_FALSE(docker.ok());
  EXPECT_EQ(docker.error(),
            "invalid output \"docker://localhost:5000/x\": expected oci:DIR, oci-archive:FILE or local:DIR");
  Result<OutputTarget> bare = parse_output("out", "/base");
  ASSERT_FALSE(bare.ok());
  EXPECT_EQ(bare.error(), "invalid output \"out\": expected oci:DIR, oci-archive:FILE or local:DIR");
}

TEST(PackageOutputTest, ParsesLocalDirectories) {
  Result<OutputTarget> local = parse_output("local:dist/", "/base");
  ASSERT_TRUE(local.ok()) << local.error();
  EXPECT_EQ(local.value().kind, OutputTarget::Kind::local);
  EXPECT_EQ(local.value().path, "/base/dist");
  EXPECT_EQ(local.value().str(), "local:/base/dist");
  Result<OutputTarget> absolute = parse_output("local:/srv/files", "/base");
  ASSERT_TRUE(absolute.ok()) << absolute.error();
  EXPECT_EQ(absolute.value().str(), "local:/srv/files");
}

TEST(PackageOutputTest, RejectsALocalOutputWithoutADirectory) {
  Result<OutputTarget> empty = parse_output("local:", "/base");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error(), "invalid output \"local:\": name the directory to write the files to, e.g. local:dist");
  Result<OutputTarget> root = parse_output("local:/", "/base");
  ASSERT_FALSE(root.ok());
  EXPECT_EQ(root.error(), "invalid output \"local:/\": it names the root directory; name a directory below it");
}

TEST(PackageOutputTest, RejectsAnEmptyPath) {
  Result<OutputTarget> layout = parse_output("oci:", "/base");
  ASSERT_FALSE(layout.ok());
  EXPECT_EQ(layout.error(), "invalid output \"oci:\": the path after \":\" is empty");
  Result<OutputTarget> archive = parse_output("oci-archive:", "/base");
  ASSERT_FALSE(archive.ok());
  EXPECT_EQ(archive.error(), "invalid output \"oci-archive:\": the path after \":\" is empty");
}

// --- packaging ----------------------------------------------------------------------------

class PackageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.image.name = "localhost:5000/demo/hello";
    config_.image.tags = {"1.0.0", "latest"};
    config_.image.entrypoint = {"/app/hello"};
    config_.image.env = {{"LANG", "C.UTF-8"}, {"GREETING", "hi"}};
    config_.image.copy = {{"hello", "/app/hello"}};
    plan_.source_date_epoch = 1700000000;
    add_target(Platform{"linux", "amd64", "", ""}, "amd64 binary\n");
    add_target(Platform{"linux", "arm", "v7", ""}, "arm binary\n");
  }

  void add_target(const Platform& platform, const std::string& binary) {
    TargetPlan target;
    target.platform = platform;
    target.output_dir = scratch_ / ("state/out/" + platform.slug());
    fs::permissions(scratch_.write("state/out/" + platform.slug() + "/hello", binary), fs::perms(0755));
    scratch_.write("state/out/" + platform.slug() + "/build.log", "not copied\n");
    plan_.targets.push_back(target);
  }

  // The layer the packager should write for a target, packed independently.
  oci::LayerBlob expected_layer(const TargetPlan& target) {
    Result<oci::LayerBlob> blob =
        oci::write_layer({{target.output_dir / "hello", "/app/hello"}}, 1700000000, scratch_ / "expected-blobs");
    EXPECT_TRUE(blob.ok()) << blob.error();
    return blob.ok() ? blob.value() : oci::LayerBlob{};
  }

  Result<PackageResult> package_to(const std::string& output) {
    Result<OutputTarget> target = parse_output(output, scratch_.path());
    EXPECT_TRUE(target.ok()) << target.error();
    return package_and_publish(config_, plan_, target.value());
  }

  Config config_;
  Plan plan_;
  testing::ScratchDir scratch_;
};

TEST_F(PackageTest, WritesOneImagePerTargetAndAnIndex) {
  Result<PackageResult> result = package_to("oci:image");
  ASSERT_TRUE(result.ok()) << result.error();
  fs::path blobs = scratch_ / "image/blobs/sha256";

  const char* platform_json[] = {R"("architecture":"amd64")", R"("architecture":"arm")"};
  const char* platform_tail[] = {"", R"(,"variant":"v7")"};
  const char* index_platform[] = {R"({"architecture":"amd64","os":"linux"})",
                                  R"({"architecture":"arm","os":"linux","variant":"v7"})"};
  std::string index_manifests;
  ASSERT_EQ(result.value().images.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    SCOPED_TRACE(plan_.targets[i].platform.str());
    oci::LayerBlob layer = expected_layer(plan_.targets[i]);
    EXPECT_EQ(read_bytes(blobs / hex(layer.digest)),
              read_bytes(scratch_ / "expected-blobs/sha256" / hex(layer.digest)));

    std::string config = std::string("{") + platform_json[i] +
                         R"(,"config":{"Entrypoint":["/app/hello"],"Env":["GREETING=hi","LANG=C.UTF-8"]},)"
                         R"("created":"2023-11-14T22:13:20Z",)"
                         R"("history":[{"created":"2023-11-14T22:13:20Z","created_by":"xbuild"}],"os":"linux",)"
                         R"("rootfs":{"diff_ids":[")" +
                         layer.diff_id + R"("],"type":"layers"})" + platform_tail[i] + "}";
    std::string config_digest = sha256_digest(config);
    EXPECT_EQ(read_bytes(blobs / hex(config_digest)), config);

    std::string manifest = R"({"config":{"digest":")" + config_digest +
                           R"(","mediaType":"application/vnd.oci.image.config.v1+json","size":)" +
                           std::to_string(config.size()) + R"(},"layers":[{"digest":")" + layer.digest +
                           R"(","mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","size":)" +
                           std::to_string(layer.size) +
                           R"(}],"mediaType":"application/vnd.oci.image.manifest.v1+json","schemaVersion":2})";
    const PackagedImage& image = result.value().images[i];
    EXPECT_EQ(image.platform, plan_.targets[i].platform);
    EXPECT_EQ(image.manifest.digest, sha256_digest(manifest));
    EXPECT_EQ(image.manifest.size, static_cast<std::int64_t>(manifest.size()));
    EXPECT_EQ(image.manifest.media_type, oci::kMediaTypeManifest);
    EXPECT_EQ(image.manifest.platform, plan_.targets[i].platform);
    EXPECT_EQ(read_bytes(blobs / hex(image.manifest.digest)), manifest);

    if (i > 0) index_manifests += ",";
    index_manifests += R"({"digest":")" + image.manifest.digest +
                       R"(","mediaType":"application/vnd.oci.image.manifest.v1+json","platform":)" + index_platform[i] +
                       R"(,"size":)" + std::to_string(manifest.size()) + "}";
  }

  std::string index = R"({"annotations":{"org.opencontainers.image.created":"2023-11-14T22:13:20Z"},)"
                      R"("manifests":[)" +
                      index_manifests + R"(],"mediaType":"application/vnd.oci.image.index.v1+json","schemaVersion":2})";
  EXPECT_EQ(result.value().index.digest, sha256_digest(index));
  EXPECT_EQ(result.value().index.media_type, oci::kMediaTypeIndex);
  EXPECT_EQ(read_bytes(blobs / hex(result.value().index.digest)), index);
  EXPECT_EQ(result.value().ref_name, "1.0.0");

  EXPECT_EQ(read_bytes(scratch_ / "image/index.json"),
            R"({"manifests":[{"annotations":{"io.containerd.image.name":"localhost:5000/demo/hello:1.0.0",)"
            R"("org.opencontainers.image.ref.name":"1.0.0"},"digest":")" +
                result.value().index.digest + R"(","mediaType":"application/vnd.oci.image.index.v1+json","size":)" +
                std::to_string(index.size()) +
                R"(}],"mediaType":"application/vnd.oci.image.index.v1+json","schemaVersion":2})");
  EXPECT_EQ(read_bytes(scratch_ / "image/oci-layout"), R"({"imageLayoutVersion":"1.0.0"})");
  EXPECT_EQ(directory_names(blobs).size(), 7u);  // 2 layers, 2 configs, 2 manifests, 1 index
  // The staging directory is gone.
  EXPECT_EQ(directory_names(scratch_.path()), (std::vector<std::string>{"expected-blobs", "image", "state"}));
}

TEST_F(PackageTest, AnImageThatCannotStartItsProgramComesWithAWarning) {
  scratch_.write("state/out/linux-amd64/hello", testing::tiny_elf(true, false, 0x3e, ""));
  scratch_.write("state/out/linux-arm-v7/hello", testing::tiny_elf(false, false, 0x28, "/lib/ld-linux-armhf.so.3"));
  Result<PackageResult> result = package_to("oci:image");
  ASSERT_TRUE(result.ok()) << result.error();
  EXPECT_EQ(result.value().warnings,
            std::vector<std::string>{
                "linux/arm/v7: the entrypoint /app/hello is linked dynamically and needs /lib/ld-linux-armhf.so.3, "
                "which the image does not have: link it statically (-static) or start from a base image that has it "
                "([image] from)"});
  EXPECT_TRUE(fs::is_regular_file(scratch_ / "image/index.json"));  // a warning, not an error
}

TEST_F(PackageTest, EmptyCopyListTakesTheWholeOutputDirectory) {
  config_.image.copy.clear();
  config_.image.tags.clear();
  plan_.targets.pop_back();
  Result<PackageResult> result = package_to("oci:image");
  ASSERT_TRUE(result.ok()) << result.error();
  EXPECT_EQ(result.value().ref_name, "latest");
  Result<oci::LayerBlob> expected =
      oci::write_layer({{plan_.targets[0].output_dir, "/"}}, 1700000000, scratch_ / "expected-blobs");
  ASSERT_TRUE(expected.ok()) << expected.error();
  EXPECT_TRUE(fs::exists(scratch_ / "image/blobs/sha256" / hex(expected.value().digest)));
  EXPECT_NE(read_bytes(scratch_ / "image/index.json").find(R"("org.opencontainers.image.ref.name":"latest")"),
            std::string::npos);
}

TEST_F(PackageTest, PackagingTwiceGivesTheSameLayout) {
  ASSERT_TRUE(package_to("oci:one").ok());
  ASSERT_TRUE(package_to("oci:two").ok());
  EXPECT_EQ(testing::snapshot_tree(scratch_ / "one"), testing::snapshot_tree(scratch_ / "two"));
}

TEST_F(PackageTest, RepublishingReplacesTheLayout) {
  ASSERT_TRUE(package_to("oci:image").ok());
  scratch_.write("image/stray", "left over");
  scratch_.write("state/out/linux-amd64/hello", "new amd64 binary\n");
  Result<PackageResult> result = package_to("oci:image");
  ASSERT_TRUE(result.ok()) << result.error();
  EXPECT_FALSE(fs::exists(scratch_ / "image/stray"));
  EXPECT_EQ(directory_names(scratch_ / "image/blobs/sha256").size(), 7u);
  EXPECT_EQ(directory_names(scratch_.path()), (std::vector<std::string>{"image", "state"}));
}

TEST_F(PackageTest, MissingCopySourceFailsAndKeepsThePreviousLayout) {
  ASSERT_TRUE(package_to("oci:image").ok());
  std::string before = testing::snapshot_tree(scratch_ / "image");
  fs::remove(scratch_ / "state/out/linux-arm-v7/hello");
  Result<PackageResult> result = package_to("oci:image");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error(), "linux/arm/v7: cannot copy \"hello\" into the image: " +
                                (scratch_ / "state/out/linux-arm-v7/hello").string() +
                                " does not exist; a stage should have written it to $XBUILD_OUT");
  EXPECT_EQ(testing::snapshot_tree(scratch_ / "image"), before);
  EXPECT_EQ(directory_names(scratch_.path()), (std::vector<std::string>{"image", "state"}));
}

TEST_F(PackageTest, MissingOutputDirectoryFails) {
  config_.image.copy.clear();
  fs::remove_all(scratch_ / "state/out/linux-amd64");
  Result<PackageResult> result = package_to("oci:image");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error(), "linux/amd64: the output directory " + (scratch_ / "state/out/linux-amd64").string() +
                                " does not exist; the stages should have written the image's files to $XBUILD_OUT");
  EXPECT_FALSE(fs::exists(scratch_ / "image"));
  EXPECT_EQ(directory_names(scratch_.path()), (std::vector<std::string>{"state"}));
}

TEST_F(PackageTest, LayerErrorsNameThePlatform) {
  ASSERT_EQ(::mkfifo((scratch_ / "state/out/linux-amd64/pipe").c_str(), 0644), 0);
  config_.image.copy = {{"pipe", "/pipe"}};
  Result<PackageResult> result = package_to("oci:image");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error(), "linux/amd64: cannot put " + (scratch_ / "state/out/linux-amd64/pipe").string() +
                                " into a layer: it is a FIFO (layers hold only files, directories and symlinks)");
}

TEST_F(PackageTest, ArchiveOutputIsDeterministic) {
  Result<PackageResult> first = package_to("oci-archive:one.tar");
  ASSERT_TRUE(first.ok()) << first.error();
  Result<PackageResult> second = package_to("oci-archive:two.tar");
  ASSERT_TRUE(second.ok()) << second.error();
  EXPECT_EQ(first.value().index.digest, second.value().index.digest);
  EXPECT_EQ(read_bytes(scratch_ / "one.tar"), read_bytes(scratch_ / "two.tar"));
  std::vector<std::string> names = archive_names(scratch_ / "one.tar");
  ASSERT_EQ(names.size(), 11u);  // blobs/, blobs/sha256/, 7 blobs, index.json, oci-layout
  EXPECT_EQ(names.front(), "blobs/");
  EXPECT_EQ(names[9], "index.json");
  EXPECT_EQ(names[10], "oci-layout");
  EXPECT_EQ(directory_names(scratch_.path()), (std::vector<std::string>{"one.tar", "state", "two.tar"}));
}

TEST_F(PackageTest, FailedArchiveKeepsThePreviousArchive) {
  ASSERT_TRUE(package_to("oci-archive:image.tar").ok());
  std::string before = read_bytes(scratch_ / "image.tar");
  fs::remove(scratch_ / "state/out/linux-amd64/hello");
  ASSERT_FALSE(package_to("oci-archive:image.tar").ok());
  EXPECT_EQ(read_bytes(scratch_ / "image.tar"), before);
  EXPECT_EQ(directory_names(scratch_.path()), (std::vector<std::string>{"image.tar", "state"}));
}

// --- packing layers while the other targets still build ---------------------------------------

TEST_F(PackageTest, LayersPackedEarlyGiveTheSameLayout) {
  ASSERT_TRUE(package_to("oci:late").ok());
  Result<OutputTarget> early = parse_output("oci:early", scratch_.path());
  ASSERT_TRUE(early.ok()) << early.error();
  LayerPacker packer(config_, plan_, early.value());
  packer.start(1);  // arm/v7 first, amd64 is left to package_and_publish
  packer.start(1);  // a second start of one target is ignored
  Result<PackageResult> result = package_and_publish(config_, plan_, early.value(), {}, &packer);
  ASSERT_TRUE(result.ok()) << result.error();
  EXPECT_EQ(testing::snapshot_tree(scratch_ / "early"), testing::snapshot_tree(scratch_ / "late"));
}

TEST_F(PackageTest, AnUnpublishedPackerLeavesNoStagingBehind) {
  Result<OutputTarget> output = parse_output("oci:image", scratch_.path());
  ASSERT_TRUE(output.ok()) << output.error();
  {
    LayerPacker packer(config_, plan_, output.value());
    packer.start(0);
    packer.start(1);
  }  // the run failed: nothing is published and the staging directory goes
  EXPECT_EQ(directory_names(scratch_.path()), (std::vector<std::string>{"state"}));
}

}  // namespace
}  // namespace xb

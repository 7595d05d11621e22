// Tests for layout: the files a LayoutWriter leaves, publishing as a directory and as an archive.
#include "oci/layout.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>
#include <vector>

#include "oci/image.h"
#include "oci/layer.h"
#include "support/scratch_dir.h"
#include "util/sha256.h"

namespace xb::oci {
namespace {

namespace fs = std::filesystem;

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

struct ArchiveEntry {
  std::string name;
  mode_t type = 0;
  unsigned perm = 0;
  la_int64_t uid = -1;
  la_int64_t gid = -1;
  std::string uname;
  time_t mtime = -1;
  std::string data;
};

std::vector<ArchiveEntry> read_archive(const fs::path& path) {
  std::vector<ArchiveEntry> entries;
  struct archive* archive = archive_read_new();
  archive_read_support_format_tar(archive);
  EXPECT_EQ(archive_read_open_filename(archive, path.c_str(), 10240), ARCHIVE_OK);
  struct archive_entry* header = nullptr;
  while (archive_read_next_header(archive, &header) == ARCHIVE_OK) {
    ArchiveEntry entry;
    entry.name = archive_entry_pathname(header);
    entry.type = archive_entry_filetype(header);
    entry.perm = archive_entry_perm(header);
    entry.uid = archive_entry_uid(header);
    entry.gid = archive_entry_gid(header);
    entry.uname = archive_entry_uname(header) ? archive_entry_uname(header) : "";
    entry.mtime = archive_entry_mtime(header);
    char buffer[8192];
    la_ssize_t n = 0;
    while ((n = archive_read_data(archive, buffer, sizeof(buffer))) > 0)
      entry.data.append(buffer, static_cast<std::size_t>(n));
    entries.push_back(entry);
  }
  archive_read_free(archive);
  return entries;
}

class LayoutTest : public ::testing::Test {
 protected:
  // A small finished layout: one layer, a config, a manifest, an index.
  void build_layout(const fs::path& staging) {
    Result<LayoutWriter> writer = LayoutWriter::create(staging);
    ASSERT_TRUE(writer.ok()) << writer.error();
    if (!fs::exists(scratch_ / "rootfs")) scratch_.write("rootfs/app/hello", "hello\n");
    Result<LayerBlob> layer = write_layer({{scratch_ / "rootfs", "/"}}, 1700000000, writer.value().blobs_dir());
    ASSERT_TRUE(layer.ok()) << layer.error();
    ImageConfig config;
    config.platform = Platform{"linux", "amd64", "", ""};
    config.diff_ids = {layer.value().diff_id};
    Result<Descriptor> config_blob = writer.value().add_blob(image_config_json(config), kMediaTypeConfig);
    ASSERT_TRUE(config_blob.ok());
    Descriptor layer_blob{kMediaTypeLayerGzip, layer.value().digest, layer.value().size, std::nullopt, {}};
    Result<Descriptor> manifest =
        writer.value().add_blob(manifest_json(config_blob.value(), {layer_blob}), kMediaTypeManifest);
    ASSERT_TRUE(manifest.ok());
    manifest.value().platform = config.platform;
    Result<Descriptor> index = writer.value().add_blob(index_json({manifest.value()}), kMediaTypeIndex);
    ASSERT_TRUE(index.ok());
    Status finished = writer.value().finish(index.value(), "1.0.0");
    ASSERT_TRUE(finished.ok()) << finished.error();
  }

  testing::ScratchDir scratch_;
};

TEST_F(LayoutTest, CreateWritesTheLayoutFileAndBlobDirectory) {
  Result<LayoutWriter> writer = LayoutWriter::create(scratch_ / "staging");
  ASSERT_TRUE(writer.ok()) << writer.error();
  EXPECT_EQ(writer.value().root(), scratch_ / "staging");
  EXPECT_EQ(writer.value().blobs_dir(), scratch_ / "staging/blobs");
  EXPECT_EQ(read_bytes(scratch_ / "staging/oci-layout"), R"({"imageLayoutVersion":"1.0.0"})");
  EXPECT_TRUE(fs::is_directory(scratch_ / "staging/blobs/sha256"));
  EXPECT_EQ(testing::snapshot_tree(scratch_ / "staging"),
            "blobs/\nblobs/sha256/\noci-layout 30 " + sha256_digest(R"({"imageLayoutVersion":"1.0.0"})") + "\n");
}

TEST_F(LayoutTest, CreateRefusesAnExistingDirectory) {
  fs::create_directory(scratch_ / "staging");
  Result<LayoutWriter> writer = LayoutWriter::create(scratch_ / "staging");
  ASSERT_FALSE(writer.ok());
  EXPECT_EQ(writer.error(), "cannot create directory " + (scratch_ / "staging").string() + ": File exists");
}

TEST_F(LayoutTest, AddBlobStoresTheContentUnderItsDigest) {
  Result<LayoutWriter> writer = LayoutWriter::create(scratch_ / "staging");
  ASSERT_TRUE(writer.ok());
  Result<Descriptor> first = writer.value().add_blob("hello", "text/plain");
  Result<Descriptor> again = writer.value().add_blob("hello", "text/plain");
  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_EQ(first.value().media_type, "text/plain");
  EXPECT_EQ(first.value().digest, "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
  EXPECT_EQ(first.value().size, 5);
  EXPECT_FALSE(first.value().platform.has_value());
  EXPECT_EQ(again.value().digest, first.value().digest);
  EXPECT_EQ(
      read_bytes(scratch_ / "staging/blobs/sha256/2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"),
      "hello");
}

TEST_F(LayoutTest, FinishWritesOneAnnotatedDescriptor) {
  Result<LayoutWriter> writer = LayoutWriter::create(scratch_ / "staging");
  ASSERT_TRUE(writer.ok());
  Descriptor root{kMediaTypeIndex, "sha256:iiii", 42, std::nullopt, {}};
  Status finished = writer.value().finish(root, "1.0.0");
  ASSERT_TRUE(finished.ok()) << finished.error();
  EXPECT_EQ(read_bytes(scratch_ / "staging/index.json"),
            R"({"manifests":[{"annotations":{"org.opencontainers.image.ref.name":"1.0.0"},"digest":"sha256:iiii",)"
            R"("mediaType":"application/vnd.oci.image.index.v1+json","size":42}],)"
            R"("mediaType":"application/vnd.oci.image.index.v1+json","schemaVersion":2})");
}

// With the image's full name, as containerd's import and podman load read it.
TEST_F(LayoutTest, FinishNamesTheImageWhenGivenItsName) {
  Result<LayoutWriter> writer = LayoutWriter::create(scratch_ / "staging");
  ASSERT_TRUE(writer.ok());
  Descriptor root{kMediaTypeIndex, "sha256:iiii", 42, std::nullopt, {}};
  Status finished = writer.value().finish(root, "1.0", "registry.example/app:1.0");
  ASSERT_TRUE(finished.ok()) << finished.error();
  EXPECT_EQ(read_bytes(scratch_ / "staging/index.json"),
            R"({"manifests":[{"annotations":{"io.containerd.image.name":"registry.example/app:1.0",)"
            R"("org.opencontainers.image.ref.name":"1.0"},"digest":"sha256:iiii",)"
            R"("mediaType":"application/vnd.oci.image.index.v1+json","size":42}],)"
            R"("mediaType":"application/vnd.oci.image.index.v1+json","schemaVersion":2})");
}

TEST_F(LayoutTest, EveryBlobIsNamedAfterItsSha256) {
  build_layout(scratch_ / "staging");
  int blobs = 0;
  for (const fs::directory_entry& entry : fs::directory_iterator(scratch_ / "staging/blobs/sha256")) {
    EXPECT_EQ(sha256_file(entry.path()).value(), "sha256:" + entry.path().filename().string());
    ++blobs;
  }
  EXPECT_EQ(blobs, 4);  // layer, config, manifest, index
}

TEST_F(LayoutTest, PublishLayoutMovesTheStagingDirectory) {
  build_layout(scratch_ / "staging");
  std::string staged = testing::snapshot_tree(scratch_ / "staging");
  Status published = publish_layout(scratch_ / "staging", scratch_ / "image");
  ASSERT_TRUE(published.ok()) << published.error();
  EXPECT_EQ(testing::snapshot_tree(scratch_ / "image"), staged);
  EXPECT_FALSE(fs::exists(scratch_ / "staging"));
}

TEST_F(LayoutTest, PublishLayoutReplacesAnExistingDirectory) {
  scratch_.write("image/old-file", "old");
  scratch_.write("image/index.json", "{}");
  build_layout(scratch_ / "staging");
  std::string staged = testing::snapshot_tree(scratch_ / "staging");
  Status published = publish_layout(scratch_ / "staging", scratch_ / "image");
  ASSERT_TRUE(published.ok()) << published.error();
  EXPECT_EQ(testing::snapshot_tree(scratch_ / "image"), staged);
  EXPECT_FALSE(fs::exists(scratch_ / "staging"));
}

TEST_F(LayoutTest, ArchiveHoldsTheLayoutSortedWithFixedMetadata) {
  build_layout(scratch_ / "staging");
  Status published = publish_archive(scratch_ / "staging", scratch_ / "image.tar");
  ASSERT_TRUE(published.ok()) << published.error();
  std::vector<ArchiveEntry> entries = read_archive(scratch_ / "image.tar");
  ASSERT_EQ(entries.size(), 8u);  // blobs/, blobs/sha256/, 4 blobs, index.json, oci-layout
  EXPECT_EQ(entries[0].name, "blobs/");
  EXPECT_EQ(entries[1].name, "blobs/sha256/");
  EXPECT_EQ(entries[6].name, "index.json");
  EXPECT_EQ(entries[7].name, "oci-layout");
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const ArchiveEntry& entry = entries[i];
    SCOPED_TRACE(entry.name);
    if (i > 0) {
      EXPECT_LT(entries[i - 1].name, entry.name);
    }
    EXPECT_EQ(entry.uid, 0);
    EXPECT_EQ(entry.gid, 0);
    EXPECT_EQ(entry.uname, "");
    EXPECT_EQ(entry.mtime, 0);
    if (entry.name.back() == '/') {
      EXPECT_EQ(entry.type, AE_IFDIR);
      EXPECT_EQ(entry.perm, 0755u);
    } else {
      EXPECT_EQ(entry.type, AE_IFREG);
      EXPECT_EQ(entry.perm, 0644u);
      EXPECT_EQ(entry.data, read_bytes(scratch_ / "staging" / entry.name));
    }
  }
  // Nothing but the archive is left next to it.
  std::vector<std::string> siblings;
  for (const fs::directory_entry& entry : fs::directory_iterator(scratch_.path()))
    siblings.push_back(entry.path().filename());
  std::sort(siblings.begin(), siblings.end());
  EXPECT_EQ(siblings, (std::vector<std::string>{"image.tar", "rootfs", "staging"}));
}

TEST_F(LayoutTest, ArchiveIsDeterministic) {
  build_layout(scratch_ / "staging1");
  fs::last_write_time(scratch_ / "rootfs/app/hello", fs::file_time_type::clock::now() - std::chrono::hours(48));
  build_layout(scratch_ / "staging2");
  fs::last_write_time(scratch_ / "staging2/oci-layout", fs::file_time_type::clock::now() - std::chrono::hours(48));
  ASSERT_TRUE(publish_archive(scratch_ / "staging1", scratch_ / "one.tar").ok());
  ASSERT_TRUE(publish_archive(scratch_ / "staging2", scratch_ / "two.tar").ok());
  EXPECT_EQ(read_bytes(scratch_ / "one.tar"), read_bytes(scratch_ / "two.tar"));
}

TEST_F(LayoutTest, ArchiveReplacesAnExistingFile) {
  scratch_.write("image.tar", "old archive");
  build_layout(scratch_ / "staging");
  ASSERT_TRUE(publish_archive(scratch_ / "staging", scratch_ / "image.tar").ok());
  EXPECT_EQ(read_archive(scratch_ / "image.tar").size(), 8u);
}

TEST_F(LayoutTest, ArchiveRefusesSymlinks) {
  build_layout(scratch_ / "staging");
  fs::create_symlink("index.json", scratch_ / "staging/link");
  Status published = publish_archive(scratch_ / "staging", scratch_ / "image.tar");
  ASSERT_FALSE(published.ok());
  EXPECT_EQ(published.error(), "cannot archive " + (scratch_ / "staging/link").string() +
                                   ": only files and directories belong in a layout");
  EXPECT_FALSE(fs::exists(scratch_ / "image.tar"));
}

}  // namespace
}  // namespace xb::oci

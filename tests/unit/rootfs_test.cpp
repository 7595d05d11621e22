// Secure layer extraction: a good layer with whiteouts, and hostile layers built here with
// libarchive, each refused with an error naming the entry, with nothing written outside the
// target (and no half-unpacked target left behind).
#include "emulate/rootfs.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "oci/image.h"
#include "oci/layout.h"
#include "support/scratch_dir.h"
#include "util/fs.h"
#include "util/libarchive.h"

namespace xb {
namespace {

namespace fs = std::filesystem;
using testing::ScratchDir;

struct TarEntry {
  std::string path;
  mode_t type = AE_IFREG;
  std::string content;  // file data, or the symlink / hard link target
};

fs::path write_tar(const fs::path& file, const std::vector<TarEntry>& entries) {
  if (Status loaded = require_libarchive(); !loaded) {
    ADD_FAILURE() << loaded.error();
    return {};
  }
  archive* out = archive_write_new();
  archive_write_set_format_pax_restricted(out);
  EXPECT_EQ(archive_write_open_filename(out, file.c_str()), ARCHIVE_OK);
  for (const TarEntry& item : entries) {
    archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, item.path.c_str());
    if (item.type == AE_IFLNK) {
      archive_entry_set_filetype(entry, AE_IFLNK);
      archive_entry_set_symlink(entry, item.content.c_str());
      archive_entry_set_perm(entry, 0777);
    } else if (item.type == 0) {  // hard link
      archive_entry_set_filetype(entry, AE_IFREG);
      archive_entry_set_hardlink(entry, item.content.c_str());
      archive_entry_set_perm(entry, 0644);
    } else {
      archive_entry_set_filetype(entry, item.type);
      archive_entry_set_perm(entry, item.type == AE_IFDIR ? 0755 : 0644);
      if (item.type == AE_IFCHR) archive_entry_set_rdev(entry, makedev(1, 3));
      if (item.type == AE_IFREG) archive_entry_set_size(entry, static_cast<la_int64_t>(item.content.size()));
    }
    archive_write_header(out, entry);
    if (item.type == AE_IFREG && !item.content.empty())
      archive_write_data(out, item.content.data(), item.content.size());
    archive_entry_free(entry);
  }
  archive_write_close(out);
  archive_write_free(out);
  return file;
}

class RootfsTest : public ::testing::Test {
 protected:
  // Extracts one hostile layer and checks that it failed with `message` and left nothing.
  void expect_refused(const std::vector<TarEntry>& entries, const std::string& message) {
    fs::path layer = write_tar(scratch_ / "layer.tar", entries);
    std::string before = testing::snapshot_tree(scratch_ / "outside");
    Status status = extract_layers({{layer}}, target_);
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.error(), "layer " + layer.string() + ": " + message);
    EXPECT_FALSE(fs::exists(target_));
    EXPECT_EQ(testing::snapshot_tree(scratch_ / "outside"), before);
    std::size_t leftovers = 0;
    for ([[maybe_unused]] const auto& entry : fs::directory_iterator(scratch_ / "cache")) ++leftovers;
    EXPECT_EQ(leftovers, 0u) << "a staging directory was left behind";
  }

  void SetUp() override {
    fs::create_directories(scratch_ / "outside");
    fs::create_directories(scratch_ / "cache");
    scratch_.write("outside/keep", "mine");
  }

  ScratchDir scratch_;
  fs::path target_ = scratch_ / "cache" / "root";
};

TEST_F(RootfsTest, LayersStackAndWhiteoutsDeleteWhatIsBelow) {
  fs::path base = write_tar(scratch_ / "base.tar", {{"bin", AE_IFDIR, ""},
                                                    {"bin/sh", AE_IFREG, "#!shell"},
                                                    {"etc", AE_IFDIR, ""},
                                                    {"etc/gone", AE_IFREG, "x"},
                                                    {"etc/kept", AE_IFREG, "y"},
                                                    {"var/cache/a", AE_IFREG, "a"},
                                                    {"var/cache/b", AE_IFREG, "b"},
                                                    {"usr/bin/sh", 0, "bin/sh"}});
  fs::path top = write_tar(scratch_ / "top.tar", {{"etc/.wh.gone", AE_IFREG, ""},
                                                  {"var/cache/.wh..wh..opq", AE_IFREG, ""},
                                                  {"var/cache/c", AE_IFREG, "c"},
                                                  {"lib", AE_IFLNK, "/usr/lib"}});
  ASSERT_TRUE(extract_layers({{base}, {top}}, target_).ok());
  EXPECT_EQ(read_file(target_ / "bin/sh").value(), "#!shell");
  EXPECT_FALSE(fs::exists(target_ / "etc/gone"));
  EXPECT_TRUE(fs::exists(target_ / "etc/kept"));
  EXPECT_FALSE(fs::exists(target_ / "var/cache/a"));
  EXPECT_EQ(read_file(target_ / "var/cache/c").value(), "c");
  EXPECT_EQ(fs::read_symlink(target_ / "lib"), "/usr/lib");  // an absolute symlink itself is fine
  struct stat a, b;
  ASSERT_EQ(stat((target_ / "bin/sh").c_str(), &a), 0);
  ASSERT_EQ(stat((target_ / "usr/bin/sh").c_str(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);
  EXPECT_EQ(extract_layers({{base}}, target_).error(), "cannot unpack into " + target_.string() + ": it exists already");
}

TEST_F(RootfsTest, RefusesDotDot) {
  expect_refused({{"etc", AE_IFDIR, ""}, {"../outside/evil", AE_IFREG, "x"}},
                 "entry \"../outside/evil\" climbs out of the root filesystem with \"..\"; refusing the layer");
}

TEST_F(RootfsTest, RefusesAnAbsolutePath) {
  expect_refused({{"/tmp/evil", AE_IFREG, "x"}}, "entry \"/tmp/evil\" has an absolute path; refusing the layer");
}

TEST_F(RootfsTest, RefusesAFileWrittenThroughAnAbsoluteSymlink) {
  std::string outside = (scratch_ / "outside").string();
  expect_refused({{"escape", AE_IFLNK, outside}, {"escape/evil", AE_IFREG, "x"}},
                 "entry \"escape/evil\" would be written through the symlink \"escape\" (-> \"" + outside +
                     "\"); refusing the layer");
}

TEST_F(RootfsTest, RefusesAHardLinkOutOfTheTree) {
  expect_refused({{"passwd", 0, "../outside/keep"}},
                 "hard link \"passwd\" points outside the root filesystem (\"../outside/keep\"); refusing the layer");
}

TEST_F(RootfsTest, RefusesADeviceNode) {
  expect_refused({{"dev", AE_IFDIR, ""}, {"dev/null", AE_IFCHR, ""}},
                 "entry \"dev/null\" is a device node; refusing the layer (the sandbox brings its own /dev)");
}

TEST(RootfsReferenceTest, RegistryReferencesAreToldFromDirectories) {
  ScratchDir project;
  fs::create_directories(project / "rootfs" / "arm64");
  fs::create_directories(project / "with:colon");
  for (const char* reference : {"127.0.0.1:5000/debian:bookworm", "localhost/debian", "registry.example/team/rootfs",
                                "debian:bookworm", "debian@sha256:0123"})
    EXPECT_TRUE(is_rootfs_reference(reference, project.path())) << reference;
  for (const char* directory :
       {"rootfs/arm64", "with:colon", "/srv/rootfs", "./rootfs:x", "oci:layout:bookworm", "missing/dir", "rootfs", ""})
    EXPECT_FALSE(is_rootfs_reference(directory, project.path())) << directory;
}

TEST_F(RootfsTest, ADirectoryRootfsMustHoldAShell) {
  scratch_.write("good/bin/sh", "");
  EXPECT_EQ(resolve_rootfs_dir("good", scratch_.path()).value(), scratch_ / "good");
  EXPECT_EQ(resolve_rootfs_dir("outside", scratch_.path()).error(),
            "rootfs \"outside\": " + (scratch_ / "outside").string() +
                " has no /bin/sh; it must hold a root filesystem of the target");
  EXPECT_EQ(resolve_rootfs_dir("/nowhere", scratch_.path()).error(),
            "rootfs \"/nowhere\": /nowhere is not a directory");
}

// An oci:DIR:TAG root filesystem: found through the index for the platform, unpacked once
// into the state directory under its manifest digest, reused after that.
TEST_F(RootfsTest, AnOciImageIsUnpackedOnceUnderItsManifestDigest) {
  fs::path layer = write_tar(scratch_ / "layer.tar", {{"bin/sh", AE_IFREG, "#!arm64 shell"}});
  oci::LayoutWriter writer = oci::LayoutWriter::create(scratch_ / "layout").value();
  oci::Descriptor layer_blob =
      writer.add_blob(read_file(layer).value(), "application/vnd.oci.image.layer.v1.tar").value();
  oci::ImageConfig config;
  config.platform = parse_platform("linux/arm64").value();
  oci::Descriptor config_blob = writer.add_blob(oci::image_config_json(config), oci::kMediaTypeConfig).value();
  oci::Descriptor manifest =
      writer.add_blob(oci::manifest_json(config_blob, {layer_blob}), oci::kMediaTypeManifest).value();
  manifest.platform = config.platform;
  oci::Descriptor index = writer.add_blob(oci::index_json({manifest}), oci::kMediaTypeIndex).value();
  ASSERT_TRUE(writer.finish(index, "bookworm").ok());

  Platform arm64 = parse_platform("linux/arm64").value();
  RootfsPlan plan = plan_rootfs("oci:layout:bookworm", scratch_.path(), scratch_ / "state", arm64).value();
  EXPECT_EQ(plan.image, manifest.digest);
  EXPECT_EQ(plan.dir, scratch_ / "state" / "rootfs" / manifest.digest.substr(7));
  EXPECT_TRUE(ensure_rootfs(plan).value());
  EXPECT_EQ(read_file(plan.dir / "bin/sh").value(), "#!arm64 shell");
  EXPECT_FALSE(ensure_rootfs(plan).value());  // there already: reused

  EXPECT_EQ(plan_rootfs("oci:layout:trixie", scratch_.path(), scratch_ / "state", arm64).error(),
            "rootfs \"oci:layout:trixie\": no image tagged \"trixie\" in the OCI layout " +
                (scratch_ / "layout").string() + "; it has: bookworm");
  EXPECT_EQ(
      plan_rootfs("oci:layout:bookworm", scratch_.path(), scratch_ / "state", parse_platform("linux/riscv64").value())
          .error(),
      "rootfs \"oci:layout:bookworm\": the image in " + (scratch_ / "layout").string() +
          " has no linux/riscv64 variant; it has: linux/arm64");
}

}  // namespace
}  // namespace xb

// Secure layer extraction: a good layer with whiteouts, and hostile layers built here with
// libarchive, each refused with an error naming the entry, with nothing written outside the
// target (and no half-unpacked target left behind).
#include "emulate/rootfs.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "oci/image.h"
#include "oci/layout.h"
#include "support/scratch_dir.h"
#include "util/fs.h"
#include "util/sha256.h"

namespace xb {
namespace {

namespace fs = std::filesystem;
using testing::ScratchDir;

struct TarEntry {
  std::string path;
  mode_t type = AE_IFREG;
  std::string content;  // file data, or the symlink / hard link target
  mode_t perm = 0;      // 0: 0755 for directories, 0644 for files
};

fs::path write_tar(const fs::path& file, const std::vector<TarEntry>& entries) {
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
      archive_entry_set_perm(entry, item.perm ? item.perm : item.type == AE_IFDIR ? 0755 : 0644);
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
    expect_refused_layers({{write_tar(scratch_ / "layer.tar", entries)}},
                          "layer " + (scratch_ / "layer.tar").string() + ": " + message);
  }

  // The same for a stack of layers (each with what its manifest says of it), the error whole.
  void expect_refused_layers(const std::vector<RootfsLayer>& layers, const std::string& error) {
    std::string before = canaries();
    Status status = extract_layers(layers, target_);
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.error(), error);
    EXPECT_FALSE(fs::exists(target_));
    EXPECT_EQ(canaries(), before);
    std::size_t leftovers = 0;
    for (const auto& entry : fs::directory_iterator(scratch_ / "cache"))
      if (entry.path().filename() != "other-root") ++leftovers;
    EXPECT_EQ(leftovers, 0u) << "a staging directory was left behind";
  }

  // Every file outside the target (beside it, another unpacked root, and elsewhere) with its
  // content and modification time.
  std::string canaries() {
    std::string state;
    for (const fs::path& dir : {scratch_ / "outside", scratch_ / "cache" / "other-root"})
      for (const fs::directory_entry& entry : fs::recursive_directory_iterator(dir)) {
        struct stat info;
        EXPECT_EQ(lstat(entry.path().c_str(), &info), 0);
        state += entry.path().string() + " " + std::to_string(info.st_mtim.tv_sec) + "." +
                 std::to_string(info.st_mtim.tv_nsec) + " " +
                 (entry.is_regular_file() ? read_file(entry.path()).value() : std::string("-")) + "\n";
      }
    return state;
  }

  void SetUp() override {
    fs::create_directories(scratch_ / "outside");
    fs::create_directories(scratch_ / "cache");
    scratch_.write("outside/keep", "mine");
    scratch_.write("cache/other-root/etc/passwd", "root:x:0:0");
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
  EXPECT_EQ(extract_layers({{base}}, target_).error(),
            "cannot unpack into " + target_.string() + ": it exists already");
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

// Whiteouts that name no entry of their directory: ".wh..." would remove the directory holding
// every unpacked root, "sub/.wh.." would empty sub, ".wh." names nothing.
TEST_F(RootfsTest, RefusesWhiteoutsThatNameNoEntry) {
  expect_refused({{".wh...", AE_IFREG, ""}},
                 "entry \".wh...\" is a whiteout of \"..\", which is not the name of an entry in its directory; "
                 "refusing the layer");
  expect_refused({{"sub/keep", AE_IFREG, "x"}, {"sub/.wh..", AE_IFREG, ""}},
                 "entry \"sub/.wh..\" is a whiteout of \".\", which is not the name of an entry in its directory; "
                 "refusing the layer");
  expect_refused({{"./.wh.", AE_IFREG, ""}},
                 "entry \"./.wh.\" is a whiteout of \"\", which is not the name of an entry in its directory; "
                 "refusing the layer");
}

// A whiteout (or an opaque one) under a symlink to outside is refused like a write there; a
// whiteout of a symlink removes the link, never what it points at.
TEST_F(RootfsTest, WhiteoutsResolveInsideTheTree) {
  std::string outside = (scratch_ / "outside").string();
  expect_refused({{"escape", AE_IFLNK, outside}, {"escape/.wh.keep", AE_IFREG, ""}},
                 "entry \"escape/.wh.keep\" would be written through the symlink \"escape\" (-> \"" + outside +
                     "\"); refusing the layer");
  expect_refused({{"escape", AE_IFLNK, outside}, {"escape/.wh..wh..opq", AE_IFREG, ""}},
                 "entry \"escape/.wh..wh..opq\" would be written through the symlink \"escape\" (-> \"" + outside +
                     "\"); refusing the layer");
  fs::path base =
      write_tar(scratch_ / "base.tar",
                {{"bin/sh", AE_IFREG, "#!"}, {"keep", AE_IFLNK, outside + "/keep"}, {"dir", AE_IFLNK, outside}});
  fs::path top = write_tar(scratch_ / "top.tar", {{".wh.keep", AE_IFREG, ""}, {".wh.dir", AE_IFREG, ""}});
  std::string before = canaries();
  ASSERT_TRUE(extract_layers({{base}, {top}}, target_).ok());
  EXPECT_FALSE(fs::exists(fs::symlink_status(target_ / "keep")));
  EXPECT_FALSE(fs::exists(fs::symlink_status(target_ / "dir")));
  EXPECT_EQ(canaries(), before);
}

// Each layer is hashed and counted as it unpacks: a blob swapped for another's content, cut
// short or longer than declared fails before the rename, naming the layer.
TEST_F(RootfsTest, ALayerMustBeWhatItsDescriptorSays) {
  fs::path good = write_tar(scratch_ / "good.tar", {{"bin/sh", AE_IFREG, "#!shell"}});
  fs::path other = write_tar(scratch_ / "other.tar", {{"bin/sh", AE_IFREG, "#!other"}});
  const std::string good_digest = sha256_file(good).value();
  const std::string other_digest = sha256_file(other).value();
  const auto size = static_cast<std::int64_t>(fs::file_size(good));
  ASSERT_EQ(fs::file_size(other), fs::file_size(good));
  ASSERT_TRUE(extract_layers({{good, good_digest, size}}, target_).ok());
  fs::remove_all(target_);

  const std::string name = "layer " + other.string() + " (" + good_digest + "): ";
  expect_refused_layers({{other, good_digest, size}}, name + "its content is " + other_digest +
                                                          ", not the digest its descriptor names; refusing the layer");
  expect_refused_layers({{other, good_digest, size + 512}}, name + "it holds " + std::to_string(size) +
                                                                " bytes, its descriptor declares " +
                                                                std::to_string(size + 512) + "; refusing the layer");
  expect_refused_layers({{other, good_digest, 100}},
                        name + "it holds more than the 100 bytes its descriptor declares; refusing the layer");
  // Not a tar at all: still named for what it is, not as a damaged archive.
  fs::path junk = scratch_.write("junk.tar", std::string(static_cast<std::size_t>(size), 'j'));
  expect_refused_layers({{junk, good_digest, size}}, "layer " + junk.string() + " (" + good_digest +
                                                         "): its content is " + sha256_file(junk).value() +
                                                         ", not the digest its descriptor names; refusing the layer");
  // The second layer's failure takes the first one's files with it.
  expect_refused_layers(
      {{good, good_digest, size}, {other, good_digest, size}},
      name + "its content is " + other_digest + ", not the digest its descriptor names; refusing the layer");
}

// Setuid files and open directories of an image are unpacked as they are, in a directory only
// its owner can enter; a wider one from before is tightened when the tree is used again.
TEST_F(RootfsTest, UnpackedRootsLiveInADirectoryOnlyItsOwnerEnters) {
  fs::path layer = write_tar(scratch_ / "layer.tar", {{"bin/su", AE_IFREG, "su", 04755}, {"tmp", AE_IFDIR, "", 01777}});
  RootfsPlan plan;
  plan.dir = scratch_ / "state" / "rootfs" / "abc";
  plan.layers = {{layer, sha256_file(layer).value(), static_cast<std::int64_t>(fs::file_size(layer))}};
  ASSERT_TRUE(ensure_rootfs(plan).value());
  auto mode = [](const fs::path& path) { return fs::status(path).permissions() & fs::perms::mask; };
  EXPECT_EQ(mode(scratch_ / "state" / "rootfs"), fs::perms::owner_all);
  if (geteuid() == 0) {
    EXPECT_EQ(mode(plan.dir / "bin/su"), static_cast<fs::perms>(04755));
  }
  EXPECT_EQ(mode(plan.dir / "tmp"), static_cast<fs::perms>(01777));
  fs::permissions(scratch_ / "state" / "rootfs", static_cast<fs::perms>(0755));
  EXPECT_FALSE(ensure_rootfs(plan).value());
  EXPECT_EQ(mode(scratch_ / "state" / "rootfs"), fs::perms::owner_all);
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

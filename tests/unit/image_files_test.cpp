// The files of an image, seen without unpacking it: the top layer from its sources on disk, base
// layers written by oci/layer.h as real tar.gz blobs (with symlinks, whiteouts and opaque
// markers as files of those names), and paths resolved through symlinks across layers.
#include "oci/image_files.h"

#include <gtest/gtest.h>

#include "support/scratch_dir.h"

namespace xb::oci {
namespace {

namespace fs = std::filesystem;
using testing::ScratchDir;

class ImageFilesTest : public ::testing::Test {
 protected:
  // A base layer holding the tree under scratch_/<name>, as a gzip blob.
  fs::path layer(const std::string& name) {
    Result<LayerBlob> blob = write_layer({{scratch_ / name, "/"}}, 0, scratch_ / "blobs");
    EXPECT_TRUE(blob.ok()) << blob.error();
    return scratch_ / "blobs/sha256" / blob.value().digest.substr(7);
  }
  void symlink(const std::string& target, const std::string& link) {
    fs::create_directories((scratch_ / link).parent_path());
    fs::create_symlink(target, scratch_ / link);
  }
  // A merged-usr base: /lib -> usr/lib, the loader in /usr/lib.
  fs::path merged_usr_base() {
    scratch_.write("base/usr/lib/ld-linux-aarch64.so.1", "loader");
    scratch_.write("base/usr/bin/sh", "shell");
    symlink("usr/lib", "base/lib");
    symlink("usr/bin", "base/bin");
    return layer("base");
  }

  ScratchDir scratch_;
};

std::string resolved_path(const Result<std::optional<ImageFile>>& file) {
  if (!file.ok()) return "error: " + file.error();
  return file.value() ? file.value()->path : "(none)";
}

TEST_F(ImageFilesTest, TheTopLayerIsLookedUpOnDisk) {
  scratch_.write("out/bin/hello", "program");
  scratch_.write("out/share/doc/README", "text");
  symlink("bin/hello", "out/hello-link");
  symlink("/bin/hello", "out/absolute-link");
  symlink("../../bin/hello", "out/share/doc/up-link");
  scratch_.write("single", "one file");
  ImageFiles files({{scratch_ / "out", "/app"}, {scratch_ / "single", "/etc/single.conf"}}, {});

  std::optional<ImageFile> hello = files.resolve_in_top_layer("/app/bin/hello");
  ASSERT_TRUE(hello);
  EXPECT_EQ(hello->path, "/app/bin/hello");
  EXPECT_EQ(hello->kind, ImageFileKind::file);
  EXPECT_EQ(hello->disk_path, scratch_ / "out/bin/hello");

  std::optional<ImageFile> through_link = files.resolve_in_top_layer("app/hello-link");
  ASSERT_TRUE(through_link);
  EXPECT_EQ(through_link->path, "/app/bin/hello");
  EXPECT_EQ(through_link->disk_path, scratch_ / "out/bin/hello");
  EXPECT_EQ(files.resolve_in_top_layer("/app/share/doc/up-link")->path, "/app/bin/hello");
  // An absolute target starts at the image's root, where there is no /bin.
  EXPECT_FALSE(files.resolve_in_top_layer("/app/absolute-link"));

  EXPECT_EQ(files.resolve_in_top_layer("/etc/single.conf")->disk_path, scratch_ / "single");
  std::optional<ImageFile> parent = files.resolve_in_top_layer("/etc");  // made up for the file under it
  ASSERT_TRUE(parent);
  EXPECT_EQ(parent->kind, ImageFileKind::directory);
  EXPECT_EQ(files.resolve_in_top_layer("/")->kind, ImageFileKind::directory);
  EXPECT_EQ(files.resolve_in_top_layer("/app/./bin/../bin/hello")->path, "/app/bin/hello");
  EXPECT_FALSE(files.resolve_in_top_layer("/app/bin/absent"));
  EXPECT_FALSE(files.resolve_in_top_layer("/app/bin/hello/inside"));  // a file is no directory
  EXPECT_FALSE(files.resolve_in_top_layer("/usr"));
}

TEST_F(ImageFilesTest, ADestinationEndingInASlashTakesTheSourcesName) {
  scratch_.write("out/hello", "program");
  ImageFiles files({{scratch_ / "out/hello", "/usr/local/bin/"}}, {});
  EXPECT_EQ(files.resolve_in_top_layer("/usr/local/bin/hello")->disk_path, scratch_ / "out/hello");
  EXPECT_EQ(files.resolve_in_top_layer("/usr/local/bin")->kind, ImageFileKind::directory);
  EXPECT_FALSE(files.resolve_in_top_layer("/usr/local/bin/out"));
}

TEST_F(ImageFilesTest, SymlinkLoopsResolveToNothing) {
  symlink("b", "out/a");
  symlink("a", "out/b");
  ImageFiles files({{scratch_ / "out", "/"}}, {});
  EXPECT_FALSE(files.resolve_in_top_layer("/a"));
}

TEST_F(ImageFilesTest, ABaseLayerIsFollowedThroughItsMergedUsrSymlinks) {
  fs::path base = merged_usr_base();
  scratch_.write("out/hello", "program");
  ImageFiles files({{scratch_ / "out/hello", "/app/hello"}}, {base});
  Result<std::optional<ImageFile>> loader = files.resolve("/lib/ld-linux-aarch64.so.1");
  ASSERT_TRUE(loader.ok()) << loader.error();
  ASSERT_TRUE(loader.value());
  EXPECT_EQ(loader.value()->path, "/usr/lib/ld-linux-aarch64.so.1");
  EXPECT_EQ(loader.value()->kind, ImageFileKind::file);
  EXPECT_TRUE(loader.value()->disk_path.empty());  // a base layer's
  // Our own file is still ours, and the top layer alone does not see the base.
  EXPECT_EQ(files.resolve("/app/hello").value()->disk_path, scratch_ / "out/hello");
  EXPECT_FALSE(files.resolve_in_top_layer("/lib/ld-linux-aarch64.so.1"));
  EXPECT_EQ(resolved_path(files.resolve("/lib/absent")), "(none)");
}

TEST_F(ImageFilesTest, OurDirectoriesMergeWithTheBasesAndOurSymlinksReachIntoIt) {
  fs::path base = merged_usr_base();
  scratch_.write("out/usr/lib/libours.so", "ours");
  symlink("/lib/ld-linux-aarch64.so.1", "out/opt/loader");
  ImageFiles files({{scratch_ / "out", "/"}}, {base});
  EXPECT_EQ(resolved_path(files.resolve("/usr/lib/libours.so")), "/usr/lib/libours.so");
  EXPECT_EQ(resolved_path(files.resolve("/lib/ld-linux-aarch64.so.1")), "/usr/lib/ld-linux-aarch64.so.1");
  EXPECT_EQ(resolved_path(files.resolve("/opt/loader")), "/usr/lib/ld-linux-aarch64.so.1");
}

TEST_F(ImageFilesTest, WhiteoutsAndOpaqueDirectoriesHideWhatLiesBelow) {
  fs::path base = merged_usr_base();
  scratch_.write("removed/usr/lib/.wh.ld-linux-aarch64.so.1", "");
  fs::path removed = layer("removed");
  ImageFiles without({}, {base, removed});
  EXPECT_EQ(resolved_path(without.resolve("/lib/ld-linux-aarch64.so.1")), "(none)");
  EXPECT_EQ(resolved_path(without.resolve("/bin/sh")), "/usr/bin/sh");

  scratch_.write("opaque/usr/lib/.wh..wh..opq", "");
  scratch_.write("opaque/usr/lib/other.so", "other");
  ImageFiles emptied({}, {base, layer("opaque")});
  EXPECT_EQ(resolved_path(emptied.resolve("/lib/ld-linux-aarch64.so.1")), "(none)");
  EXPECT_EQ(resolved_path(emptied.resolve("/lib/other.so")), "/usr/lib/other.so");

  scratch_.write("whole/.wh.usr", "");
  ImageFiles no_usr({}, {base, layer("whole")});
  EXPECT_EQ(resolved_path(no_usr.resolve("/lib/ld-linux-aarch64.so.1")), "(none)");

  // A layer above the whiteout brings it back.
  scratch_.write("again/usr/lib/ld-linux-aarch64.so.1", "loader again");
  ImageFiles restored({}, {base, removed, layer("again")});
  EXPECT_EQ(resolved_path(restored.resolve("/lib/ld-linux-aarch64.so.1")), "/usr/lib/ld-linux-aarch64.so.1");
}

// As rootfs extraction refuses them: a whiteout of "..", "." or nothing is not a layer's.
TEST_F(ImageFilesTest, AWhiteoutNamingNoEntryIsRefused) {
  fs::path base = merged_usr_base();
  for (const std::string& name : {std::string(".wh..."), std::string("usr/.wh.."), std::string(".wh.")}) {
    fs::remove_all(scratch_ / "hostile");
    scratch_.write("hostile/" + name, "");
    fs::path hostile = layer("hostile");
    ImageFiles files({}, {base, hostile});
    Result<std::optional<ImageFile>> resolved = files.resolve("/bin/sh");
    ASSERT_FALSE(resolved.ok()) << name;
    const std::string hidden = name.substr(name.rfind(".wh.") + 4);
    EXPECT_EQ(resolved.error(), "the base layer " + hostile.string() + ": entry \"" + name + "\" is a whiteout of \"" +
                                    hidden + "\", which is not the name of an entry in its directory");
  }
}

TEST_F(ImageFilesTest, AFileInALaterLayerHidesTheDirectoryBelowIt) {
  fs::path base = merged_usr_base();
  scratch_.write("flat/usr", "not a directory any more");
  ImageFiles files({}, {base, layer("flat")});
  EXPECT_EQ(resolved_path(files.resolve("/usr/bin/sh")), "(none)");
  EXPECT_EQ(files.resolve("/usr").value()->kind, ImageFileKind::file);
}

TEST_F(ImageFilesTest, BaseLayersAreReadOnlyWhenTheTopLayerLacksThePath) {
  scratch_.write("out/app/hello", "program");
  fs::path broken = scratch_.write("broken.tar.gz", "not a tar");
  ImageFiles files({{scratch_ / "out", "/"}}, {broken, fs::path()});
  EXPECT_EQ(resolved_path(files.resolve("/app/hello")), "/app/hello");
  Result<std::optional<ImageFile>> missing = files.resolve("/lib/ld-linux-aarch64.so.1");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().rfind("cannot read the base layer " + broken.string() + ": ", 0), 0u) << missing.error();
}

}  // namespace
}  // namespace xb::oci

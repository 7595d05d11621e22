#include "util/fs.h"

#include <gtest/gtest.h>

#include "support/scratch_dir.h"
#include "util/sha256.h"

namespace xb {
namespace {

namespace fs = std::filesystem;
using testing::ScratchDir;

TEST(Fs, WriteFileAtomicReplacesContentAndLeavesNoTemporaryFile) {
  ScratchDir scratch;
  fs::path file = scratch / "index.json";
  ASSERT_TRUE(write_file_atomic(file, "first").ok());
  ASSERT_TRUE(write_file_atomic(file, "second").ok());
  EXPECT_EQ(read_file(file).value(), "second");
  EXPECT_EQ(std::distance(fs::directory_iterator(scratch.path()), fs::directory_iterator()), 1);
}

// A deferred write is as atomic as any other (only its fsync waits for sync_files).
TEST(Fs, DeferredWritesAreSyncedTogetherLater) {
  ScratchDir scratch;
  std::vector<fs::path> files = {scratch / "oci-layout", scratch / "index.json"};
  for (const fs::path& file : files) ASSERT_TRUE(write_file_atomic(file, "{}", Durability::deferred).ok());
  ASSERT_TRUE(write_file_atomic(files[1], "{\"manifests\":[]}", Durability::deferred).ok());
  EXPECT_TRUE(sync_files(files).ok());
  EXPECT_EQ(read_file(files[0]).value(), "{}");
  EXPECT_EQ(read_file(files[1]).value(), "{\"manifests\":[]}");
  EXPECT_EQ(std::distance(fs::directory_iterator(scratch.path()), fs::directory_iterator()), 2);
}

TEST(Fs, SyncFilesNamesAFileThatIsGone) {
  ScratchDir scratch;
  fs::path kept = scratch.write("kept", "x");
  EXPECT_EQ(sync_files({kept, scratch / "gone"}).error(),
            "cannot open " + (scratch / "gone").string() + " to sync it: No such file or directory");
}

TEST(Fs, ReadFileNamesAMissingFile) {
  ScratchDir scratch;
  EXPECT_EQ(read_file(scratch / "nope").error(),
            "cannot read " + (scratch / "nope").string() + ": No such file or directory");
}

TEST(Fs, ReplaceDirectorySwapsAnExistingDirectoryInOneStep) {
  ScratchDir scratch;
  fs::path target = scratch / "layout";
  scratch.write("layout/old", "old");
  fs::path staged = make_sibling_temp_dir(target).value();
  EXPECT_EQ(staged.parent_path(), scratch.path());
  EXPECT_EQ(staged.filename().string().rfind(".layout.tmp-", 0), 0u);
  scratch.write(fs::relative(staged / "new", scratch.path()).string(), "new");
  ASSERT_TRUE(replace_directory(staged, target).ok());
  EXPECT_TRUE(fs::exists(target / "new"));
  EXPECT_FALSE(fs::exists(target / "old"));
  EXPECT_FALSE(fs::exists(staged));
}

TEST(Fs, ReplaceDirectoryCreatesAMissingTarget) {
  ScratchDir scratch;
  fs::path staged = make_sibling_temp_dir(scratch / "out").value();
  ASSERT_TRUE(replace_directory(staged, scratch / "out").ok());
  EXPECT_TRUE(fs::is_directory(scratch / "out"));
}

TEST(Sha256, DigestsAreOciFormatted) {
  EXPECT_EQ(sha256_digest(""), "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  Sha256 incremental;
  incremental.update("ab");
  incremental.update("c");
  EXPECT_EQ(incremental.digest(), sha256_digest("abc"));
  ScratchDir scratch;
  EXPECT_EQ(sha256_file(scratch.write("f", "abc")).value(), sha256_digest("abc"));
}

}  // namespace
}  // namespace xb

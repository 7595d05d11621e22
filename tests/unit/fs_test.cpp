#include "util/fs.h"
#include "util/proc.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

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

// ".<name>.tmp-<this process>-" and six characters that mkstemp/mkdtemp chose.
bool is_temp_of(const fs::path& path, const std::string& name) {
  std::string file_name = path.filename().string();
  std::string prefix = "." + name + ".tmp-" + self_identity().str() + "-";
  return file_name.rfind(prefix, 0) == 0 && file_name.size() == prefix.size() + 6;
}

mode_t mode_of(const fs::path& path) {
  struct stat info {};
  EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
  return info.st_mode & 07777;
}

TEST(TempFile, IsCreatedNextToItsTargetAndRemovedUnlessCommitted) {
  ScratchDir scratch;
  fs::path kept_path;
  {
    Result<TempFile> temp = TempFile::create(scratch / "index.json");
    ASSERT_TRUE(temp.ok()) << temp.error();
    kept_path = temp.value().path();
    EXPECT_EQ(kept_path.parent_path(), scratch.path());
    EXPECT_TRUE(is_temp_of(kept_path, "index.json")) << kept_path;
    EXPECT_EQ(mode_of(kept_path), 0644u);
    EXPECT_GE(temp.value().fd(), 0);
    EXPECT_TRUE(fs::exists(kept_path));
    ASSERT_TRUE(temp.value().write("half").ok());
  }
  EXPECT_FALSE(fs::exists(kept_path));
  EXPECT_TRUE(fs::is_empty(scratch.path()));
}

TEST(TempFile, CommitRenamesItOverTheTarget) {
  ScratchDir scratch;
  fs::path target = scratch.write("index.json", "old");
  Result<TempFile> temp = TempFile::create(target, 0600);
  ASSERT_TRUE(temp.ok()) << temp.error();
  ASSERT_TRUE(temp.value().write("new").ok());
  ASSERT_TRUE(temp.value().close(Durability::now).ok());
  EXPECT_EQ(temp.value().fd(), -1);
  ASSERT_TRUE(temp.value().commit(target).ok());
  EXPECT_TRUE(temp.value().path().empty());
  EXPECT_EQ(read_file(target).value(), "new");
  EXPECT_EQ(mode_of(target), 0600u);
  EXPECT_EQ(std::distance(fs::directory_iterator(scratch.path()), fs::directory_iterator()), 1);
}

TEST(TempFile, MovesOwnershipOfTheFile) {
  ScratchDir scratch;
  Result<TempFile> temp = TempFile::create_in(scratch.path(), "layer");
  ASSERT_TRUE(temp.ok()) << temp.error();
  EXPECT_TRUE(is_temp_of(temp.value().path(), "layer"));
  TempFile moved = std::move(temp).value();
  fs::path path = moved.path();
  {
    TempFile taken = std::move(moved);
    EXPECT_EQ(taken.path(), path);
    EXPECT_TRUE(fs::exists(path));
  }
  EXPECT_FALSE(fs::exists(path));
}

TEST(TempFile, NamesTheDirectoryItCannotCreateIn) {
  ScratchDir scratch;
  EXPECT_EQ(TempFile::create(scratch / "missing" / "out.tar").error(), "cannot create a temporary file next to " +
                                                                           (scratch / "missing" / "out.tar").string() +
                                                                           ": No such file or directory");
  EXPECT_EQ(TempFile::create_in(scratch / "missing", "layer").error(),
            "cannot create a temporary file in " + (scratch / "missing").string() + ": No such file or directory");
}

// mkstemp's names: no generator of our own, so threads creating at once never collide.
TEST(TempFile, ThreadsCreatingAtOnceGetDistinctFiles) {
  ScratchDir scratch;
  constexpr int kThreads = 8;
  constexpr int kFiles = 50;
  std::vector<std::vector<std::string>> names(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<TempFile> open;
      for (int i = 0; i < kFiles; ++i) {
        Result<TempFile> temp = TempFile::create(scratch / "blob");
        if (!temp) return;
        names[t].push_back(temp.value().path().string());
        open.push_back(std::move(temp).value());
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  std::set<std::string> distinct;
  for (const std::vector<std::string>& list : names) {
    EXPECT_EQ(list.size(), static_cast<std::size_t>(kFiles));
    distinct.insert(list.begin(), list.end());
  }
  EXPECT_EQ(distinct.size(), static_cast<std::size_t>(kThreads * kFiles));
  EXPECT_TRUE(fs::is_empty(scratch.path()));  // every one removed with its object
}

TEST(Fs, ConcurrentAtomicWritesLeaveOneWholeFile) {
  ScratchDir scratch;
  fs::path file = scratch / "entry";
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) EXPECT_TRUE(write_file_atomic(file, std::string(1000, char('a' + t))).ok());
    });
  }
  for (std::thread& thread : threads) thread.join();
  std::string content = read_file(file).value();
  ASSERT_EQ(content.size(), 1000u);
  EXPECT_EQ(content, std::string(1000, content[0]));
  EXPECT_EQ(std::distance(fs::directory_iterator(scratch.path()), fs::directory_iterator()), 1);
}

// As open(..., 0644) and mkdir(..., 0755) would make them, though mkstemp and mkdtemp don't.
TEST(Fs, AtomicWritesAndStagedDirectoriesGetTheUsualModes) {
  ScratchDir scratch;
  mode_t mask = ::umask(0);
  ::umask(mask);
  ASSERT_TRUE(write_file_atomic(scratch / "file", "x").ok());
  fs::path staged = make_sibling_temp_dir(scratch / "dir").value();
  EXPECT_EQ(mode_of(scratch / "file"), 0644u & ~mask);
  EXPECT_EQ(mode_of(staged), 0755u & ~mask);
}

TEST(Fs, TemporaryNamesAreRecognised) {
  EXPECT_TRUE(is_temp_name(".index.json.tmp-a1B2c3"));
  EXPECT_TRUE(is_temp_name(".tmp-0123abcd-4242-7"));  // an older version's cache object
  EXPECT_FALSE(is_temp_name("0123abcd"));
  EXPECT_FALSE(is_temp_name("index.json"));
  EXPECT_FALSE(is_temp_name("notes.tmp-1"));
  EXPECT_FALSE(is_temp_name(".hidden"));
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

namespace xb {
namespace {

TEST(Fs, TemporaryDirectoriesNameTheirOwner) {
  ScratchDir scratch;
  fs::path staged = make_sibling_temp_dir(scratch / "layout").value();
  EXPECT_TRUE(is_temp_of(staged, "layout")) << staged;
  EXPECT_TRUE(is_temp_name(staged.filename().string()));
}

// What a gone process left goes; a live one's, another pid namespace's, an older version's (no
// owner) and other names stay.
TEST(Fs, RemoveStaleTempsRemovesOnlyWhatAGoneOwnerLeft) {
  ScratchDir scratch;
  const ProcessIdentity& self = self_identity();
  ProcessIdentity gone{self.pid, self.start + 1, self.pid_namespace};  // the same pid, started later
  ProcessIdentity elsewhere{self.pid, self.start + 1, self.pid_namespace + 1};
  scratch.write(".out.tmp-" + gone.str() + "-a1b2c3/oci/index.json", "{}");
  scratch.write(".out.tmp-" + gone.str() + "-d4e5f6", "a file");
  scratch.write(".out.tmp-" + self.str() + "-g7h8i9/x", "mine");
  scratch.write(".out.tmp-" + elsewhere.str() + "-j1k2l3/x", "another namespace's");
  scratch.write(".out.tmp-m4n5o6/x", "an older version's");
  scratch.write(".other.tmp-" + gone.str() + "-p7q8r9/x", "another target's");
  scratch.write("out/index.json", "{}");
  EXPECT_EQ(remove_stale_temps(scratch / "out"), 2u);
  std::set<std::string> left;
  for (const fs::directory_entry& entry : fs::directory_iterator(scratch.path()))
    left.insert(entry.path().filename().string());
  EXPECT_EQ(left,
            (std::set<std::string>{".out.tmp-" + self.str() + "-g7h8i9", ".out.tmp-" + elsewhere.str() + "-j1k2l3",
                                   ".out.tmp-m4n5o6", ".other.tmp-" + gone.str() + "-p7q8r9", "out"}));
}

TEST(Proc, IdentityRoundTripsAndTellsALiveProcessFromAGoneOne) {
  const ProcessIdentity& self = self_identity();
  EXPECT_EQ(self.pid, ::getpid());
  EXPECT_GT(self.start, 0u);
  std::optional<ProcessIdentity> parsed = ProcessIdentity::parse(self.str());
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->str(), self.str());
  EXPECT_EQ(liveness(self), Liveness::alive);
  EXPECT_EQ(liveness({self.pid, self.start + 1, self.pid_namespace}), Liveness::gone);
  EXPECT_EQ(liveness({self.pid, self.start, self.pid_namespace + 1}), Liveness::unknown);
  EXPECT_FALSE(ProcessIdentity::parse("12.34"));
  EXPECT_FALSE(ProcessIdentity::parse("a.1.2"));
  EXPECT_FALSE(ProcessIdentity::parse("0.1.2"));
}

}  // namespace
}  // namespace xb

#include "cache/store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "support/scratch_dir.h"
#include "util/fs.h"
#include "util/sha256.h"

namespace xb {
namespace {

namespace fs = std::filesystem;
using testing::ScratchDir;
using testing::snapshot_tree;

const std::string kKey = "sha256:" + std::string(64, 'a');
const std::string kOtherKey = "sha256:" + std::string(64, 'b');

TEST(CacheStore, StoresAndRestoresATreeWithModesSymlinksAndLogs) {
  ScratchDir scratch;
  scratch.write("out/bin/hello", "ELF");
  fs::permissions(scratch / "out/bin/hello", fs::perms(0755));
  scratch.write("out/share/doc/readme", "read me");
  fs::create_directories(scratch / "out/empty");
  fs::create_symlink("bin/hello", scratch / "out/hello");
  scratch.write("logs/build.log", "cc -o hello\n");
  CacheStore store(scratch / "cache");
  EXPECT_FALSE(store.contains(kKey));
  ASSERT_TRUE(store.store(kKey, scratch / "out", {{"build", scratch / "logs/build.log"}}).ok());
  EXPECT_TRUE(store.contains(kKey));

  fs::create_directories(scratch / "restored");
  ASSERT_TRUE(store.restore(kKey, scratch / "restored", {{"build", scratch / "restored-logs/build.log"}}).ok());
  EXPECT_EQ(snapshot_tree(scratch / "restored"), snapshot_tree(scratch / "out"));
  EXPECT_EQ(fs::status(scratch / "restored/bin/hello").permissions() & fs::perms::all, fs::perms(0755));
  EXPECT_EQ(fs::read_symlink(scratch / "restored/hello"), "bin/hello");
  EXPECT_TRUE(fs::is_directory(scratch / "restored/empty"));
  EXPECT_EQ(read_file(scratch / "restored-logs/build.log").value(), "cc -o hello\n");
}

TEST(CacheStore, AStageEntryHoldsWhatChangedSinceItsSnapshotAndReplaysRemovals) {
  ScratchDir scratch;
  for (const char* tree : {"out", "replayed"}) {  // what the stages before this one left
    scratch.write(std::string(tree) + "/bin/hello", "ELF");
    scratch.write(std::string(tree) + "/untouched", "from build");
    scratch.write(std::string(tree) + "/stale", "removed by the stage");
    scratch.write(std::string(tree) + "/report/part", "a directory the stage replaces by a file");
  }
  Result<OutputSnapshot> before = snapshot_output(scratch / "out");
  ASSERT_TRUE(before.ok()) << before.error();
  EXPECT_EQ(before.value().items.size(), 6u);  // with bin/ and report/

  scratch.write("out/bin/hello", "ELF, stripped");
  scratch.write("out/new/coverage.txt", "100%");
  fs::remove(scratch / "out/stale");
  fs::remove_all(scratch / "out/report");
  scratch.write("out/report", "a file now");
  CacheStore store(scratch / "cache");
  ASSERT_TRUE(store.store(kKey, scratch / "out", {}, &before.value()).ok());
  std::string manifest = read_file(scratch / "cache/entries" / std::string(64, 'a')).value();
  EXPECT_EQ(manifest.find("untouched"), std::string::npos) << manifest;
  EXPECT_NE(manifest.find("gone\tstale\n"), std::string::npos) << manifest;
  EXPECT_NE(manifest.find("gone\treport/part\n"), std::string::npos) << manifest;

  ASSERT_TRUE(store.restore(kKey, scratch / "replayed", {}).ok());
  EXPECT_EQ(snapshot_tree(scratch / "replayed"), snapshot_tree(scratch / "out"));
  fs::create_directories(scratch / "alone");
  ASSERT_TRUE(store.restore(kKey, scratch / "alone", {}).ok());
  EXPECT_FALSE(fs::exists(scratch / "alone/untouched"));
  EXPECT_EQ(read_file(scratch / "alone/bin/hello").value(), "ELF, stripped");
  EXPECT_EQ(read_file(scratch / "alone/report").value(), "a file now");
}

TEST(CacheStore, SameContentIsStoredOnce) {
  ScratchDir scratch;
  scratch.write("a/file", "same");
  scratch.write("b/other-name", "same");
  CacheStore store(scratch / "cache");
  ASSERT_TRUE(store.store(kKey, scratch / "a", {}).ok());
  ASSERT_TRUE(store.store(kOtherKey, scratch / "b", {}).ok());
  CacheInfo info = store.info().value();
  EXPECT_EQ(info.entries, 2u);
  EXPECT_EQ(info.objects, 1u);
}

// Objects go in through a temporary name, with their source's mode; none is left behind.
TEST(CacheStore, ObjectsKeepTheirSourcesModeAndLeaveNoTemporaryFile) {
  ScratchDir scratch;
  fs::path tool = scratch.write("out/tool", "#!/bin/sh\n");
  fs::permissions(tool, fs::perms(0755));
  CacheStore store(scratch / "cache");
  ASSERT_TRUE(store.store(kKey, scratch / "out", {}).ok());
  std::vector<fs::path> objects;
  for (const fs::directory_entry& entry : fs::directory_iterator(scratch / "cache/objects"))
    objects.push_back(entry.path());
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_FALSE(is_temp_name(objects[0].filename().string()));
  EXPECT_EQ(fs::status(objects[0]).permissions(), fs::perms(0755));
}

// A write that is under way (or was interrupted) is not counted: neither today's
// ".<name>.tmp-XXXXXX" nor an older version's ".tmp-<hex>-<pid>-<n>".
TEST(CacheStore, InfoSkipsTemporaryFiles) {
  ScratchDir scratch;
  scratch.write("out/file", "content");
  CacheStore store(scratch / "cache");
  ASSERT_TRUE(store.store(kKey, scratch / "out", {}).ok());
  CacheInfo before = store.info().value();
  scratch.write("cache/objects/." + std::string(64, 'c') + ".tmp-a1b2c3", "partial");
  scratch.write("cache/objects/.tmp-" + std::string(64, 'd') + "-4242-0", "partial");
  scratch.write("cache/entries/." + std::string(64, 'e') + ".tmp-d4e5f6", "partial");
  CacheInfo after = store.info().value();
  EXPECT_EQ(after.objects, before.objects);
  EXPECT_EQ(after.entries, before.entries);
  EXPECT_EQ(after.bytes, before.bytes);
}

TEST(CacheStore, RestoringADamagedEntryFailsWithItsPath) {
  ScratchDir scratch;
  scratch.write("cache/entries/" + std::string(64, 'a'), "garbage\n");
  CacheStore store(scratch / "cache");
  Status restored = store.restore(kKey, scratch.path(), {});
  ASSERT_FALSE(restored.ok());
  EXPECT_EQ(restored.error(),
            "the cache entry " + (scratch / "cache/entries" / std::string(64, 'a')).string() + " is damaged");
}

TEST(CacheStore, PruneKeepsTheMostRecentlyUsedEntriesThatFit) {
  ScratchDir scratch;
  scratch.write("old/file", std::string(1000, 'o'));
  scratch.write("new/file", std::string(1000, 'n'));
  CacheStore store(scratch / "cache");
  ASSERT_TRUE(store.store(kKey, scratch / "old", {}).ok());
  ASSERT_TRUE(store.store(kOtherKey, scratch / "new", {}).ok());
  // the first entry was used longer ago
  fs::last_write_time(scratch / "cache/entries" / std::string(64, 'a'),
                      fs::file_time_type::clock::now() - std::chrono::hours(1));
  CacheInfo left = store.prune(1500).value();
  EXPECT_EQ(left.entries, 1u);
  EXPECT_EQ(left.objects, 1u);
  EXPECT_FALSE(store.contains(kKey));
  EXPECT_TRUE(store.contains(kOtherKey));
  EXPECT_EQ(store.prune(0).value().entries, 0u);
  EXPECT_EQ(store.info().value().objects, 0u);
}

TEST(CacheStore, PruneWeighsOtherItemsWithTheEntriesByLastUse) {
  ScratchDir scratch;
  scratch.write("out/file", std::string(1000, 'o'));
  CacheStore store(scratch / "cache");
  ASSERT_TRUE(store.store(kKey, scratch / "out", {}).ok());
  fs::file_time_type now = fs::file_time_type::clock::now();
  fs::last_write_time(scratch / "cache/entries" / std::string(64, 'a'), now - std::chrono::hours(2));
  std::vector<std::string> removed;
  auto item = [&](const std::string& name, std::chrono::hours age, std::uint64_t bytes, bool in_use) {
    return CacheStore::OtherItem{now - age, bytes, [&removed, name, in_use]() -> Result<bool> {
                                   if (in_use) return false;
                                   removed.push_back(name);
                                   return true;
                                 }};
  };
  // Newest first: "fresh" (1 h) fits, the entry (2 h) does not, and from there on everything
  // older goes, but "busy", which is in use, stays.
  std::vector<CacheStore::OtherItem> others = {item("old", std::chrono::hours(3), 100, false),
                                               item("fresh", std::chrono::hours(1), 4000, false),
                                               item("busy", std::chrono::hours(4), 100, true)};
  CacheInfo left = store.prune(4500, others).value();
  EXPECT_EQ(removed, std::vector<std::string>{"old"});
  EXPECT_EQ(left.entries, 0u);
  EXPECT_EQ(left.objects, 0u);
  EXPECT_FALSE(store.contains(kKey));

  Result<CacheInfo> failed = store.prune(0, {CacheStore::OtherItem{now, 1, [] { return Result<bool>(fail("no")); }}});
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error(), "no");
}

TEST(CacheStore, ConcurrentWritersOfTheSameKeyLeaveOneWholeEntry) {
  ScratchDir scratch;
  for (int i = 0; i < 20; ++i)
    scratch.write("out/file" + std::to_string(i), std::string(10000, static_cast<char>('a' + i)));
  CacheStore store(scratch / "cache");
  std::vector<std::thread> writers;
  std::atomic<int> failures{0};
  for (int i = 0; i < 4; ++i)
    writers.emplace_back([&] {
      if (!store.store(kKey, scratch / "out", {}).ok()) ++failures;
    });
  for (std::thread& writer : writers) writer.join();
  EXPECT_EQ(failures, 0);
  fs::create_directories(scratch / "restored");
  ASSERT_TRUE(store.restore(kKey, scratch / "restored", {}).ok());
  EXPECT_EQ(snapshot_tree(scratch / "restored"), snapshot_tree(scratch / "out"));
}

TEST(CacheSize, ParsesBinaryUnitsAndRejectsTheRest) {
  EXPECT_EQ(parse_size("1024"), 1024u);
  EXPECT_EQ(parse_size("10K"), 10240u);
  EXPECT_EQ(parse_size("500M"), 500ull * 1024 * 1024);
  EXPECT_EQ(parse_size("2GiB"), 2ull * 1024 * 1024 * 1024);
  EXPECT_EQ(parse_size("1.5G"), 1536ull * 1024 * 1024);
  EXPECT_FALSE(parse_size("").has_value());
  EXPECT_FALSE(parse_size("lots").has_value());
  EXPECT_FALSE(parse_size("5X").has_value());
  EXPECT_EQ(format_size(512), "512 B");
  EXPECT_EQ(format_size(1536), "1.5 KiB");
}

TEST(CacheStore, AnEntryRecordsItsMetaAndListsItsObjectsOnce) {
  ScratchDir scratch;
  scratch.write("out/a", "same");
  scratch.write("out/b", "same");
  scratch.write("logs/build.log", "log\n");
  CacheStore store(scratch / "cache");
  ASSERT_TRUE(store
                  .store(kKey, scratch / "out", {{"build", scratch / "logs/build.log"}}, nullptr,
                         {"linux/arm/v7", "build", 2.5})
                  .ok());
  ASSERT_TRUE(store.store(kOtherKey, scratch / "out", {}, nullptr, {"linux/amd64", "", 0}).ok());
  std::string same = sha256_file(scratch / "out/a").value().substr(7);
  std::string log = sha256_file(scratch / "logs/build.log").value().substr(7);
  EXPECT_EQ(store.entry_text(kKey).value(),
            "xbuild-cache-entry-3\nmeta\tplatform\tlinux/arm/v7\nmeta\tstage\tbuild\n"
            "meta\tseconds\t2.500\nfile\t644\t" +
                same + "\ta\nfile\t644\t" + same + "\tb\nlog\tbuild\t" + log + "\n");
  std::vector<EntryListing> entries = store.entries();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].key, kKey);
  EXPECT_EQ(entries[0].meta, (EntryMeta{"linux/arm/v7", "build", 2.5}));
  EXPECT_EQ(entries[0].objects, (std::vector<std::string>{same, log}));
  EXPECT_EQ(entries[0].bytes, store.entry_text(kKey).value().size() + 4 + 4);
  EXPECT_EQ(entries[1].key, kOtherKey);
  EXPECT_EQ(entries[1].meta, (EntryMeta{"linux/amd64", "", 0}));
  EXPECT_EQ(store.object_path(same), scratch / "cache/objects" / same);
  EXPECT_FALSE(store.entry("sha256:" + std::string(64, 'c')));

  // The meta lines change nothing of what is restored.
  fs::create_directories(scratch / "restored");
  ASSERT_TRUE(store.restore(kKey, scratch / "restored", {}).ok());
  EXPECT_EQ(snapshot_tree(scratch / "restored"), snapshot_tree(scratch / "out"));
}

TEST(CacheStore, EntryTextsOfEarlierVersionsStillParse) {
  std::string hex(64, 'e');
  Result<EntryListing> two = parse_entry_text(kKey, "xbuild-cache-entry-2\ngone\told\ndir\t755\tbin\nfile\t755\t" +
                                                        hex + "\tbin/x\nlink\tx\ty\nlog\tbuild\t" + hex + "\n");
  ASSERT_TRUE(two.ok()) << two.error();
  EXPECT_EQ(two.value().key, kKey);
  EXPECT_EQ(two.value().meta, EntryMeta{});
  EXPECT_EQ(two.value().objects, std::vector<std::string>{hex});
  EXPECT_TRUE(parse_entry_text(kKey, "xbuild-cache-entry-1\nfile\t644\t" + hex + "\ta\n").ok());
}

TEST(CacheStore, AMalformedEntryTextIsRefusedNamingTheLine) {
  auto error = [](const std::string& text) {
    Result<EntryListing> parsed = parse_entry_text(kKey, text);
    return parsed.ok() ? std::string("accepted") : parsed.error();
  };
  EXPECT_EQ(error("xbuild-cache-entry-9\n"),
            "the cache entry " + kKey + " does not start with a known header (xbuild-cache-entry-3)");
  EXPECT_EQ(error("xbuild-cache-entry-3\nfile\t644\t../../etc/passwd\ta\n"),
            "the cache entry " + kKey + " is damaged (line 2)");
  EXPECT_EQ(error("xbuild-cache-entry-3\nmeta\tseconds\tlong\n"), "the cache entry " + kKey + " is damaged (line 2)");
  EXPECT_EQ(error("xbuild-cache-entry-3\nmeta\tplatform\tlinux/amd64\nexec\trm -rf /\n"),
            "the cache entry " + kKey + " is damaged (line 3)");
}

TEST(CacheStore, ImportingAnEntryNeedsEveryObjectItNamesAndWritesNothingElse) {
  ScratchDir scratch;
  scratch.write("out/a", "content");
  CacheStore source(scratch / "source");
  ASSERT_TRUE(source.store(kKey, scratch / "out", {}, nullptr, {"linux/amd64", "build", 1}).ok());
  std::string text = source.entry_text(kKey).value();
  std::string hex = source.entries().front().objects.front();

  CacheStore target(scratch / "target");
  Status missing = target.import_entry(kKey, text);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error(), "cannot import the cache entry " + kKey + ": its object " + hex + " is not in " +
                                 (scratch / "target/objects").string());
  EXPECT_FALSE(target.contains(kKey));

  EXPECT_FALSE(target.import_entry(kKey, "not an entry").ok());
  EXPECT_FALSE(target.contains(kKey));

  fs::create_directories(scratch / "target/objects");
  fs::copy_file(source.object_path(hex), target.object_path(hex));
  ASSERT_TRUE(target.import_entry(kKey, text).ok());
  EXPECT_EQ(target.entry_text(kKey).value(), text);
  fs::create_directories(scratch / "restored");
  ASSERT_TRUE(target.restore(kKey, scratch / "restored", {}).ok());
  EXPECT_EQ(read_file(scratch / "restored/a").value(), "content");
}

}  // namespace
}  // namespace xb

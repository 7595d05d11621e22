// Tests for debian/tree and its record: specs in their one form, keys (what changes them and
// what does not), resolving against a fake mirror (online, offline with and without an older
// tree), listing and removing trees, ages in words.
#include "debian/tree.h"

#include <gtest/gtest.h>

#include <ctime>

#include "debian/tree_record.h"
#include "support/fake_http_client.h"
#include "support/scratch_dir.h"
#include "util/fs.h"

namespace xb::debian {
namespace {

namespace fs = std::filesystem;
using testing::CannedResponse;
using testing::FakeHttpClient;
using testing::ScratchDir;

constexpr const char* kMirror = "http://mirror.example/debian";

std::string in_release(const std::string& date) {
  return "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\nOrigin: Debian\nDate: " + date + "\n";
}

registry::HttpGetOptions mirror_answering(CannedResponse answer) {
  registry::HttpGetOptions options;
  options.http_client = [answer](uv_loop_t* loop) -> std::unique_ptr<registry::HttpClient> {
    return std::make_unique<FakeHttpClient>(
        loop, [answer](const registry::HttpRequest&) { return FakeHttpClient::response(answer); });
  };
  return options;
}

registry::HttpGetOptions online(const std::string& date = "Sat, 11 Jul 2026") {
  return mirror_answering({200, {}, in_release(date)});
}
registry::HttpGetOptions offline() { return mirror_answering({0, {}, "", "Could not resolve host: mirror.example"}); }

TreeSpec arm64_sysroot(std::vector<std::string> packages = {"zlib1g-dev"}) {
  return {TreeSpec::Kind::sysroot, "bookworm", "arm64", kMirror, std::move(packages)};
}

// A finished tree, as make_tree leaves one, without mmdebstrap: its directory and record.
fs::path plant_tree(const ResolvedTree& tree, std::int64_t made_at, std::uint64_t bytes = 1000) {
  fs::create_directories(tree.dir / "usr");
  TreeRecord record;
  record.spec = tree.spec;
  record.release = tree.release;
  record.made_at = made_at;
  record.bytes = bytes;
  record.versions = {{"zlib1g", "1:1.2.13.dfsg-1"}};
  EXPECT_TRUE(write_file_atomic(record_path(tree.dir), format_record(record)).ok());
  return tree.dir;
}

std::int64_t now() { return static_cast<std::int64_t>(std::time(nullptr)); }

std::string key_of(const TreeSpec& spec, const std::string& release = "sha256:aa") {
  return tree_key(normalize_spec(spec).value(), release);
}

TEST(TreeKey, TheSameSpecGivesTheSameKeyWhateverThePackageOrder) {
  std::string key = key_of(arm64_sysroot({"zlib1g-dev", "libssl-dev"}));
  EXPECT_EQ(key.size(), 64u);
  EXPECT_EQ(key_of(arm64_sysroot({"zlib1g-dev", "libssl-dev"})), key);
  EXPECT_EQ(key_of(arm64_sysroot({"libssl-dev", "zlib1g-dev"})), key);
  EXPECT_EQ(key_of(arm64_sysroot({"libssl-dev", "zlib1g-dev", "libssl-dev"})), key);
  TreeSpec slash = arm64_sysroot({"libssl-dev", "zlib1g-dev"});
  slash.mirror += "/";
  EXPECT_EQ(key_of(slash), key);
}

TEST(TreeKey, AnythingElseGivesAnotherKey) {
  const TreeSpec base = arm64_sysroot({"zlib1g-dev"});
  const std::string key = key_of(base);
  TreeSpec other = base;
  other.packages = {"zlib1g-dev", "libssl-dev"};
  EXPECT_NE(key_of(other), key);
  other = base;
  other.suite = "trixie";
  EXPECT_NE(key_of(other), key);
  other = base;
  other.architecture = "armhf";
  EXPECT_NE(key_of(other), key);
  other = base;
  other.mirror = "http://ftp.de.debian.org/debian";
  EXPECT_NE(key_of(other), key);
  other = base;
  other.kind = TreeSpec::Kind::rootfs;
  EXPECT_NE(key_of(other), key);
  EXPECT_NE(key_of(base, "sha256:bb"), key) << "another state of the archive";
}

TEST(NormalizeSpec, RefusesWhatCannotBeADebianName) {
  Result<TreeSpec> upper = normalize_spec(arm64_sysroot({"Zlib"}));
  ASSERT_FALSE(upper.ok());
  EXPECT_EQ(upper.error(),
            "\"Zlib\" is not a Debian package name: names are lowercase letters, digits and + - . (zlib1g-dev, "
            "libssl-dev)");
  EXPECT_FALSE(normalize_spec(arm64_sysroot({"zlib1g-dev,libssl-dev"})).ok()) << "a comma would split --include";
  EXPECT_FALSE(normalize_spec(arm64_sysroot({"-x"})).ok());
  EXPECT_TRUE(normalize_spec(arm64_sysroot({"libstdc++-12-dev", "g++"})).ok());
  TreeSpec no_arch = arm64_sysroot();
  no_arch.architecture = "";
  EXPECT_EQ(normalize_spec(no_arch).error(), "a Debian tree needs an architecture (arm64, armhf, riscv64, ...)");
  TreeSpec ftp = arm64_sysroot();
  ftp.mirror = "ftp://ftp.debian.org/debian";
  EXPECT_EQ(normalize_spec(ftp).error(),
            "the Debian mirror \"ftp://ftp.debian.org/debian\" is not an http:// or https:// URL");
}

TEST(ResolveTree, NamesTheDirectoryByTheKeyOfTheSpecAndTheArchivesState) {
  ScratchDir scratch;
  Result<ResolvedTree> tree = resolve_tree(arm64_sysroot({"zlib1g-dev", "libssl-dev"}), scratch / "cache", online());
  ASSERT_TRUE(tree.ok()) << tree.error();
  EXPECT_EQ(tree.value().spec.packages, (std::vector<std::string>{"libssl-dev", "zlib1g-dev"}));
  EXPECT_EQ(tree.value().key, tree_key(tree.value().spec, tree.value().release));
  EXPECT_EQ(tree.value().dir, scratch / "cache/debian/sysroot" / tree.value().key);
  EXPECT_TRUE(tree.value().warning.empty());
  EXPECT_FALSE(fs::exists(scratch / "cache")) << "resolving creates nothing";

  Result<ResolvedTree> later =
      resolve_tree(arm64_sysroot({"zlib1g-dev", "libssl-dev"}), scratch / "cache", online("Sat, 12 Sep 2026"));
  ASSERT_TRUE(later.ok());
  EXPECT_NE(later.value().key, tree.value().key) << "a point release makes another tree";
}

TEST(ResolveTree, MarksATreeAsUsed) {
  ScratchDir scratch;
  ResolvedTree tree = resolve_tree(arm64_sysroot(), scratch.path(), online()).value();
  plant_tree(tree, now());
  fs::file_time_type long_ago = fs::file_time_type::clock::now() - std::chrono::hours(240);
  fs::last_write_time(record_path(tree.dir), long_ago);
  ASSERT_TRUE(resolve_tree(arm64_sysroot(), scratch.path(), online()).ok());
  EXPECT_GT(fs::last_write_time(record_path(tree.dir)), long_ago + std::chrono::hours(200));
}

TEST(ResolveTree, OfflineTheNewestTreeOfTheSameSpecStandsInWithAWarning) {
  ScratchDir scratch;
  ResolvedTree older = resolve_tree(arm64_sysroot(), scratch.path(), online("Sat, 11 Jul 2026")).value();
  ResolvedTree newer = resolve_tree(arm64_sysroot(), scratch.path(), online("Sat, 12 Sep 2026")).value();
  ResolvedTree other = resolve_tree(arm64_sysroot({"libssl-dev"}), scratch.path(), online()).value();
  plant_tree(older, now() - 30 * 86400);
  plant_tree(newer, now() - 3 * 86400 - 600);
  plant_tree(other, now());

  Result<ResolvedTree> fallback = resolve_tree(arm64_sysroot(), scratch.path(), offline());
  ASSERT_TRUE(fallback.ok()) << fallback.error();
  EXPECT_EQ(fallback.value().dir, newer.dir);
  EXPECT_EQ(fallback.value().key, newer.key);
  EXPECT_EQ(fallback.value().release, newer.release);
  EXPECT_EQ(fallback.value().warning,
            "cannot reach the Debian mirror http://mirror.example/debian: Could not resolve host: mirror.example; "
            "using the sysroot of bookworm/arm64 made 3 days ago");
}

TEST(ResolveTree, OfflineWithoutAnyTreeOfTheSpecIsAnErrorNamingTheMirror) {
  ScratchDir scratch;
  ResolvedTree armhf =
      resolve_tree({TreeSpec::Kind::sysroot, "bookworm", "armhf", kMirror, {"zlib1g-dev"}}, scratch.path(), online())
          .value();
  plant_tree(armhf, now());
  Result<ResolvedTree> tree = resolve_tree(arm64_sysroot(), scratch.path(), offline());
  ASSERT_FALSE(tree.ok());
  EXPECT_EQ(tree.error(),
            "cannot reach the Debian mirror http://mirror.example/debian: Could not resolve host: mirror.example; "
            "and the sysroot of bookworm/arm64 with these packages was never made on this machine: xbuild needs the "
            "mirror once to make it");
}

TEST(ResolveTree, AnUnknownSuiteIsAnErrorEvenWithOlderTrees) {
  ScratchDir scratch;
  Result<ResolvedTree> tree = resolve_tree(arm64_sysroot(), scratch.path(), mirror_answering({404, {}, ""}));
  ASSERT_FALSE(tree.ok());
  EXPECT_EQ(tree.error().rfind("the Debian mirror http://mirror.example/debian has no suite \"bookworm\"", 0), 0u);
}

TEST(TreeRecord, ReadsBackWhatItWrote) {
  TreeRecord record;
  record.spec = {TreeSpec::Kind::rootfs, "bookworm", "arm64", kMirror, {"gcc", "make"}};
  record.release = "sha256:ab";
  record.made_at = 1780000000;
  record.bytes = 402653184;
  record.versions = {{"gcc", "4:12.2.0-3"}, {"make", "4.3-4.1"}};
  std::string text = format_record(record);
  EXPECT_EQ(text,
            "xbuild-debian-tree-1\nkind\trootfs\nsuite\tbookworm\narchitecture\tarm64\nmirror\t"
            "http://mirror.example/debian\npackage\tgcc\npackage\tmake\nrelease\tsha256:ab\nmade\t1780000000\n"
            "bytes\t402653184\nversion\tgcc\t4:12.2.0-3\nversion\tmake\t4.3-4.1\n");
  Result<TreeRecord> read = parse_record(text);
  ASSERT_TRUE(read.ok()) << read.error();
  EXPECT_EQ(read.value().spec.kind, TreeSpec::Kind::rootfs);
  EXPECT_EQ(read.value().spec.packages, record.spec.packages);
  EXPECT_EQ(read.value().made_at, record.made_at);
  EXPECT_EQ(read.value().bytes, record.bytes);
  EXPECT_EQ(read.value().versions, record.versions);
  EXPECT_FALSE(parse_record("something else\n").ok());
  EXPECT_FALSE(parse_record("xbuild-debian-tree-1\nkind\tchroot\n").ok());
}

TEST(ListTrees, FinishedTreesMostRecentlyUsedFirst) {
  ScratchDir scratch;
  ResolvedTree sysroot = resolve_tree(arm64_sysroot(), scratch.path(), online()).value();
  ResolvedTree rootfs =
      resolve_tree({TreeSpec::Kind::rootfs, "bookworm", "arm64", kMirror, {"make"}}, scratch.path(), online()).value();
  plant_tree(sysroot, now(), 100);
  plant_tree(rootfs, now(), 200);
  fs::last_write_time(record_path(sysroot.dir), fs::file_time_type::clock::now() - std::chrono::hours(1));
  // Neither a temporary nor a record without its directory is a tree.
  fs::create_directories(sysroot.dir.parent_path() / ("." + std::string(64, 'a') + ".tmp-x1y2z3"));
  scratch.write("debian/sysroot/" + std::string(64, 'b') + ".tree", format_record(TreeRecord{arm64_sysroot()}));

  std::vector<TreeRecord> trees = list_trees(scratch.path());
  ASSERT_EQ(trees.size(), 2u);
  EXPECT_EQ(trees[0].key, rootfs.key);
  EXPECT_EQ(trees[0].dir, rootfs.dir);
  EXPECT_EQ(trees[0].bytes, 200u);
  EXPECT_EQ(trees[1].key, sysroot.key);
  EXPECT_EQ(trees[1].spec.packages, std::vector<std::string>{"zlib1g-dev"});
  EXPECT_EQ(trees[1].versions.size(), 1u);
}

TEST(RemoveTree, NotWhileAProcessUsesIt) {
  ScratchDir scratch;
  ResolvedTree tree = resolve_tree(arm64_sysroot(), scratch.path(), online()).value();
  plant_tree(tree, now());
  TreeRecord record = list_trees(scratch.path()).at(0);
  {
    FileLock in_use = FileLock::acquire(use_lock_path(tree.dir), FileLock::Mode::shared).value();
    Result<bool> removed = remove_tree_if_unused(record);
    ASSERT_TRUE(removed.ok()) << removed.error();
    EXPECT_FALSE(removed.value());
    EXPECT_TRUE(fs::exists(tree.dir / "usr"));
  }
  Result<bool> removed = remove_tree_if_unused(record);
  ASSERT_TRUE(removed.ok()) << removed.error();
  EXPECT_TRUE(removed.value());
  EXPECT_FALSE(fs::exists(tree.dir));
  EXPECT_FALSE(fs::exists(record_path(tree.dir)));
  EXPECT_TRUE(list_trees(scratch.path()).empty());
  for (const fs::directory_entry& entry : fs::directory_iterator(tree.dir.parent_path()))
    EXPECT_EQ(entry.path(), use_lock_path(tree.dir)) << "only the lock file stays";
}

TEST(RemoveUnfinishedTrees, WhatDeadMakersLeftButNotWhatAMakerIsMaking) {
  ScratchDir scratch;
  ResolvedTree dead = resolve_tree(arm64_sysroot(), scratch.path(), online()).value();
  ResolvedTree busy = resolve_tree(arm64_sysroot({"libssl-dev"}), scratch.path(), online()).value();
  ResolvedTree finished = resolve_tree(arm64_sysroot({"make"}), scratch.path(), online()).value();
  plant_tree(finished, now());
  fs::path kind_dir = dead.dir.parent_path();
  fs::create_directories(kind_dir / ("." + dead.key + ".tmp-a1b2c3") / "usr");
  fs::create_directories(dead.dir / "usr");  // no record: never finished
  fs::create_directories(kind_dir / ("." + busy.key + ".tmp-d4e5f6") / "usr");
  FileLock making = FileLock::acquire(make_lock_path(busy.dir), FileLock::Mode::exclusive).value();

  ASSERT_TRUE(remove_unfinished_trees(scratch.path()).ok());
  EXPECT_FALSE(fs::exists(kind_dir / ("." + dead.key + ".tmp-a1b2c3")));
  EXPECT_FALSE(fs::exists(dead.dir));
  EXPECT_TRUE(fs::exists(kind_dir / ("." + busy.key + ".tmp-d4e5f6")));
  EXPECT_TRUE(fs::exists(finished.dir / "usr"));
  EXPECT_EQ(list_trees(scratch.path()).size(), 1u);
}

TEST(FormatAge, InTheLargestWholeUnit) {
  EXPECT_EQ(format_age(std::chrono::seconds(0)), "0 seconds");
  EXPECT_EQ(format_age(std::chrono::seconds(1)), "1 second");
  EXPECT_EQ(format_age(std::chrono::seconds(59)), "59 seconds");
  EXPECT_EQ(format_age(std::chrono::seconds(60)), "1 minute");
  EXPECT_EQ(format_age(std::chrono::seconds(3599)), "59 minutes");
  EXPECT_EQ(format_age(std::chrono::seconds(3600)), "1 hour");
  EXPECT_EQ(format_age(std::chrono::seconds(47 * 3600)), "47 hours");
  EXPECT_EQ(format_age(std::chrono::seconds(2 * 86400)), "2 days");
  EXPECT_EQ(format_age(std::chrono::seconds(400 * 86400)), "400 days");
}

TEST(Describe, HowMessagesNameATree) {
  EXPECT_EQ(describe(arm64_sysroot()), "the sysroot of bookworm/arm64");
  EXPECT_EQ(describe({TreeSpec::Kind::rootfs, "trixie", "riscv64", kMirror, {}}),
            "the root filesystem of trixie/riscv64");
  EXPECT_EQ(kind_name(TreeSpec::Kind::sysroot), "sysroot");
  EXPECT_EQ(kind_name(TreeSpec::Kind::rootfs), "rootfs");
}

}  // namespace
}  // namespace xb::debian

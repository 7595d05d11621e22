// Tests for debian/make_tree with the mmdebstrap command replaced by shell scripts: a tree is
// made once and reused; what a sysroot's maker left is finished; failures, a killed maker and a
// timeout leave nothing under the key's name and the next make succeeds; temporaries of a dead
// maker go; two makers of one key end with one tree made once; mmdebstrap missing.
#include "debian/tree.h"

#include <signal.h>
#include <stdlib.h>

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "debian/tree_record.h"
#include "support/fake_http_client.h"
#include "support/scratch_dir.h"
#include "util/fs.h"
#include "util/strings.h"

namespace xb::debian {
namespace {

namespace fs = std::filesystem;
using testing::FakeHttpClient;
using testing::ScratchDir;

registry::HttpGetOptions online() {
  registry::HttpGetOptions options;
  options.http_client = [](uv_loop_t* loop) -> std::unique_ptr<registry::HttpClient> {
    return std::make_unique<FakeHttpClient>(loop, [](const registry::HttpRequest&) {
      return FakeHttpClient::response({200, {}, "-----BEGIN PGP SIGNED MESSAGE-----\nSuite: stable\n"});
    });
  };
  return options;
}

// What mmdebstrap's extract variant leaves, in small: a library with an absolute .so link,
// device files, apt's state and the .deb it downloaded. Each run appends a line to `runs`.
std::string fake_extract(const fs::path& runs) {
  return "echo run >> " + shell_quote(runs.string()) + R"(
d="$1"
mkdir -p "$d/usr/lib/aarch64-linux-gnu" "$d/usr/include" "$d/dev" "$d/etc/apt" "$d/var/cache/apt/archives" "$d/tmp"
ln -s usr/lib "$d/lib"
echo elf > "$d/usr/lib/aarch64-linux-gnu/libz.so.1.2.13"
ln -s /lib/aarch64-linux-gnu/libz.so.1.2.13 "$d/usr/lib/aarch64-linux-gnu/libz.so"
echo header > "$d/usr/include/zlib.h"
: > "$d/dev/null"
echo nameserver 10.0.0.1 > "$d/etc/resolv.conf"
: > "$d/var/cache/apt/archives/zlib1g_1%3a1.2.13.dfsg-1_arm64.deb"
echo "I: extracting archives..."
echo "I: success in 0.1 seconds" >&2
)";
}

MakeOptions running(const std::string& script, std::vector<std::string>* lines = nullptr) {
  MakeOptions options;
  options.command = [script](const TreeSpec&, const fs::path& dir) {
    return std::vector<std::string>{"sh", "-c", script, "sh", dir.string()};
  };
  if (lines) options.on_line = [lines](std::string_view line) { lines->emplace_back(line); };
  return options;
}

std::size_t count_lines(const fs::path& file) {
  Result<std::string> text = read_file(file);
  return text ? static_cast<std::size_t>(std::count(text.value().begin(), text.value().end(), '\n')) : 0;
}

class MakeTreeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tree_ = resolve_tree({TreeSpec::Kind::sysroot, "bookworm", "arm64", "http://mirror.example/debian", {"zlib1g-dev"}},
                         scratch_ / "cache", online())
                .value();
  }
  // Nothing under the key's name but its lock files: no tree, no record, no temporary.
  void expect_nothing_made() {
    EXPECT_FALSE(fs::exists(tree_.dir));
    EXPECT_FALSE(fs::exists(record_path(tree_.dir)));
    std::error_code error;
    for (fs::directory_iterator it(tree_.dir.parent_path(), error); !error && it != fs::directory_iterator();
         it.increment(error))
      EXPECT_TRUE(it->path() == make_lock_path(tree_.dir) || it->path() == use_lock_path(tree_.dir))
          << it->path() << " left behind";
  }

  ScratchDir scratch_;
  ResolvedTree tree_;
};

TEST_F(MakeTreeTest, MakesASysrootOnceThenReusesIt) {
  std::vector<std::string> lines;
  Result<TreeMade> made = make_tree(tree_, running(fake_extract(scratch_ / "runs"), &lines));
  ASSERT_TRUE(made.ok()) << made.error();
  EXPECT_FALSE(made.value().reused);
  EXPECT_EQ(made.value().dir, tree_.dir);
  EXPECT_TRUE(made.value().in_use.held());
  EXPECT_EQ(lines, (std::vector<std::string>{"I: extracting archives...", "I: success in 0.1 seconds"}));
  made.value().in_use = FileLock();

  Result<TreeMade> again = make_tree(tree_, running(fake_extract(scratch_ / "runs")));
  ASSERT_TRUE(again.ok()) << again.error();
  EXPECT_TRUE(again.value().reused);
  EXPECT_EQ(count_lines(scratch_ / "runs"), 1u) << "the maker ran once";
}

// The directory of a kind's trees is 0700, made so and tightened on each use: what a tree
// holds (a root filesystem's setuid files) is out of other users' reach.
TEST_F(MakeTreeTest, TheTreesDirectoryIsOnlyItsOwners) {
  auto mode = [&] { return fs::status(tree_.dir.parent_path()).permissions() & fs::perms::all; };
  Result<TreeMade> made = make_tree(tree_, running(fake_extract(scratch_ / "runs")));
  ASSERT_TRUE(made.ok()) << made.error();
  EXPECT_EQ(mode(), fs::perms::owner_all);
  made.value().in_use = FileLock();
  fs::permissions(tree_.dir.parent_path(), fs::perms::all);
  ASSERT_TRUE(make_tree(tree_, running(fake_extract(scratch_ / "runs"))).ok());
  EXPECT_EQ(mode(), fs::perms::owner_all);
  EXPECT_EQ(count_lines(scratch_ / "runs"), 1u) << "reused, and tightened";
}

TEST_F(MakeTreeTest, TheSysrootIsFinishedAndRecorded) {
  ASSERT_TRUE(make_tree(tree_, running(fake_extract(scratch_ / "runs"))).ok());
  EXPECT_EQ(fs::read_symlink(tree_.dir / "usr/lib/aarch64-linux-gnu/libz.so"),
            "../../../lib/aarch64-linux-gnu/libz.so.1.2.13");
  EXPECT_EQ(read_file(tree_.dir / "usr/lib/aarch64-linux-gnu/libz.so").value(), "elf\n");
  EXPECT_EQ(fs::file_size(tree_.dir / "etc/ld.so.cache"), 0u);
  EXPECT_FALSE(fs::exists(tree_.dir / "dev"));
  EXPECT_FALSE(fs::exists(tree_.dir / "var"));
  EXPECT_FALSE(fs::exists(tree_.dir / "tmp"));
  EXPECT_FALSE(fs::exists(tree_.dir / "etc/resolv.conf"));

  std::vector<TreeRecord> trees = list_trees(scratch_ / "cache");
  ASSERT_EQ(trees.size(), 1u);
  EXPECT_EQ(trees[0].key, tree_.key);
  EXPECT_EQ(trees[0].release, tree_.release);
  EXPECT_EQ(trees[0].spec.packages, std::vector<std::string>{"zlib1g-dev"});
  EXPECT_EQ(trees[0].versions, (std::vector<std::pair<std::string, std::string>>{{"zlib1g", "1:1.2.13.dfsg-1"}}));
  EXPECT_EQ(trees[0].bytes, 4u + 7u) << "libz.so.1.2.13 and zlib.h";
  EXPECT_LE(std::abs(trees[0].made_at - static_cast<std::int64_t>(std::time(nullptr))), 5);
}

TEST_F(MakeTreeTest, APackageTheSuiteLacksIsNamedAndNothingIsLeft) {
  std::string unknown;
  Result<TreeMade> made =
      make_tree(tree_,
                running("mkdir -p \"$1/var/cache\"; echo 'E: Unable to locate package nosuchpkg' >&2;"
                        "echo 'E: mmdebstrap failed to run' >&2; exit 25"),
                &unknown);
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.error(),
            "package \"nosuchpkg\" is not in bookworm for arm64 (look for its name: "
            "https://packages.debian.org/search?searchon=names&suite=bookworm&keywords=nosuchpkg)");
  EXPECT_EQ(unknown, "nosuchpkg");
  expect_nothing_made();
}

TEST_F(MakeTreeTest, AKilledMakerLeavesNothingAndTheNextMakeSucceeds) {
  fs::path pid_file = scratch_ / "pid";
  std::thread killer([&] {
    for (int i = 0; i < 1000 && count_lines(pid_file) == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    Result<std::string> pid = read_file(pid_file);
    ASSERT_TRUE(pid.ok());
    ::kill(std::stoi(pid.value()), SIGKILL);
  });
  Result<TreeMade> made =
      make_tree(tree_, running("mkdir -p \"$1/usr/lib\"; echo half > \"$1/usr/lib/libz.so.1\"; echo $$ > " +
                               shell_quote(pid_file.string()) + "; exec sleep 60"));
  killer.join();
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.error(), "mmdebstrap was killed by signal 9 making the sysroot of bookworm/arm64");
  expect_nothing_made();

  Result<TreeMade> again = make_tree(tree_, running(fake_extract(scratch_ / "runs")));
  ASSERT_TRUE(again.ok()) << again.error();
  EXPECT_FALSE(again.value().reused);
  EXPECT_TRUE(fs::exists(tree_.dir / "usr/include/zlib.h"));
}

TEST_F(MakeTreeTest, AMakerPastItsTimeoutIsStopped) {
  MakeOptions options = running("mkdir -p \"$1/usr\"; exec sleep 60");
  options.timeout = std::chrono::seconds(1);
  Result<TreeMade> made = make_tree(tree_, options);
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.error(),
            "mmdebstrap did not finish making the sysroot of bookworm/arm64 within 1 second and was stopped");
  expect_nothing_made();
}

TEST_F(MakeTreeTest, WhatADeadMakerLeftIsRemovedFirst) {
  fs::path kind_dir = tree_.dir.parent_path();
  scratch_.write(fs::relative(kind_dir / ("." + tree_.key + ".tmp-dead01") / "usr/junk", scratch_.path()).string(),
                 "x");
  scratch_.write(fs::relative(tree_.dir / "usr/half", scratch_.path()).string(), "x");  // renamed, record never came
  fs::path other = kind_dir / ("." + std::string(64, 'c') + ".tmp-other1");
  fs::create_directories(other);

  Result<TreeMade> made = make_tree(tree_, running(fake_extract(scratch_ / "runs")));
  ASSERT_TRUE(made.ok()) << made.error();
  EXPECT_FALSE(made.value().reused);
  EXPECT_FALSE(fs::exists(kind_dir / ("." + tree_.key + ".tmp-dead01")));
  EXPECT_FALSE(fs::exists(tree_.dir / "usr/half"));
  EXPECT_TRUE(fs::exists(tree_.dir / "usr/include/zlib.h"));
  EXPECT_TRUE(fs::exists(other)) << "another key's temporaries are not this lock's to judge";
}

TEST_F(MakeTreeTest, TwoMakersOfOneKeyEndWithOneTreeMadeOnce) {
  std::string slow = "sleep 1\n" + fake_extract(scratch_ / "runs");
  std::vector<Result<TreeMade>> results;
  std::atomic<int> waited{0};
  std::mutex mutex;
  auto make = [&] {
    MakeOptions options = running(slow);
    options.on_line = [&](std::string_view line) {
      if (starts_with(line, "waiting for another xbuild making the sysroot of bookworm/arm64")) ++waited;
    };
    Result<TreeMade> made = make_tree(tree_, options);
    std::lock_guard<std::mutex> hold(mutex);
    results.push_back(std::move(made));
  };
  std::thread first(make);
  std::thread second(make);
  first.join();
  second.join();
  ASSERT_EQ(results.size(), 2u);
  ASSERT_TRUE(results[0].ok()) << results[0].error();
  ASSERT_TRUE(results[1].ok()) << results[1].error();
  EXPECT_NE(results[0].value().reused, results[1].value().reused) << "one made it, the other reused it";
  EXPECT_EQ(count_lines(scratch_ / "runs"), 1u);
  EXPECT_EQ(waited.load(), 1);
  EXPECT_EQ(list_trees(scratch_ / "cache").size(), 1u);
  for (const fs::directory_entry& entry : fs::directory_iterator(tree_.dir.parent_path()))
    EXPECT_FALSE(is_temp_name(entry.path().filename().string())) << entry.path();
}

TEST_F(MakeTreeTest, MmdebstrapMissingNamesThePackageToInstall) {
  const char* saved = std::getenv("PATH");
  std::string path = saved ? saved : "";
  fs::create_directories(scratch_ / "empty-bin");
  ::setenv("PATH", (scratch_ / "empty-bin").c_str(), 1);
  Result<TreeMade> made = make_tree(tree_);
  ::setenv("PATH", path.c_str(), 1);
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.error(),
            "mmdebstrap is not installed, and making the sysroot of bookworm/arm64 needs it: install the Debian "
            "package \"mmdebstrap\" (apt-get install mmdebstrap)");
  expect_nothing_made();
}

}  // namespace
}  // namespace xb::debian

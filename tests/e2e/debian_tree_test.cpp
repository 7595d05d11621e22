// Debian trees against the real archive and the real mmdebstrap: an arm64 bookworm sysroot
// with zlib1g-dev, made once into $XBUILD_TEST_CACHE (default /var/cache/xbuild-tests) and
// reused, checked by cross-linking against it and running the result under qemu-aarch64 (by
// its -L, no binfmt_misc handler); a package that does not exist; a native root filesystem,
// and a foreign one without its QEMU handler (no handler is registered here).
// Then `xbuild cache info` and `xbuild cache prune` on trees planted in a scratch cache.
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

#include "debian/archive.h"
#include "debian/tree.h"
#include "e2e/debian_rootfs.h"
#include "e2e/e2e_support.h"
#include "util/file_lock.h"
#include "util/fs.h"

namespace xb::testing {
namespace {

namespace fs = std::filesystem;
using debian::TreeSpec;
using Clock = std::chrono::steady_clock;

fs::path tree_cache() { return rootfs_cache_dir() / "xbuild-cache"; }

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

struct Made {
  debian::ResolvedTree tree;
  bool reused = false;
  double seconds = 0;
  std::string error, unknown_package;
};

// resolve_tree + make_tree, timed, with mmdebstrap's lines shown as xbuild shows them.
Made resolve_and_make(const TreeSpec& spec) {
  Made made;
  Clock::time_point start = Clock::now();
  Result<debian::ResolvedTree> tree = debian::resolve_tree(spec, tree_cache());
  if (!tree) {
    made.error = tree.error();
    return made;
  }
  made.tree = tree.value();
  debian::MakeOptions options;
  options.on_line = [&spec](std::string_view line) {
    std::printf("xbuild: %s: %.*s\n", debian::describe(spec).c_str(), static_cast<int>(line.size()), line.data());
  };
  Result<debian::TreeMade> result = debian::make_tree(made.tree, options, &made.unknown_package);
  made.seconds = seconds_since(start);
  if (!result) {
    made.error = result.error();
    return made;
  }
  made.reused = result.value().reused;
  return made;
}

TEST(DebianArchive, TheRealMirrorsReleaseDigestAndASuiteItDoesNotHave) {
  const std::string mirror = debian::default_mirror();
  Result<std::string> digest = debian::release_digest(mirror, "bookworm");
  ASSERT_TRUE(digest.ok()) << digest.error();
  EXPECT_EQ(digest.value().rfind("sha256:", 0), 0u);
  EXPECT_EQ(digest.value().size(), 71u);

  bool unreachable = true;
  Result<std::string> missing = debian::release_digest(mirror, "nosuchsuite", {}, &unreachable);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error(), "the Debian mirror " + mirror + " has no suite \"nosuchsuite\" (" + mirror +
                                 "/dists/nosuchsuite/InRelease: HTTP 404): check the suite's name (bookworm, trixie, "
                                 "sid, ...)");
  EXPECT_FALSE(unreachable);
}

TEST(DebianSysroot, Arm64BookwormWithZlibLinksDynamicallyAndIsReused) {
  XB_REQUIRE_TOOLS("mmdebstrap", "aarch64-linux-gnu-gcc", "readelf", "qemu-aarch64-static");
  TreeSpec spec{TreeSpec::Kind::sysroot, "bookworm", "arm64", debian::default_mirror(), {"zlib1g-dev"}};
  Made first = resolve_and_make(spec);
  ASSERT_EQ(first.error, "");
  std::printf("first resolve+make: %.2f s (%s)\n", first.seconds, first.reused ? "reused" : "made");
  Made second = resolve_and_make(spec);
  ASSERT_EQ(second.error, "");
  std::printf("second resolve+make: %.3f s\n", second.seconds);
  RecordProperty("first_seconds", std::to_string(first.seconds));
  RecordProperty("reuse_seconds", std::to_string(second.seconds));
  EXPECT_TRUE(second.reused);
  EXPECT_EQ(second.tree.dir, first.tree.dir);
  EXPECT_LT(second.seconds, 1.0);

  const fs::path dir = first.tree.dir;
  const fs::path libz = dir / "usr/lib/aarch64-linux-gnu/libz.so";
  ASSERT_TRUE(fs::is_symlink(libz));
  EXPECT_TRUE(fs::read_symlink(libz).is_relative()) << fs::read_symlink(libz);
  fs::path resolved = fs::canonical(libz);
  EXPECT_EQ(resolved.string().rfind(fs::canonical(dir).string() + "/", 0), 0u) << resolved;
  EXPECT_EQ(fs::file_size(dir / "etc/ld.so.cache"), 0u);
  for (const char* gone : {"dev", "var", "tmp", "etc/resolv.conf", "etc/apt"})
    EXPECT_FALSE(fs::exists(dir / gone)) << gone;

  ScratchDir scratch;
  fs::path source = scratch.write("z.c",
                                  "#include <stdio.h>\n#include <zlib.h>\n"
                                  "int main(void) { printf(\"zlib %s\\n\", zlibVersion()); return 0; }\n");
  CommandResult built = run(
      {"aarch64-linux-gnu-gcc", "--sysroot=" + dir.string(), source.string(), "-o", (scratch / "z").string(), "-lz"});
  ASSERT_EQ(built.exit_code, 0) << built.err;
  CommandResult dynamic = run({"readelf", "-d", (scratch / "z").string()});
  EXPECT_NE(dynamic.out.find("Shared library: [libz.so.1]"), std::string::npos) << dynamic.out;
  CommandResult ran = run({"qemu-aarch64-static", "-L", dir.string(), (scratch / "z").string()});
  EXPECT_EQ(ran.exit_code, 0) << ran.err;
  EXPECT_EQ(ran.out.rfind("zlib 1.2.13", 0), 0u) << ran.out;

  bool listed = false;
  for (const debian::TreeRecord& record : debian::list_trees(tree_cache())) {
    if (record.key != first.tree.key) continue;
    listed = true;
    bool has_zlib = false;
    for (const auto& [package, version] : record.versions) has_zlib |= package == "zlib1g-dev";
    EXPECT_TRUE(has_zlib);
    EXPECT_GT(record.bytes, 10u * 1024 * 1024);
  }
  EXPECT_TRUE(listed);
}

TEST(DebianSysroot, APackageThatDoesNotExistIsNamedAndLeavesNothing) {
  XB_REQUIRE_TOOLS("mmdebstrap");
  TreeSpec spec{TreeSpec::Kind::sysroot, "bookworm", "arm64", debian::default_mirror(), {"nosuchpkg", "zlib1g-dev"}};
  Made made = resolve_and_make(spec);
  EXPECT_EQ(made.error,
            "package \"nosuchpkg\" is not in bookworm for arm64 (look for its name: "
            "https://packages.debian.org/search?searchon=names&suite=bookworm&keywords=nosuchpkg)");
  EXPECT_EQ(made.unknown_package, "nosuchpkg");
  ASSERT_FALSE(made.tree.key.empty());
  EXPECT_FALSE(fs::exists(made.tree.dir));
  EXPECT_FALSE(fs::exists(made.tree.dir.string() + ".tree"));
  for (const fs::directory_entry& entry : fs::directory_iterator(made.tree.dir.parent_path()))
    EXPECT_NE(entry.path().filename().string().rfind("." + made.tree.key, 0), 0u) << entry.path();
}

TEST(DebianRootfs, NativeAmd64WithMakeHasAShellAndItsPackages) {
  XB_REQUIRE_TOOLS("mmdebstrap");
  XB_REQUIRE_ROOT("to install packages with their maintainer scripts (mmdebstrap's root mode)");
  TreeSpec spec{TreeSpec::Kind::rootfs, "bookworm", "amd64", debian::default_mirror(), {"make"}};
  Made made = resolve_and_make(spec);
  ASSERT_EQ(made.error, "");
  std::printf("rootfs resolve+make: %.2f s (%s)\n", made.seconds, made.reused ? "reused" : "made");
  EXPECT_TRUE(fs::exists(made.tree.dir / "bin/sh"));
  EXPECT_TRUE(fs::exists(made.tree.dir / "usr/bin/make"));
  EXPECT_TRUE(fs::exists(made.tree.dir / "usr/bin/apt-get"));
  bool has_make = false;
  for (const debian::TreeRecord& record : debian::list_trees(tree_cache()))
    if (record.key == made.tree.key)
      for (const auto& [package, version] : record.versions) has_make |= package == "make" && !version.empty();
  EXPECT_TRUE(has_make);
}

TEST(DebianRootfs, AForeignArchitectureWithoutItsQemuHandlerIsNamedAndLeavesNothing) {
  XB_REQUIRE_TOOLS("mmdebstrap", "arch-test");
  XB_REQUIRE_ROOT("to run mmdebstrap in its root mode");
  XB_REQUIRE_MACHINE(run({"arch-test", "s390x"}).exit_code != 0,
                     "this machine runs s390x programs (a binfmt_misc handler for s390x is registered)");
  ScratchDir scratch;
  TreeSpec spec{TreeSpec::Kind::rootfs, "bookworm", "s390x", debian::default_mirror(), {"make"}};
  Result<debian::ResolvedTree> tree = debian::resolve_tree(spec, scratch / "cache");
  ASSERT_TRUE(tree.ok()) << tree.error();
  Result<debian::TreeMade> made = debian::make_tree(tree.value());
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.error(),
            "this machine cannot run s390x programs, which making the root filesystem of bookworm/s390x needs (its "
            "packages' scripts run): register QEMU's binfmt_misc handler for s390x first");
  EXPECT_FALSE(fs::exists(tree.value().dir));
  for (const fs::directory_entry& entry : fs::directory_iterator(tree.value().dir.parent_path()))
    EXPECT_NE(entry.path().filename().string().rfind("." + tree.value().key, 0), 0u) << entry.path();
}

// A finished tree planted in `cache` (directory and record), last used at `used` (UTC seconds).
fs::path plant_tree(const fs::path& cache, const std::string& kind, char key, const std::vector<std::string>& packages,
                    std::uint64_t bytes, std::int64_t used) {
  const std::string hex(64, key);
  fs::path dir = cache / "debian" / kind / hex;
  fs::create_directories(dir / "usr");
  std::string record = "xbuild-debian-tree-1\nkind\t" + kind +
                       "\nsuite\tbookworm\narchitecture\tarm64\nmirror\thttp://deb.debian.org/debian\n";
  for (const std::string& package : packages) record += "package\t" + package + "\n";
  record += "release\tsha256:00\nmade\t" + std::to_string(used) + "\nbytes\t" + std::to_string(bytes) + "\n";
  fs::path record_file = dir.string() + ".tree";
  EXPECT_TRUE(write_file_atomic(record_file, record).ok());
  fs::last_write_time(record_file,
                      std::chrono::file_clock::from_sys(std::chrono::sys_seconds(std::chrono::seconds(used))));
  return dir;
}

constexpr std::int64_t kDec4 = 1796416260;  // 2026-12-04 20:31 UTC
constexpr std::int64_t kDec3 = 1796284800;  // 2026-12-03 08:00 UTC

TEST(DebianTreeCache, InfoListsTheTreesAfterTheStageCache) {
  ScratchDir scratch;
  fs::path cache = scratch / "cache";
  plant_tree(cache, "sysroot", 'a', {"zlib1g-dev"}, 512, kDec3);
  plant_tree(cache, "rootfs", 'b', {"gcc", "make"}, 1024, kDec4);
  fs::create_directories(cache / "debian/sysroot" / ("." + std::string(64, 'c') + ".tmp-x1y2z3"));

  CommandResult info = xbuild({"cache", "--cache-dir", cache.string(), "info"});
  EXPECT_EQ(info.exit_code, 0) << info.err;
  EXPECT_EQ(info.out, "cache: " + cache.string() +
                          "\nentries: 0\nobjects: 0\nsize: 0 B\n"
                          "trees: 2, 1.5 KiB\n"
                          "  rootfs   bookworm/arm64  1.0 KiB  used 2026-12-04 20:31 UTC  gcc make\n"
                          "  sysroot  bookworm/arm64  512 B    used 2026-12-03 08:00 UTC  zlib1g-dev\n");
}

TEST(DebianTreeCache, PruneRemovesTheLeastRecentlyUsedTreesButNotOneInUse) {
  ScratchDir scratch;
  fs::path cache = scratch / "cache";
  fs::path sysroot = plant_tree(cache, "sysroot", 'a', {"zlib1g-dev"}, 512, kDec3);
  fs::path rootfs = plant_tree(cache, "rootfs", 'b', {"gcc", "make"}, 1024, kDec4);
  fs::path dead = cache / "debian/sysroot" / ("." + std::string(64, 'c') + ".tmp-x1y2z3");
  fs::create_directories(dead / "usr");

  CommandResult kept = xbuild({"cache", "--cache-dir", cache.string(), "prune", "--max-size", "1K"});
  EXPECT_EQ(kept.exit_code, 0) << kept.err;
  EXPECT_EQ(kept.out, "pruned " + cache.string() +
                          ": 0 entries and 0 B removed; 0 entries, 0 B left\n"
                          "trees: 1 removed (512 B); 1 left (1.0 KiB)\n");
  EXPECT_FALSE(fs::exists(sysroot));
  EXPECT_FALSE(fs::exists(sysroot.string() + ".tree"));
  EXPECT_FALSE(fs::exists(dead)) << "a dead maker's temporary";
  EXPECT_TRUE(fs::exists(rootfs / "usr"));

  {
    FileLock in_use = FileLock::acquire(rootfs.string() + ".use-lock", FileLock::Mode::shared).value();
    CommandResult busy = xbuild({"cache", "--cache-dir", cache.string(), "prune"});
    EXPECT_EQ(busy.exit_code, 0) << busy.err;
    EXPECT_EQ(busy.out, "pruned " + cache.string() +
                            ": 0 entries and 0 B removed; 0 entries, 0 B left\n"
                            "trees: 0 removed (0 B); 1 left (1.0 KiB)\n");
    EXPECT_TRUE(fs::exists(rootfs / "usr"));
  }
  CommandResult emptied = xbuild({"cache", "--cache-dir", cache.string(), "prune"});
  EXPECT_EQ(emptied.out, "pruned " + cache.string() +
                             ": 0 entries and 0 B removed; 0 entries, 0 B left\n"
                             "trees: 1 removed (1.0 KiB); 0 left (0 B)\n");
  EXPECT_FALSE(fs::exists(rootfs));
  CommandResult info = xbuild({"cache", "--cache-dir", cache.string(), "info"});
  EXPECT_EQ(info.out, "cache: " + cache.string() + "\nentries: 0\nobjects: 0\nsize: 0 B\n");
}

}  // namespace
}  // namespace xb::testing

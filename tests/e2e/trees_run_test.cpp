// `xbuild run` with the trees a config declares, against the real Debian archive, mmdebstrap,
// QEMU and a local docker-registry: cross targets linked against sysroots of `[targets]
// packages` and their binaries run by their path with the target's libraries; a changed package
// list, a package that does not exist, two runs making one sysroot at once; an emulated target
// on a root filesystem made of its packages, and on one pulled from a registry, each stage on a
// fresh overlay of it. Trees the tests share are made once into $XBUILD_TEST_CACHE/xbuild-cache
// (as debian_tree_test.cpp's); the ones a test must see made go to its scratch directory.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "e2e/debian_rootfs.h"
#include "e2e/e2e_support.h"
#include "support/registry_fixture.h"
#include "support/require.h"
#include "support/scratch_dir.h"
#include "util/fs.h"
#include "util/strings.h"

namespace xb::testing {
namespace {

namespace fs = std::filesystem;

fs::path tree_cache() { return rootfs_cache_dir() / "xbuild-cache"; }

// A program that needs the target's zlib, built and run by its path on every platform.
constexpr const char* kZlibProgram = R"(#include <stdio.h>
#include <zlib.h>
int main(void) {
  printf("zlib %s\n", zlibVersion());
  return 0;
}
)";

std::string zlib_config(const std::string& platforms, const std::string& packages) {
  return R"([project]
name = "z"

[targets]
platforms = [)" +
         platforms + R"(]
packages = [)" +
         packages +
         R"(]

[stage.build]
run = '''
$CC z.c -o "$XBUILD_OUT/z" $(pkg-config --cflags --libs zlib)
"$XBUILD_OUT/z"
'''
)";
}

fs::path zlib_project(ScratchDir& scratch, const std::string& name, const std::string& config) {
  scratch.write(name + "/z.c", kZlibProgram);
  scratch.write(name + "/xbuild.toml", config);
  return scratch / name;
}

// The directories of made trees under <cache>/debian/<kind>: not the records, the locks, or the
// temporary directories (".<key>.tmp-XXXXXX") trees are made in.
std::vector<std::string> tree_dirs(const fs::path& cache, const std::string& kind) {
  std::vector<std::string> dirs;
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator(cache / "debian" / kind, ec))
    if (entry.is_directory() && entry.path().filename().string()[0] != '.')
      dirs.push_back(entry.path().filename().string());
  return dirs;
}

// The command lines of the processes whose arguments contain `text`.
std::vector<std::string> processes_naming(const fs::path& text) {
  std::vector<std::string> found;
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator("/proc", ec)) {
    Result<std::string> command = read_file(entry.path() / "cmdline");
    if (!command || command.value().find(text.string()) == std::string::npos) continue;
    std::replace(command.value().begin(), command.value().end(), '\0', ' ');
    found.push_back(command.value());
  }
  return found;
}

// The plan's "target libraries" line of `platform`: its sysroot's description and directory.
std::string sysroot_line(const std::string& plan, const std::string& platform) {
  for (const std::string& line : split(plan, '\n'))
    if (starts_with(line, "  " + platform + ": the sysroot of ")) return line;
  return "";
}

TEST(TreesRun, CrossTargetsLinkAgainstTheSysrootsOfTheirPackagesAndRunWithTheirLibraries) {
  XB_REQUIRE_TOOLS("mmdebstrap", "aarch64-linux-gnu-gcc", "arm-linux-gnueabihf-gcc", "i686-linux-gnu-gcc",
                   "qemu-aarch64-static", "qemu-arm-static", "qemu-i386-static", "pkg-config");
  ScratchDir scratch;
  fs::path project =
      zlib_project(scratch, "z", zlib_config(R"("linux/arm64", "linux/arm/v7", "linux/386")", R"("zlib1g-dev")"));
  const std::string cache = "--cache-dir=" + tree_cache().string();
  CommandResult plan = xbuild({"plan", "xbuild.toml"}, project, {{"XBUILD_CACHE_DIR", tree_cache().string()}});
  ASSERT_EQ(plan.exit_code, 0) << plan.out << plan.err;
  EXPECT_NE(plan.out.find("\ntarget libraries (a sysroot of Debian packages):\n"), std::string::npos) << plan.out;
  for (const char* platform : {"linux/arm64", "linux/arm/v7", "linux/386"}) {
    std::string line = sysroot_line(plan.out, platform);
    EXPECT_NE(line.find(" with zlib1g-dev"), std::string::npos) << plan.out;
    EXPECT_NE(line.find(", in " + (tree_cache() / "debian/sysroot/").string()), std::string::npos) << plan.out;
  }
  EXPECT_NE(sysroot_line(plan.out, "linux/arm64").find("the sysroot of bookworm/arm64 with zlib1g-dev"),
            std::string::npos);
  EXPECT_NE(sysroot_line(plan.out, "linux/arm/v7").find("the sysroot of bookworm/armhf with zlib1g-dev"),
            std::string::npos);
  EXPECT_NE(sysroot_line(plan.out, "linux/386").find("the sysroot of bookworm/i386 with zlib1g-dev"),
            std::string::npos);

  CommandResult first = xbuild({"run", "--no-cache", cache}, project);
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  for (const char* platform : {"linux/arm64", "linux/arm/v7", "linux/386"})
    EXPECT_NE(first.out.find("[" + std::string(platform) + " build] zlib 1.2.13\n"), std::string::npos) << first.out;
  EXPECT_EQ(elf_machine(project / ".xbuild/out/linux-arm64/z"), 0xb7);
  EXPECT_EQ(elf_machine(project / ".xbuild/out/linux-386/z"), 0x03);

  // Made once: the second run only uses them.
  CommandResult second = xbuild({"run", "--no-cache", cache}, project);
  ASSERT_EQ(second.exit_code, 0) << second.out << second.err;
  EXPECT_EQ(second.out.find("xbuild: sysroot of"), std::string::npos) << second.out;
  EXPECT_EQ((second.out + second.err).find("mmdebstrap"), std::string::npos) << second.out << second.err;
}

TEST(TreesRun, AnotherPackageListIsAnotherSysrootAndTheOrderDoesNotMatter) {
  XB_REQUIRE_TOOLS("aarch64-linux-gnu-gcc");
  ScratchDir scratch;
  std::map<std::string, std::string> env = {{"XBUILD_CACHE_DIR", (scratch / "cache").string()}};
  auto plan_of = [&](const std::string& name, const std::string& packages) {
    fs::path project = zlib_project(scratch, name, zlib_config(R"("linux/arm64")", packages));
    CommandResult plan = xbuild({"plan"}, project, env);
    EXPECT_EQ(plan.exit_code, 0) << plan.out << plan.err;
    return sysroot_line(plan.out, "linux/arm64");
  };
  std::string zlib = plan_of("a", R"("zlib1g-dev")");
  std::string both = plan_of("b", R"("zlib1g-dev", "libbz2-dev")");
  std::string reordered = plan_of("c", R"("libbz2-dev", "zlib1g-dev")");
  ASSERT_NE(zlib, "");
  EXPECT_NE(zlib.substr(zlib.find(", in ")), both.substr(both.find(", in ")));
  EXPECT_EQ(both, reordered);
  EXPECT_NE(both.find("the sysroot of bookworm/arm64 with libbz2-dev, zlib1g-dev, made by the run (mmdebstrap), in " +
                      (scratch / "cache/debian/sysroot/").string()),
            std::string::npos)
      << both;
  EXPECT_FALSE(fs::exists(scratch / "cache/debian")) << "plan makes nothing";
}

TEST(TreesRun, APackageThatDoesNotExistIsNamedWithWhereItIsDeclaredAndNothingIsLeft) {
  XB_REQUIRE_TOOLS("mmdebstrap", "aarch64-linux-gnu-gcc");
  ScratchDir scratch;
  fs::path project =
      zlib_project(scratch, "z", zlib_config(R"("linux/arm64")", R"("zlib1g-dev", "xbuild-no-such-package")"));
  CommandResult ran = xbuild({"run", "--cache-dir=" + (scratch / "cache").string()}, project);
  EXPECT_EQ(ran.exit_code, 1);
  EXPECT_TRUE(
      ran.err.ends_with("xbuild: error: package \"xbuild-no-such-package\" is not in bookworm for arm64 (look for its "
                        "name: https://packages.debian.org/search?searchon=names&suite=bookworm&keywords=xbuild-no-"
                        "such-package) (declared in [targets] packages in " +
                        (project / "xbuild.toml").string() + ")\n"))
      << ran.err;
  EXPECT_NE(ran.out.find("xbuild: sysroot of linux/arm64: making the sysroot of bookworm/arm64 with "
                         "xbuild-no-such-package, zlib1g-dev (mmdebstrap)\n"),
            std::string::npos)
      << ran.out;
  EXPECT_EQ(tree_dirs(scratch / "cache", "sysroot"), std::vector<std::string>{});
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator(scratch / "cache/debian/sysroot", ec))
    EXPECT_TRUE(entry.path().filename().string().ends_with(".make-lock")) << entry.path();
  EXPECT_FALSE(fs::exists(project / ".xbuild/out")) << "no stage ran";
}

TEST(TreesRun, TwoRunsAtOnceMakeOneSysrootAndBothUseIt) {
  XB_REQUIRE_TOOLS("mmdebstrap", "aarch64-linux-gnu-gcc", "qemu-aarch64-static", "pkg-config");
  ScratchDir scratch;
  const std::string config = zlib_config(R"("linux/arm64")", R"("zlib1g-dev")");
  fs::path one = zlib_project(scratch, "one", config);
  fs::path two = zlib_project(scratch, "two", config);
  const std::string cache = "--cache-dir=" + (scratch / "cache").string();
  CommandResult first, second;
  std::thread other([&] { second = xbuild({"run", cache}, two); });
  first = xbuild({"run", cache}, one);
  other.join();
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  ASSERT_EQ(second.exit_code, 0) << second.out << second.err;
  EXPECT_NE(first.out.find("[linux/arm64 build] zlib 1.2.13\n"), std::string::npos) << first.out;
  EXPECT_NE(second.out.find("[linux/arm64 build] zlib 1.2.13\n"), std::string::npos) << second.out;
  EXPECT_EQ(tree_dirs(scratch / "cache", "sysroot").size(), 1u);
  // One made it; the other waited for it, or found it made.
  const std::string made = "xbuild: sysroot of linux/arm64: made: ";
  EXPECT_EQ((first.out.find(made) != std::string::npos) + (second.out.find(made) != std::string::npos), 1)
      << first.out << second.out;
}

// Interrupted while mmdebstrap runs: nothing of it is left running, no tree is in place, and
// the next run makes it (removing what the interrupted one left in its temporary directory).
TEST(TreesRun, AnInterruptedMakeLeavesNoProcessAndNoTreeAndTheNextRunMakesIt) {
  XB_REQUIRE_TOOLS("mmdebstrap", "aarch64-linux-gnu-gcc", "qemu-aarch64-static", "pkg-config");
  ScratchDir scratch;
  fs::path project = zlib_project(scratch, "z", zlib_config(R"("linux/arm64")", R"("zlib1g-dev")"));
  const fs::path cache = scratch / "cache";
  // SIGTERM (a CI job cancelled) once mmdebstrap has said its first line.
  CommandResult interrupted = run({"sh", "-c",
                                   "\"$0\" run --cache-dir=\"$1\" > run.log 2>&1 & pid=$!; "
                                   "until grep -q 'I: ' run.log || ! kill -0 $pid 2>/dev/null; do sleep 0.1; done; "
                                   "kill -TERM $pid; wait $pid; echo \"status $?\"; cat run.log",
                                   xbuild_binary().string(), cache.string()},
                                  {}, project);
  EXPECT_NE(interrupted.out.find("xbuild: sysroot of linux/arm64: making the sysroot of bookworm/arm64 with "
                                 "zlib1g-dev (mmdebstrap)\n"),
            std::string::npos)
      << interrupted.out;
  EXPECT_EQ(interrupted.out.find("status 0\n"), std::string::npos) << interrupted.out;
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_EQ(processes_naming(cache / "debian"), std::vector<std::string>{});
  EXPECT_EQ(tree_dirs(cache, "sysroot"), std::vector<std::string>{});

  CommandResult again = xbuild({"run", "--cache-dir=" + cache.string()}, project);
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_NE(again.out.find("[linux/arm64 build] zlib 1.2.13\n"), std::string::npos) << again.out;
  ASSERT_EQ(tree_dirs(cache, "sysroot").size(), 1u);
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator(cache / "debian/sysroot", ec))
    EXPECT_EQ(entry.path().filename().string().find(".tmp-"), std::string::npos) << entry.path();
}

// rootfs = { packages = [...] }: made once (Essential, apt and make under QEMU), never written:
// a file one stage writes anywhere in it is gone for the next stage and from the tree.
TEST(TreesRun, AnEmulatedTargetRunsEachStageOnAFreshOverlayOfTheRootfsItsPackagesMake) {
  XB_REQUIRE_ROOT("(chroot, mounts, binfmt_misc)");
  XB_REQUIRE_TOOLS("mmdebstrap", "arch-test", "qemu-aarch64-static");
  ScratchDir scratch;
  scratch.write("e/xbuild.toml", R"TOML([project]
name = "e"

[targets]
platforms = ["linux/arm64"]

[platform."linux/arm64"]
strategy = "emulate"
rootfs = { packages = ["make"] }

[stage.build]
run = '''
echo "machine $(uname -m)"
make --version | head -n 1
echo written > /etc/xbuild-marker
'''

[stage.test]
needs = ["build"]
run = 'test ! -e /etc/xbuild-marker && echo "a fresh root filesystem"'
)TOML");
  fs::path project = scratch / "e";
  const std::string cache = "--cache-dir=" + tree_cache().string();
  CommandResult ran = xbuild({"run", "--no-cache", cache}, project);
  ASSERT_EQ(ran.exit_code, 0) << ran.out << ran.err;
  EXPECT_NE(ran.out.find("[linux/arm64 build] machine aarch64\n"), std::string::npos) << ran.out;
  EXPECT_NE(ran.out.find("[linux/arm64 build] GNU Make 4.3\n"), std::string::npos) << ran.out;
  EXPECT_NE(ran.out.find("[linux/arm64 test] a fresh root filesystem\n"), std::string::npos) << ran.out;

  CommandResult plan = xbuild({"plan", cache}, project);
  ASSERT_EQ(plan.exit_code, 0) << plan.out << plan.err;
  const std::string heading =
      "\nroot filesystems (never written: each emulated stage runs on an overlay of its own):\n"
      "  linux/arm64: the root filesystem of bookworm/arm64 with make, in ";
  ASSERT_NE(plan.out.find(heading), std::string::npos) << plan.out;
  std::string rest = plan.out.substr(plan.out.find(heading) + heading.size());
  fs::path rootfs = rest.substr(0, rest.find('\n'));
  EXPECT_EQ(rootfs.parent_path(), tree_cache() / "debian/rootfs");
  EXPECT_TRUE(fs::is_regular_file(rootfs / "usr/bin/make"));
  EXPECT_FALSE(fs::exists(rootfs / "etc/xbuild-marker"));

  CommandResult again = xbuild({"run", "--no-cache", cache}, project);
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_EQ(again.out.find("xbuild: rootfs of linux/arm64: making"), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("[linux/arm64 test] a fresh root filesystem\n"), std::string::npos) << again.out;
}

// rootfs = "REF": the image for the platform, pulled once into the cache and unpacked into the
// state directory, then used as the made ones are.
TEST(TreesRun, ARootfsFromARegistryIsPulledForThePlatformOnce) {
  XB_REQUIRE_ROOT("(chroot, mounts, binfmt_misc)");
  XB_REQUIRE_TOOLS("mmdebstrap", "umoci", "skopeo", "docker-registry", "qemu-aarch64-static");
  std::string error;
  fs::path rootfs = ensure_debian_rootfs("arm64", "aarch64", "bookworm", &error);
  ASSERT_FALSE(rootfs.empty()) << error;
  fs::path layout = ensure_oci_rootfs(rootfs);
  ASSERT_FALSE(layout.empty());
  ScratchDir scratch;
  LocalRegistry registry(scratch / "registry");
  ASSERT_TRUE(registry.ok()) << registry.error();
  const std::string reference = registry.host() + "/debian:bookworm";
  CommandResult pushed = run(
      {"skopeo", "copy", "--dest-tls-verify=false", "oci:" + layout.string() + ":bookworm", "docker://" + reference});
  ASSERT_EQ(pushed.exit_code, 0) << pushed.err;

  scratch.write("r/xbuild.toml", R"([project]
name = "r"

[targets]
platforms = ["linux/arm64"]

[platform."linux/arm64"]
strategy = "emulate"
rootfs = ")" + reference + R"("

[stage.build]
run = '''
gcc --version | head -n 1
echo written > /usr/xbuild-marker
'''

[stage.test]
needs = ["build"]
run = 'test ! -e /usr/xbuild-marker && echo "a fresh root filesystem"'
)");
  fs::path project = scratch / "r";
  const std::string cache = "--cache-dir=" + (scratch / "cache").string();
  CommandResult ran = xbuild({"run", "--no-cache", cache}, project);
  ASSERT_EQ(ran.exit_code, 0) << ran.out << ran.err;
  EXPECT_NE(ran.out.find("xbuild: rootfs of linux/arm64: pulling " + registry.host() + "/debian@sha256:"),
            std::string::npos)
      << ran.out;
  EXPECT_NE(ran.out.find("[linux/arm64 build] gcc (Debian 12.2.0-14"), std::string::npos) << ran.out;
  EXPECT_NE(ran.out.find("[linux/arm64 test] a fresh root filesystem\n"), std::string::npos) << ran.out;

  CommandResult again = xbuild({"run", "--no-cache", cache}, project);
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_EQ(again.out.find("pulling"), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("xbuild: rootfs of linux/arm64: reusing sha256:"), std::string::npos) << again.out;
}

}  // namespace
}  // namespace xb::testing

// An install is relocatable: `meson install` into a staging directory, the prefix moved
// elsewhere, and the moved binary reads its data from <prefix>/share/xbuild, with the source
// tree hidden (a tmpfs mounted over it in a mount namespace of the test's own). No path of the
// build machine is compiled into the binary (stripped, as a package installs it: a debug build's
// debug information names its build directory, which nothing reads at run time). Stages start
// through the xbuild-stage of the same install or build tree.
#include <gtest/gtest.h>

#include <fstream>

#include "e2e/e2e_support.h"
#include "util/fs.h"

namespace xb::testing {
namespace {

namespace fs = std::filesystem;

// A project of one stage that writes the program its shell was started by (the supervisor,
// exec/containment.h) into $XBUILD_OUT/parent.
fs::path parent_project(const fs::path& dir) {
  fs::create_directories(dir);
  std::ofstream(dir / "xbuild.toml") << "[project]\nname = \"parent\"\n\n[targets]\nplatforms = [\"linux/amd64\"]\n\n"
                                        "[stage.parent]\nrun = 'readlink /proc/$PPID/exe > \"$XBUILD_OUT/parent\"'\n";
  return dir;
}

std::string stage_parent(const fs::path& project) {
  Result<std::string> text = read_file(project / ".xbuild" / "out" / "linux-amd64" / "parent");
  return text ? text.value() : "(no parent file: " + text.error() + ")";
}

// Runs `argv` with the source tree hidden and without $XBUILD_DATA_DIR.
CommandResult run_without_source_tree(const std::vector<std::string>& argv, const fs::path& cwd) {
  std::vector<std::string> command = {"unshare",
                                      "-m",
                                      "sh",
                                      "-c",
                                      "mount -t tmpfs none \"$0\" && exec \"$@\"",
                                      fs::canonical(source_root()).string(),
                                      "env",
                                      "-u",
                                      "XBUILD_DATA_DIR"};
  command.insert(command.end(), argv.begin(), argv.end());
  return run(command, {{"SOURCE_DATE_EPOCH", "1700000000"}}, cwd);
}

TEST(Install, AMovedInstallReadsItsOwnDataAndNoBuildPath) {
  XB_REQUIRE_ROOT("to hide the source tree in a mount namespace of its own");
  XB_REQUIRE_TOOLS("meson", "unshare", "mount", "strings");
  fs::path build_dir = xbuild_binary().parent_path();
  ASSERT_TRUE(fs::exists(build_dir / "meson-info")) << build_dir << " is not a meson build directory";
  ScratchDir scratch;
  CommandResult installed = run({"meson", "install", "-C", build_dir.string(), "--no-rebuild", "--strip", "--destdir",
                                 (scratch / "stage").string()});
  ASSERT_EQ(installed.exit_code, 0) << installed.out << installed.err;
  // The prefix is the one directory under the staging directory that holds bin/xbuild.
  fs::path staged;
  for (const fs::directory_entry& entry : fs::recursive_directory_iterator(scratch / "stage"))
    if (entry.path().filename() == "xbuild" && entry.path().parent_path().filename() == "bin")
      staged = entry.path().parent_path().parent_path();
  ASSERT_FALSE(staged.empty()) << "no bin/xbuild under " << (scratch / "stage");
  fs::create_directories(scratch / "elsewhere");
  fs::rename(staged, scratch / "elsewhere" / "xbuild");
  fs::path moved = scratch / "elsewhere" / "xbuild" / "bin" / "xbuild";
  EXPECT_TRUE(fs::is_directory(scratch / "elsewhere" / "xbuild" / "share" / "xbuild" / "toolchains"));

  CommandResult text = run({"strings", moved.string()});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_EQ(text.out.find(fs::canonical(source_root()).string()), std::string::npos) << "the source tree's path";
  EXPECT_EQ(text.out.find(fs::canonical(build_dir).string()), std::string::npos) << "the build directory's path";

  fs::path hello = copy_example("hello", scratch / "hello");
  CommandResult planned = run_without_source_tree({moved.string(), "plan"}, hello);
  EXPECT_EQ(planned.exit_code, 0) << planned.out << planned.err;
  CommandResult expected = xbuild({"plan"}, hello);
  EXPECT_EQ(planned.out, expected.out);

  // Its stages start through the install's own xbuild-stage.
  fs::path parent = parent_project(scratch / "parent");
  CommandResult ran = run_without_source_tree({moved.string(), "run", "--no-cache"}, parent);
  ASSERT_EQ(ran.exit_code, 0) << ran.out << ran.err;
  EXPECT_EQ(stage_parent(parent),
            (scratch / "elsewhere" / "xbuild" / "libexec" / "xbuild" / "xbuild-stage").string() + "\n");

  // Without its share directory, the binary says where it looked.
  fs::rename(scratch / "elsewhere" / "xbuild" / "share", scratch / "elsewhere" / "share-aside");
  CommandResult lost = run_without_source_tree({moved.string(), "plan"}, hello);
  EXPECT_EQ(lost.exit_code, 1) << lost.out << lost.err;
  EXPECT_NE(lost.err.find((scratch / "elsewhere" / "xbuild" / "share" / "xbuild").string()), std::string::npos)
      << lost.err;
}

TEST(Install, ABuildTreeBinaryReadsItsCheckoutThroughTheLinkMesonMade) {
  fs::path link = xbuild_binary().parent_path() / "xbuild-data";
  ASSERT_TRUE(fs::is_symlink(link)) << link;
  EXPECT_EQ(fs::canonical(link), fs::canonical(source_root()));
  ScratchDir scratch;
  fs::path hello = copy_example("hello", scratch / "hello");
  CommandResult planned = run({"env", "-u", "XBUILD_DATA_DIR", xbuild_binary().string(), "plan"}, {}, hello);
  EXPECT_EQ(planned.exit_code, 0) << planned.out << planned.err;
}

// A build tree's xbuild starts its stages through the xbuild-stage beside it, which links none of
// xbuild's libraries (libcurl, libarchive, ...): it starts in a millisecond instead of ~25.
TEST(Install, ABuildTreeBinaryStartsItsStagesThroughTheXbuildStageBesideIt) {
  XB_REQUIRE_TOOLS("ldd");
  ScratchDir scratch;
  fs::path parent = parent_project(scratch / "parent");
  CommandResult ran = xbuild({"run", "--no-cache"}, parent);
  ASSERT_EQ(ran.exit_code, 0) << ran.out << ran.err;
  fs::path stage = fs::canonical(xbuild_binary().parent_path() / "xbuild-stage");
  EXPECT_EQ(stage_parent(parent), stage.string() + "\n");
  CommandResult libraries = run({"ldd", stage.string()});
  ASSERT_EQ(libraries.exit_code, 0) << libraries.err;
  for (const char* library : {"libcurl", "libarchive", "libcrypto", "libtomlplusplus", "libfmt"})
    EXPECT_EQ(libraries.out.find(library), std::string::npos) << library << " in\n" << libraries.out;
}

}  // namespace
}  // namespace xb::testing

// Start-up: xbuild loads libcurl (and the ~35 libraries it brings) only when a registry is
// reached, and libarchive (and its ~10) only when an archive is read or written, so commands that
// need neither work on a machine without them, and a command that needs one says what to
// install. The library is hidden in a mount namespace of the test's own (an empty file bound
// over it).
#include <gtest/gtest.h>

#include <map>

#include "e2e/e2e_support.h"
#include "util/strings.h"

namespace xb::testing {
namespace {

namespace fs = std::filesystem;

// The file the dynamic loader opens for `soname` ("libcurl.so.4"), or empty.
fs::path installed_library(const std::string& soname) {
  CommandResult cache = run({"ldconfig", "-p"});
  for (const std::string& line : split(cache.out, '\n')) {
    std::size_t arrow = line.find(" => ");
    if (trim(line).rfind(soname + " ", 0) == 0 && arrow != std::string::npos)
      return fs::canonical(trim(line.substr(arrow + 4)));
  }
  return {};
}

// Runs xbuild with `args` where `library` (a file installed_library() found) cannot be loaded.
CommandResult xbuild_without(const fs::path& library, const std::vector<std::string>& args, const fs::path& cwd,
                             const std::map<std::string, std::string>& env = {}) {
  std::vector<std::string> argv = {"unshare",
                                   "-m",
                                   "sh",
                                   "-c",
                                   "mount --bind /dev/null \"$0\" && shift && exec \"$@\"",
                                   library.string(),
                                   "--",
                                   xbuild_binary().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::map<std::string, std::string> environment = {{"SOURCE_DATE_EPOCH", "1700000000"}};
  environment.insert(env.begin(), env.end());
  return run(argv, environment, cwd);
}

TEST(Startup, LocalCommandsRunWithoutLibcurlAndRegistryCommandsNameIt) {
  XB_REQUIRE_ROOT("to mount over libcurl in a namespace of its own");
  XB_REQUIRE_TOOLS("unshare", "mount", "ldconfig");
  fs::path libcurl = installed_library("libcurl.so.4");
  ASSERT_FALSE(libcurl.empty()) << "libcurl.so.4 is not in the loader's cache";
  ScratchDir scratch;
  scratch.write(
      "project/xbuild.toml",
      "[project]\nname = \"local\"\n[targets]\nplatforms = [\"linux/amd64\"]\n"
      "[stage.make]\nrun = 'echo hi > \"$XBUILD_OUT/hi\"'\n[image]\ncopy = [{ from = \"hi\", to = \"/hi\" }]\n");

  CommandResult built = xbuild_without(
      libcurl, {"run", "--no-cache", "-o", "oci:" + (scratch / "layout").string(), "xbuild.toml"}, scratch / "project");
  EXPECT_EQ(built.exit_code, 0) << built.err;
  EXPECT_TRUE(fs::exists(scratch / "layout" / "index.json"));

  CommandResult inspected = xbuild_without(libcurl, {"manifest", "inspect", "127.0.0.1:9/none:1"}, {});
  EXPECT_EQ(inspected.exit_code, 1);
  const std::string start = "xbuild: error: registry transfers need libcurl, and it cannot be loaded: ";
  const std::string end = ": file too short; install libcurl 7.85 or newer (Debian: apt-get install libcurl4)\n";
  EXPECT_EQ(inspected.err.rfind(start, 0), 0u) << inspected.err;
  ASSERT_GE(inspected.err.size(), end.size()) << inspected.err;
  EXPECT_EQ(inspected.err.substr(inspected.err.size() - end.size()), end) << inspected.err;
}

// Ends with `end`, else says what it is.
::testing::AssertionResult ends_with(const std::string& text, const std::string& end) {
  if (text.size() >= end.size() && text.compare(text.size() - end.size(), end.size(), end) == 0)
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << text << "\" does not end with \"" << end << "\"";
}

TEST(Startup, CommandsWithoutArchivesRunWithoutLibarchiveAndARunWithStagesNamesItFirst) {
  XB_REQUIRE_ROOT("to mount over libarchive in a namespace of its own");
  XB_REQUIRE_TOOLS("unshare", "mount", "ldconfig");
  fs::path libarchive = installed_library("libarchive.so.13");
  ASSERT_FALSE(libarchive.empty()) << "libarchive.so.13 is not in the loader's cache";
  ScratchDir scratch;
  const std::map<std::string, std::string> cache = {{"XBUILD_CACHE_DIR", (scratch / "cache").string()}};

  CommandResult version = xbuild_without(libarchive, {"--version"}, {});
  EXPECT_EQ(version.exit_code, 0) << version.err;
  EXPECT_EQ(version.out, xbuild({"--version"}).out);

  // The plan is the same as with libarchive there.
  fs::path hello = copy_example("hello", scratch / "hello");
  CommandResult planned = xbuild_without(libarchive, {"plan"}, hello, cache);
  EXPECT_EQ(planned.exit_code, 0) << planned.err;
  CommandResult planned_with = xbuild({"plan"}, hello, cache);
  EXPECT_EQ(planned.out, planned_with.out);
  EXPECT_EQ(planned.err, planned_with.err);

  // With stages to run (and so layers to pack) the run stops before them, saying what to install,
  // and nothing is left of the output layout.
  scratch.write(
      "project/xbuild.toml",
      "[project]\nname = \"local\"\n[targets]\nplatforms = [\"linux/amd64\"]\n"
      "[stage.make]\nrun = 'echo hi > \"$XBUILD_OUT/hi\"'\n[image]\ncopy = [{ from = \"hi\", to = \"/hi\" }]\n");
  CommandResult built = xbuild_without(libarchive, {"run", "xbuild.toml"}, scratch / "project", cache);
  EXPECT_EQ(built.exit_code, 1);
  const std::string start =
      "xbuild: error: packing and unpacking tar archives needs libarchive, and it cannot be loaded: ";
  const std::string end = ": file too short; install libarchive 3.6 or newer (Debian: apt-get install libarchive13)\n";
  EXPECT_EQ(built.err.rfind(start, 0), 0u) << built.err;
  EXPECT_TRUE(ends_with(built.err, end)) << built.err;
  EXPECT_EQ(built.out, "") << "a stage ran";
  fs::path state = scratch / "project" / ".xbuild";
  EXPECT_FALSE(fs::exists(state / "out" / "linux-amd64" / "hi")) << "the stage ran: " << built.err;
  EXPECT_FALSE(fs::exists(state / "oci"));
  for (const fs::directory_entry& entry : fs::directory_iterator(state))
    EXPECT_EQ(entry.path().filename().string().find(".tmp-"), std::string::npos) << "left behind: " << entry.path();

  // Once built with libarchive, a rerun with everything cached reuses the layout: no archive.
  CommandResult rebuilt = xbuild({"run", "xbuild.toml"}, scratch / "project", cache);
  ASSERT_EQ(rebuilt.exit_code, 0) << rebuilt.err;
  CommandResult rerun = xbuild_without(libarchive, {"run", "xbuild.toml"}, scratch / "project", cache);
  EXPECT_EQ(rerun.exit_code, 0) << rerun.err;
  EXPECT_TRUE(fs::exists(state / "oci" / "index.json"));
}

}  // namespace
}  // namespace xb::testing

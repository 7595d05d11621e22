// Start-up: xbuild loads libcurl (and the ~35 libraries it brings) only when a registry is
// reached, so local commands work on a machine without it, and a registry command says what to
// install. libcurl is hidden in a mount namespace of the test's own (an empty file bound over it).
#include <gtest/gtest.h>
#include <unistd.h>

#include "e2e/e2e_support.h"
#include "util/strings.h"

namespace xb::testing {
namespace {

namespace fs = std::filesystem;

// The file the dynamic loader opens for libcurl.so.4, or empty.
fs::path installed_libcurl() {
  CommandResult cache = run({"ldconfig", "-p"});
  for (const std::string& line : split(cache.out, '\n')) {
    std::size_t arrow = line.find(" => ");
    if (trim(line).rfind("libcurl.so.4 ", 0) == 0 && arrow != std::string::npos)
      return fs::canonical(trim(line.substr(arrow + 4)));
  }
  return {};
}

// Runs xbuild with `args` where libcurl cannot be loaded.
CommandResult xbuild_without_libcurl(const fs::path& libcurl, const std::vector<std::string>& args,
                                     const fs::path& cwd) {
  std::vector<std::string> argv = {"unshare",
                                   "-m",
                                   "sh",
                                   "-c",
                                   "mount --bind /dev/null \"$0\" && shift && exec \"$@\"",
                                   libcurl.string(),
                                   "--",
                                   xbuild_binary().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, {{"SOURCE_DATE_EPOCH", "1700000000"}}, cwd);
}

TEST(Startup, LocalCommandsRunWithoutLibcurlAndRegistryCommandsNameIt) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to mount over libcurl in a namespace of its own";
  XB_REQUIRE_TOOLS("unshare", "mount", "ldconfig");
  fs::path libcurl = installed_libcurl();
  ASSERT_FALSE(libcurl.empty()) << "libcurl.so.4 is not in the loader's cache";
  ScratchDir scratch;
  scratch.write(
      "project/xbuild.toml",
      "[project]\nname = \"local\"\n[targets]\nplatforms = [\"linux/amd64\"]\n"
      "[stage.make]\nrun = 'echo hi > \"$XBUILD_OUT/hi\"'\n[image]\ncopy = [{ from = \"hi\", to = \"/hi\" }]\n");

  CommandResult built = xbuild_without_libcurl(
      libcurl, {"run", "--no-cache", "-o", "oci:" + (scratch / "layout").string(), "xbuild.toml"}, scratch / "project");
  EXPECT_EQ(built.exit_code, 0) << built.err;
  EXPECT_TRUE(fs::exists(scratch / "layout" / "index.json"));

  CommandResult inspected = xbuild_without_libcurl(libcurl, {"manifest", "inspect", "127.0.0.1:9/none:1"}, {});
  EXPECT_EQ(inspected.exit_code, 1);
  const std::string start = "xbuild: error: registry transfers need libcurl, and it cannot be loaded: ";
  const std::string end = ": file too short; install libcurl 7.85 or newer (Debian: apt-get install libcurl4)\n";
  EXPECT_EQ(inspected.err.rfind(start, 0), 0u) << inspected.err;
  ASSERT_GE(inspected.err.size(), end.size()) << inspected.err;
  EXPECT_EQ(inspected.err.substr(inspected.err.size() - end.size()), end) << inspected.err;
}

}  // namespace
}  // namespace xb::testing

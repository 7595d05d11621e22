// `xbuild binfmt` as a user meets it: the status table, a wrong --arch, and the message for a
// user who is not root (run through setpriv as nobody). The registering itself is tested in
// tests/unit/binfmt_test.cpp under a test-only name prefix, so nothing here touches handlers.
#include <gtest/gtest.h>

#include "e2e/e2e_support.h"
#include "util/strings.h"

namespace xb::testing {
namespace {

TEST(BinfmtCommand, StatusListsEveryArchitectureAndProbesIt) {
  CommandResult status = xbuild({"binfmt", "status"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  std::vector<std::string> lines = split(status.out, '\n');
  ASSERT_GE(lines.size(), 8u);
  EXPECT_TRUE(starts_with(lines[0], "ARCH     PLATFORM       HANDLER")) << lines[0];
  std::vector<std::string> arches;
  for (std::size_t i = 1; i < 8; ++i) arches.push_back(split(lines[i], ' ')[0]);
  EXPECT_EQ(arches, (std::vector<std::string>{"aarch64", "arm", "i386", "ppc64le", "riscv64", "s390x", "x86_64"}));
  // This host is amd64: its own binaries run without any handler.
  EXPECT_TRUE(lines[7].find("runs (natively)") != std::string::npos || lines[7].find(" runs") != std::string::npos)
      << lines[7];
}

TEST(BinfmtCommand, AnUnknownArchitectureIsAnErrorWithASuggestion) {
  CommandResult installed = xbuild({"binfmt", "install", "--arch", "aarch46"});
  EXPECT_EQ(installed.exit_code, 2);
  EXPECT_EQ(
      installed.err,
      "xbuild: error: unknown architecture \"aarch46\" in --arch; did you mean \"aarch64\"? (known: aarch64, arm, "
      "i386, ppc64le, riscv64, s390x, x86_64, or all)\n");
}

TEST(BinfmtCommand, WithoutRootItSaysWhatToRun) {
  XB_REQUIRE_ROOT("to switch to another user");
  XB_REQUIRE_TOOLS("setpriv");
  std::map<std::string, std::string> env = {{"XBUILD_DATA_DIR", source_root().string()}};
  CommandResult installed = run({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                 xbuild_binary().string(), "binfmt", "install", "--arch", "aarch64"},
                                env);
  EXPECT_EQ(installed.exit_code, 1);
  EXPECT_EQ(installed.err,
            "xbuild: error: xbuild binfmt install needs root (binfmt_misc handlers are system-wide); run: sudo xbuild "
            "binfmt install --arch aarch64\n");
}

}  // namespace
}  // namespace xb::testing

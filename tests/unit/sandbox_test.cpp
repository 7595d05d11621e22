// The arguments of the hidden `xbuild __sandbox` command, both ways.
#include "emulate/sandbox.h"

#include <gtest/gtest.h>

namespace xb {
namespace {

TEST(SandboxArgsTest, ParsesRootBindsWorkdirAndCommand) {
  SandboxSpec spec = parse_sandbox_args({"--root", "/r", "--bind", "/src:/xbuild/src", "--bind", "/o:/xbuild/out",
                                         "--workdir", "/xbuild/src", "--", "/bin/sh", "-c", "make --jobs"})
                         .value();
  EXPECT_EQ(spec.root, "/r");
  ASSERT_EQ(spec.binds.size(), 2u);
  EXPECT_EQ(spec.binds[0].first, "/src");
  EXPECT_EQ(spec.binds[0].second, "/xbuild/src");
  EXPECT_EQ(spec.workdir, "/xbuild/src");
  EXPECT_EQ(spec.command, (std::vector<std::string>{"/bin/sh", "-c", "make --jobs"}));
}

TEST(SandboxArgsTest, ArgvRoundTrips) {
  SandboxSpec spec;
  spec.root = "/cache/root fs";
  spec.binds = {{"/home/me/src", "/xbuild/src"}};
  spec.workdir = "/xbuild/src";
  spec.command = {"/bin/sh", "-c", "echo --root"};
  std::vector<std::string> argv = sandbox_argv("/usr/bin/xbuild", spec);
  EXPECT_EQ(argv, (std::vector<std::string>{"/usr/bin/xbuild", "__sandbox", "--root", "/cache/root fs", "--bind",
                                            "/home/me/src:/xbuild/src", "--workdir", "/xbuild/src", "--", "/bin/sh",
                                            "-c", "echo --root"}));
  SandboxSpec back = parse_sandbox_args(std::vector<std::string>(argv.begin() + 2, argv.end())).value();
  EXPECT_EQ(back.root, spec.root);
  EXPECT_EQ(back.binds, spec.binds);
  EXPECT_EQ(back.command, spec.command);
  EXPECT_TRUE(back.lower.empty());
}

TEST(SandboxArgsTest, LowerRoundTrips) {
  SandboxSpec spec;
  spec.root = "/state/overlay/linux-arm64";
  spec.lower = "/cache/debian/rootfs/0123abcd";
  spec.command = {"true"};
  std::vector<std::string> argv = sandbox_argv("/usr/bin/xbuild", spec);
  EXPECT_EQ(argv, (std::vector<std::string>{"/usr/bin/xbuild", "__sandbox", "--root", "/state/overlay/linux-arm64",
                                            "--lower", "/cache/debian/rootfs/0123abcd", "--workdir", "/", "--",
                                            "true"}));
  EXPECT_EQ(parse_sandbox_args(std::vector<std::string>(argv.begin() + 2, argv.end())).value().lower, spec.lower);
}

TEST(SandboxArgsTest, BadArgumentsSayWhatIsWrong) {
  EXPECT_EQ(parse_sandbox_args({"--", "sh"}).error(), "__sandbox: --root is required");
  EXPECT_EQ(parse_sandbox_args({"--root", "r", "--", "sh"}).error(), "__sandbox: --root r must be an absolute path");
  EXPECT_EQ(parse_sandbox_args({"--root"}).error(), "__sandbox: --root needs a value");
  EXPECT_EQ(parse_sandbox_args({"--root", "/r", "--bind", "/a", "--", "sh"}).error(),
            "__sandbox: --bind /a: expected HOST:GUEST");
  EXPECT_EQ(parse_sandbox_args({"--root", "/r", "--bind", "a:/b", "--", "sh"}).error(),
            "__sandbox: --bind a:/b: both paths must be absolute");
  EXPECT_EQ(parse_sandbox_args({"--root", "/r", "--workdir", "w", "--", "sh"}).error(),
            "__sandbox: --workdir w must be an absolute path");
  EXPECT_EQ(parse_sandbox_args({"--root", "/r", "--"}).error(), "__sandbox: no command after \"--\"");
  EXPECT_EQ(parse_sandbox_args({"--root", "/r", "--lower", "l", "--", "sh"}).error(),
            "__sandbox: --lower l must be an absolute path");
  EXPECT_EQ(parse_sandbox_args({"--root", "/r", "--lower", "/a:b", "--", "sh"}).error(),
            "__sandbox: --lower /a:b: overlayfs cannot take a path with ',' or ':'");
  EXPECT_EQ(parse_sandbox_args({"--rot", "/r"}).error(),
            "__sandbox: unknown argument \"--rot\"; usage: xbuild __sandbox --root DIR [--lower DIR] [--bind HOST:GUEST]... "
            "[--workdir DIR] -- COMMAND...");
}

}  // namespace
}  // namespace xb

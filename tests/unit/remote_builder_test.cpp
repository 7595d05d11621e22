#include "remote/builder.h"

#include <gtest/gtest.h>

#include "config/config.h"

namespace xb {
namespace {

const char* const kBase = R"(
[project]
name = "hello"
[targets]
platforms = ["linux/amd64", "linux/arm64"]
[stage.build]
run = "make"
env = { V = "1" }
)";

std::vector<std::string> errors_of(const std::string& builders) {
  ConfigResult result = parse_config(std::string(kBase) + builders, "/p/xbuild.toml");
  std::vector<std::string> messages;
  if (auto* errors = std::get_if<ConfigErrors>(&result))
    for (const Diagnostic& diagnostic : errors->diagnostics) messages.push_back(diagnostic.message);
  return messages;
}

Config config_of(const std::string& builders) {
  ConfigResult result = parse_config(std::string(kBase) + builders, "/p/xbuild.toml");
  EXPECT_TRUE(std::holds_alternative<Config>(result));
  return std::get<Config>(result);
}

TEST(RemoteBuilderConfig, ReadsEveryKey) {
  Config config = config_of(R"(
[builder.pi]
ssh = "me@pi.local"
port = 2222
platforms = ["linux/aarch64"]
jobs = 2
fallback = "local"
ssh_config = "ci/ssh_config"
dir = "/srv/xbuild"
)");
  ASSERT_EQ(config.builders.size(), 1u);
  const BuilderSpec& pi = config.builders[0];
  EXPECT_EQ(pi.name, "pi");
  EXPECT_EQ(pi.ssh, "me@pi.local");
  EXPECT_EQ(pi.port, 2222);
  ASSERT_EQ(pi.platforms.size(), 1u);
  EXPECT_EQ(pi.platforms[0].str(), "linux/arm64");
  EXPECT_TRUE(pi.fallback_local);
  EXPECT_EQ(pi.jobs, 2u);
  EXPECT_EQ(pi.ssh_config, "/p/ci/ssh_config");
  EXPECT_EQ(pi.dir, "/srv/xbuild");
  EXPECT_EQ(ssh_argv(pi), (std::vector<std::string>{"ssh", "-F", "/p/ci/ssh_config", "-p", "2222", "-o",
                                                    "BatchMode=yes", "-o", "ConnectTimeout=10"}));
}

TEST(RemoteBuilderConfig, ReportsEveryMistake) {
  EXPECT_EQ(errors_of("[builder.pi]\nssh = \"me@pi\"\nplatform = [\"linux/arm64\"]\n"),
            (std::vector<std::string>{"missing required key \"platforms\" in [builder.pi]",
                                      "unknown key \"platform\" in [builder.pi]; did you mean \"platforms\"?"}));
  EXPECT_EQ(errors_of("[builder.pi]\nplatforms = [\"linux/arm64\"]\n"),
            (std::vector<std::string>{"missing required key \"ssh\" in [builder.pi]"}));
  EXPECT_EQ(
      errors_of(
          "[builder.pi]\nssh = \"me@pi\"\nplatforms = [\"linux/riscv64\"]\nport = 0\njobs = 0\nfallback = \"other\"\n"),
      (std::vector<std::string>{
          "[builder.pi] builds linux/riscv64, which is not in [targets] platforms; add it there or remove it here",
          "\"port\" in [builder.pi] must be a TCP port number from 1 to 65535",
          "\"jobs\" in [builder.pi] must be a whole number from 1 to 1024",
          "invalid fallback \"other\" in [builder.pi]: the only fallback is \"local\" (leave it out to fail "
          "instead)"}));
  EXPECT_EQ(errors_of("[builder.a]\nssh = \"a\"\nplatforms = [\"linux/arm64\"]\n[builder.b]\nssh = \"b\"\nplatforms = "
                      "[\"linux/arm64\"]\n"),
            (std::vector<std::string>{
                "linux/arm64 is declared by two builders, \"a\" and \"b\"; a platform goes to one builder"}));
  EXPECT_EQ(errors_of("[builders.a]\n"),
            (std::vector<std::string>{"unknown key \"builders\" at the top level; did you mean \"builder\"?"}));
}

TEST(RemoteBuilderScript, CopiesTheSourcesRunsTheStageOverSshAndCopiesTheOutputsBack) {
  Config config = config_of("[builder.pi]\nssh = \"me@pi\"\nplatforms = [\"linux/arm64\"]\ndir = \"w\"\n");
  const BuilderSpec& pi = config.builders[0];
  std::string dir = remote_directory(config, pi, config.platforms[1]);
  EXPECT_EQ(dir.substr(0, 8), "w/hello-");
  EXPECT_EQ(dir.substr(dir.size() - 12), "/linux-arm64");
  std::string script = remote_stage_script(config, pi, config.platforms[1], {{"CC", "cc"}, {"V", "1"}},
                                           {"/bin/sh", "-e", "-c"}, "make", "/slots");
  EXPECT_EQ(script.rfind(
                "rsync -a --delete --exclude=/.xbuild -e 'ssh -o BatchMode=yes -o ConnectTimeout=10' /p/ me@pi:" + dir +
                    "/src/ || ",
                0),
            0u)
      << script;
  EXPECT_NE(script.find("export XBUILD_SRC=\"$PWD/src\" XBUILD_OUT=\"$PWD/out\" XBUILD_WORK=\"$PWD/work\" && cd src && "
                        "exec env CC=cc V=1 "
                        "/bin/sh -e -c make"),
            std::string::npos)
      << script;
  EXPECT_NE(script.find("\nrsync -a --delete -e 'ssh -o BatchMode=yes -o ConnectTimeout=10' me@pi:" + dir +
                        "/out/ \"$XBUILD_OUT/\" || "),
            std::string::npos)
      << script;
  EXPECT_EQ(script.substr(script.size() - 13), "\nexit $status");
  EXPECT_EQ(script.find("flock"), std::string::npos);  // no jobs = N: no slots
}

TEST(RemoteBuilderScript, ABuilderWithJobsTakesASlotFirst) {
  Config config = config_of("[builder.pi]\nssh = \"me@pi\"\nport = 2222\njobs = 2\nplatforms = [\"linux/arm64\"]\n");
  std::string script = remote_stage_script(config, config.builders[0], config.platforms[1], {}, {"/bin/sh", "-e", "-c"},
                                           "make", "/slots/pi");
  EXPECT_EQ(script.rfind("mkdir -p /slots/pi && while :; do for slot in $(seq 2); do exec 9>/slots/pi/slot-$slot; "
                         "flock -n 9 && break 2; done; sleep 0.1; done\n",
                         0),
            0u)
      << script;
  EXPECT_EQ(ssh_argv(config.builders[0]),
            (std::vector<std::string>{"ssh", "-p", "2222", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10"}));
  EXPECT_EQ(describe_builder(config.builders[0]), "builder pi (ssh me@pi port 2222)");
}

}  // namespace
}  // namespace xb

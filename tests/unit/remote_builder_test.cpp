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

TEST(RemoteBuilderRouting, OnlyDeclaredPlatformsGoToTheBuilderAndTheirJobsRunOverSsh) {
  Config config = config_of("[builder.pi]\nssh = \"me@pi\"\nplatforms = [\"linux/arm64\"]\ndir = \"w\"\n");
  Plan plan;
  plan.source_date_epoch = 7;
  for (const Platform& platform : config.platforms) {
    TargetPlan target;
    target.platform = platform;
    target.strategy = Strategy::cross;
    target.problems = {"missing aarch64-linux-gnu-gcc"};
    plan.targets.push_back(target);
    JobPlan job;
    job.target = plan.targets.size() - 1;
    job.stage = "build";
    job.command = "make";
    plan.jobs.push_back(job);
  }
  route_to_builders(config, plan);
  EXPECT_TRUE(plan.targets[0].builder.empty());
  EXPECT_EQ(plan.jobs[0].command, "make");
  EXPECT_EQ(plan.targets[1].builder, "pi");
  EXPECT_EQ(plan.targets[1].strategy, Strategy::native);
  EXPECT_TRUE(plan.targets[1].problems.empty());
  EXPECT_EQ(plan.targets[1].reason, "[builder.pi] declares it: native on me@pi");
  std::string dir = remote_directory(config, config.builders[0], plan.targets[1].platform);
  EXPECT_EQ(dir.substr(0, 8), "w/hello-");
  EXPECT_EQ(dir.substr(dir.size() - 12), "/linux-arm64");
  const std::string& command = plan.jobs[1].command;
  EXPECT_EQ(command.rfind(
                "rsync -a --delete --exclude=/.xbuild -e 'ssh -o BatchMode=yes -o ConnectTimeout=10' /p/ me@pi:" + dir +
                    "/src/ || ",
                0),
            0u)
      << command;
  EXPECT_NE(
      command.find("env CC=cc CXX=c++ SOURCE_DATE_EPOCH=7 V=1 XBUILD_EXEC= XBUILD_PLATFORM=linux/arm64 /bin/sh -c"),
      std::string::npos)
      << command;
  EXPECT_NE(command.find("\nrsync -a --delete -e 'ssh -o BatchMode=yes -o ConnectTimeout=10' me@pi:" + dir +
                         "/out/ \"$XBUILD_OUT/\" || "),
            std::string::npos)
      << command;
  EXPECT_EQ(command.substr(command.size() - 13), "\nexit $status");
}

}  // namespace
}  // namespace xb

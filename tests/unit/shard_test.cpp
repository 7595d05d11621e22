#include "build/shard.h"

#include <gtest/gtest.h>

#include "config/model.h"
#include "oci/merge.h"
#include "support/scratch_dir.h"
#include "util/error.h"
#include "util/probe.h"
#include "util/strings.h"

namespace xb {
namespace {

std::vector<Platform> platforms(const std::vector<std::string>& names) {
  std::vector<Platform> result;
  for (const std::string& name : names) result.push_back(parse_platform(name).value());
  return result;
}

std::vector<std::string> names(const std::vector<Platform>& platforms) {
  std::vector<std::string> result;
  for (const Platform& platform : platforms) result.push_back(platform.str());
  return result;
}

std::string error_of(const std::string& text) {
  try {
    parse_shard(text);
  } catch (const Error& error) {
    EXPECT_EQ(error.exit_code(), 2) << text;
    return error.what();
  }
  return "";
}

TEST(ShardStep, ParsesIOverN) {
  Shard shard = parse_shard("2/3");
  EXPECT_EQ(shard.index, 2u);
  EXPECT_EQ(shard.count, 3u);
  EXPECT_EQ(parse_shard("1/1").count, 1u);
}

TEST(ShardStep, RefusesValuesThatAreNotAShardOfACount) {
  const std::string usage = " is not I/N: write the shard's number and the shard count, e.g. --shard 2/3";
  EXPECT_EQ(error_of(""), "--shard \"\"" + usage);
  EXPECT_EQ(error_of("3"), "--shard \"3\"" + usage);
  EXPECT_EQ(error_of("a/3"), "--shard \"a/3\"" + usage);
  EXPECT_EQ(error_of("1/"), "--shard \"1/\"" + usage);
  EXPECT_EQ(error_of(" 1/3"), "--shard \" 1/3\"" + usage);
  EXPECT_EQ(error_of("1/99999999999"), "--shard \"1/99999999999\"" + usage);
  EXPECT_EQ(error_of("0/0"), "--shard 0/0: the shard count must be at least 1");
  EXPECT_EQ(error_of("0/2"), "--shard 0/2: the shard number must be from 1 to 2");
  EXPECT_EQ(error_of("3/2"), "--shard 3/2: the shard number must be from 1 to 2");
}

TEST(ShardStep, SplitsSortedNamesRoundRobinAndKeepsConfigOrder) {
  std::vector<Platform> all =
      platforms({"linux/riscv64", "linux/amd64", "linux/arm64", "linux/arm/v7", "linux/386", "linux/ppc64le"});
  // Sorted: 386 amd64 arm/v7 arm64 ppc64le riscv64.
  EXPECT_EQ(names(shard_platforms(all, {1, 2})),
            (std::vector<std::string>{"linux/arm/v7", "linux/386", "linux/ppc64le"}));
  EXPECT_EQ(names(shard_platforms(all, {2, 2})),
            (std::vector<std::string>{"linux/riscv64", "linux/amd64", "linux/arm64"}));
  EXPECT_EQ(names(shard_platforms(all, {1, 1})), names(all));
  EXPECT_EQ(names(shard_platforms(all, {4, 4})), (std::vector<std::string>{"linux/arm64"}));
  // The split depends on the set of platforms, not on the order they are written in.
  std::vector<Platform> reversed(all.rbegin(), all.rend());
  for (unsigned i = 1; i <= 3; ++i) {
    std::vector<std::string> a = names(shard_platforms(all, {i, 3}));
    std::vector<std::string> b = names(shard_platforms(reversed, {i, 3}));
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    EXPECT_EQ(a, b) << i;
  }
}

TEST(ShardStep, KeepsTheShardsPlatformsAndAnnotatesTheWholeList) {
  Config config;
  config.file = "/p/xbuild.toml";
  config.platforms = platforms({"linux/amd64", "linux/arm64", "linux/arm/v7"});
  std::map<std::string, std::string> annotations = shard_step(config, {2, 2});
  EXPECT_EQ(names(config.platforms), (std::vector<std::string>{"linux/arm/v7"}));  // amd64 arm/v7 arm64
  EXPECT_EQ(annotations,
            (std::map<std::string, std::string>{{oci::kAnnotationShard, "2/2"},
                                                {oci::kAnnotationPlatforms, "linux/amd64,linux/arm64,linux/arm/v7"}}));
}

TEST(ShardStep, AnEmptyShardIsAnError) {
  Config config;
  config.file = "/p/xbuild.toml";
  config.platforms = platforms({"linux/amd64"});
  try {
    shard_step(config, {2, 2});
    FAIL() << "no error";
  } catch (const Error& error) {
    EXPECT_EQ(error.exit_code(), 2);
    EXPECT_STREQ(error.what(),
                 "--shard 2/2: /p/xbuild.toml has 1 platform, so shard 2 would build nothing; use at "
                 "most 1 shard");
  }
  EXPECT_EQ(config.platforms.size(), 1u);
}

TEST(ConfigDigest, TheFileAndTheSettingsOverItMakeTheDigest) {
  std::string digest = config_digest("[project]\nname = \"a\"\n", {});
  EXPECT_EQ(digest.substr(0, 7), "sha256:");
  EXPECT_EQ(digest.size(), 71u);
  EXPECT_EQ(config_digest("[project]\nname = \"a\"\n", {}), digest);
  EXPECT_NE(config_digest("[project]\nname = \"b\"\n", {}), digest);
  EXPECT_NE(config_digest("[project]\nname = \"a\"\n", {"--tag 1.0"}), digest);
  EXPECT_NE(config_digest("[project]\nname = \"a\"\n", {"--tag 1.0", "--tag 2.0"}),
            config_digest("[project]\nname = \"a\"\n", {"--tag 2.0", "--tag 1.0"}));
}

TEST(RunIdentity, HoldsTheDigestTheSourceDateAndTheRevisionWhenThereIsOne) {
  std::map<std::string, std::string> shard = {{oci::kAnnotationShard, "2/3"}};
  EXPECT_EQ(run_identity("sha256:c0f", std::nullopt, 1700000000, shard),
            (std::map<std::string, std::string>{{"dev.xbuild.config.digest", "sha256:c0f"},
                                                {"dev.xbuild.shard", "2/3"},
                                                {"org.opencontainers.image.created", "2023-11-14T22:13:20Z"}}));
  EXPECT_EQ(run_identity("sha256:c0f", SourceRevision{"abc123", true}, 0, {}),
            (std::map<std::string, std::string>{{"dev.xbuild.config.digest", "sha256:c0f"},
                                                {"dev.xbuild.source.dirty", "true"},
                                                {"org.opencontainers.image.created", "1970-01-01T00:00:00Z"},
                                                {"org.opencontainers.image.revision", "abc123"}}));
}

TEST(SourceRevision, IsGitHeadAndWhetherTrackedFilesChanged) {
  testing::ScratchDir scratch;
  EXPECT_FALSE(source_revision(scratch.path()).has_value());
  scratch.write("xbuild.toml", "one\n");
  scratch.write("untracked/file", "x\n");
  ProbeOptions here;
  here.working_directory = scratch.path();
  auto git = [&](std::vector<std::string> argv) {
    argv.insert(argv.begin(), {"git", "-c", "user.name=t", "-c", "user.email=t@example.com"});
    ASSERT_TRUE(probe_output(argv, here).ok());
  };
  git({"init", "-q"});
  EXPECT_FALSE(source_revision(scratch.path()).has_value()) << "no commit yet";
  git({"add", "xbuild.toml"});
  git({"commit", "-q", "-m", "one"});
  std::string head(trim(probe_output({"git", "rev-parse", "HEAD"}, here).value()));
  std::optional<SourceRevision> clean = source_revision(scratch.path());
  ASSERT_TRUE(clean.has_value());
  EXPECT_EQ(clean->commit, head);
  EXPECT_FALSE(clean->dirty) << "untracked files do not count";
  scratch.write("xbuild.toml", "two\n");
  std::optional<SourceRevision> dirty = source_revision(scratch.path());
  ASSERT_TRUE(dirty.has_value());
  EXPECT_EQ(dirty->commit, head);
  EXPECT_TRUE(dirty->dirty);
}

}  // namespace
}  // namespace xb

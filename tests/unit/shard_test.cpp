#include "build/shard.h"

#include <gtest/gtest.h>

#include "config/model.h"
#include "oci/merge.h"
#include "util/error.h"

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

}  // namespace
}  // namespace xb

// Platform names: every normalization row of containerd's table, parsing, printing, matching.
#include "platform/platform.h"

#include <gtest/gtest.h>

namespace xb {
namespace {

struct NormalizeRow {
  std::string input;
  std::string expected;
};

class PlatformNormalize : public ::testing::TestWithParam<NormalizeRow> {};

TEST_P(PlatformNormalize, ParsesAndPrintsTheNormalizedName) {
  Result<Platform> platform = parse_platform(GetParam().input);
  ASSERT_TRUE(platform.ok()) << platform.error();
  EXPECT_EQ(platform.value().str(), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    ContainerdTable, PlatformNormalize,
    ::testing::Values(NormalizeRow{"linux/amd64", "linux/amd64"}, NormalizeRow{"linux/x86_64", "linux/amd64"},
                      NormalizeRow{"linux/x86-64", "linux/amd64"}, NormalizeRow{"linux/amd64/v1", "linux/amd64"},
                      NormalizeRow{"linux/amd64/v3", "linux/amd64/v3"}, NormalizeRow{"linux/aarch64", "linux/arm64"},
                      NormalizeRow{"linux/arm64", "linux/arm64"}, NormalizeRow{"linux/arm64/v8", "linux/arm64"},
                      NormalizeRow{"linux/arm64/8", "linux/arm64"}, NormalizeRow{"linux/aarch64/v8.0", "linux/arm64"},
                      NormalizeRow{"linux/arm64/9", "linux/arm64/v9"}, NormalizeRow{"linux/armhf", "linux/arm/v7"},
                      NormalizeRow{"linux/armel", "linux/arm/v6"}, NormalizeRow{"linux/arm", "linux/arm/v7"},
                      NormalizeRow{"linux/arm/7", "linux/arm/v7"}, NormalizeRow{"linux/arm/v7", "linux/arm/v7"},
                      NormalizeRow{"linux/arm/6", "linux/arm/v6"}, NormalizeRow{"linux/arm/5", "linux/arm/v5"},
                      NormalizeRow{"linux/arm/8", "linux/arm/v8"}, NormalizeRow{"linux/i386", "linux/386"},
                      NormalizeRow{"linux/i686", "linux/386"}, NormalizeRow{"linux/386", "linux/386"},
                      NormalizeRow{"linux/riscv64", "linux/riscv64"}, NormalizeRow{"LINUX/ARM64", "linux/arm64"},
                      NormalizeRow{"windows/amd64", "windows/amd64"}, NormalizeRow{"macos/arm64", "darwin/arm64"},
                      NormalizeRow{"linux/ppc64le", "linux/ppc64le"}, NormalizeRow{"linux/s390x", "linux/s390x"}));

TEST(Platform, AnOsAloneTakesTheHostArchitecture) {
  Platform host = host_platform();
  EXPECT_EQ(parse_platform("linux").value().architecture, host.architecture);
  EXPECT_EQ(parse_platform("linux").value().os, "linux");
}

TEST(Platform, AnArchitectureAloneTakesTheHostOs) {
  Platform platform = parse_platform("aarch64").value();
  EXPECT_EQ(platform.os, host_platform().os);
  EXPECT_EQ(platform.architecture, "arm64");
}

TEST(Platform, SlugIsUsableInFileNames) {
  EXPECT_EQ(parse_platform("linux/arm/v7").value().slug(), "linux-arm-v7");
  EXPECT_EQ(parse_platform("linux/arm64").value().slug(), "linux-arm64");
}

TEST(Platform, HostIsNormalized) {
  Platform host = host_platform();
  EXPECT_EQ(normalize(host), host);
  EXPECT_EQ(host.os, "linux");
}

TEST(Platform, BadSpecifiersSayWhatIsWrong) {
  EXPECT_EQ(parse_platform("").error(), "empty platform: expected os/arch[/variant], for example linux/arm64");
  EXPECT_EQ(parse_platform("linux//v7").error(),
            "invalid platform \"linux//v7\": empty component; expected os/arch[/variant], for example linux/arm/v7");
  EXPECT_EQ(parse_platform("linux/arm/v7/x").error(),
            "invalid platform \"linux/arm/v7/x\": too many components; expected os/arch[/variant]");
  EXPECT_EQ(parse_platform("linux/arm 64").error(),
            "invalid platform \"linux/arm 64\": \"arm 64\" may only contain letters, digits, '_', '-' and '.'");
  EXPECT_EQ(parse_platform("linux/arm65").error(),
            "unknown architecture \"arm65\" in platform \"linux/arm65\"; did you mean \"arm64\"?");
  EXPECT_EQ(parse_platform("linx/arm64").error(),
            "unknown operating system \"linx\" in platform \"linx/arm64\"; did you mean \"linux\"?");
  EXPECT_EQ(parse_platform("plan10/zzz").error(),
            "unknown operating system \"plan10\" in platform \"plan10/zzz\"; did you mean \"plan9\"?");
}

struct MatchRow {
  std::string host;
  std::vector<std::string> accepted;  // best first
  std::vector<std::string> refused;
};

class PlatformMatch : public ::testing::TestWithParam<MatchRow> {};

TEST_P(PlatformMatch, AcceptsExactlyTheFallbacksInOrder) {
  PlatformMatcher matcher(parse_platform(GetParam().host).value());
  std::vector<std::string> accepted;
  for (const Platform& platform : matcher.accepted()) accepted.push_back(platform.str());
  EXPECT_EQ(accepted, GetParam().accepted);
  for (const std::string& name : GetParam().accepted)
    EXPECT_TRUE(matcher.matches(parse_platform(name).value())) << name;
  for (const std::string& name : GetParam().refused)
    EXPECT_FALSE(matcher.matches(parse_platform(name).value())) << name;
}

INSTANTIATE_TEST_SUITE_P(
    ContainerdFallbacks, PlatformMatch,
    ::testing::Values(
        MatchRow{"linux/arm64",
                 {"linux/arm64", "linux/arm/v8", "linux/arm/v7", "linux/arm/v6", "linux/arm/v5"},
                 {"linux/amd64", "windows/arm64", "linux/arm64/v9"}},
        MatchRow{"linux/amd64", {"linux/amd64", "linux/386"}, {"linux/arm64", "windows/amd64", "linux/arm/v7"}},
        MatchRow{"linux/arm/v7", {"linux/arm/v7", "linux/arm/v6", "linux/arm/v5"}, {"linux/arm/v8", "linux/arm64"}},
        MatchRow{"linux/arm/v6", {"linux/arm/v6", "linux/arm/v5"}, {"linux/arm/v7"}},
        MatchRow{"linux/arm/v5", {"linux/arm/v5"}, {"linux/arm/v6"}},
        MatchRow{"linux/386", {"linux/386"}, {"linux/amd64"}},
        MatchRow{"linux/riscv64", {"linux/riscv64"}, {"linux/amd64", "linux/arm64"}},
        MatchRow{"windows/amd64", {"windows/amd64", "windows/386"}, {"linux/amd64"}}));

TEST(PlatformMatcher, BestPrefersTheExactPlatformOverAFallback) {
  std::vector<Platform> offered = {parse_platform("linux/arm/v6").value(), parse_platform("linux/amd64").value(),
                                   parse_platform("linux/arm64").value(), parse_platform("linux/arm/v7").value()};
  EXPECT_EQ(PlatformMatcher(parse_platform("linux/arm64").value()).best(offered), 2u);
  EXPECT_EQ(PlatformMatcher(parse_platform("linux/arm/v7").value()).best(offered), 3u);
  EXPECT_EQ(PlatformMatcher(parse_platform("linux/arm/v6").value()).best(offered), 0u);
  EXPECT_EQ(PlatformMatcher(parse_platform("linux/386").value()).best(offered), std::nullopt);
  offered.erase(offered.begin() + 2);  // no arm64 image: an arm64 host takes arm/v7
  EXPECT_EQ(PlatformMatcher(parse_platform("linux/arm64").value()).best(offered), 2u);
}

}  // namespace
}  // namespace xb

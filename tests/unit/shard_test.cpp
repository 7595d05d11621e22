#include "build/shard.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
#include <random>

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

// --- packing by measured time ---

// Whole milliseconds of each shard's expected time.
std::vector<long long> loads(const ShardAssignment& assignment) {
  std::vector<long long> result;
  for (double seconds : assignment.expected) result.push_back(std::llround(seconds * 1000));
  return result;
}

std::vector<std::vector<std::string>> shard_names(const ShardAssignment& assignment) {
  std::vector<std::vector<std::string>> result;
  for (const std::vector<Platform>& shard : assignment.shards) result.push_back(names(shard));
  return result;
}

// The best possible longest shard, by trying every assignment (small cases only).
long long optimal_makespan(const std::vector<long long>& costs, unsigned count) {
  long long best = std::accumulate(costs.begin(), costs.end(), 0LL);
  std::vector<long long> load(count, 0);
  std::function<void(std::size_t)> place = [&](std::size_t job) {
    long long worst = *std::max_element(load.begin(), load.end());
    if (worst >= best) return;
    if (job == costs.size()) {
      best = worst;
      return;
    }
    for (unsigned shard = 0; shard < count; ++shard) {
      load[shard] += costs[job];
      place(job + 1);
      load[shard] -= costs[job];
      if (load[shard] == 0) break;  // the empty shards are all alike
    }
  };
  place(0);
  return best;
}

const std::vector<std::string> kNine = {"linux/amd64",   "linux/arm64", "linux/arm/v7",  "linux/arm/v6",  "linux/386",
                                        "linux/riscv64", "linux/s390x", "linux/ppc64le", "linux/mips64le"};

TEST(ShardPacking, LongestFirstOntoTheLeastLoadedShard) {
  std::vector<Platform> all = platforms({"linux/amd64", "linux/arm64", "linux/arm/v7", "linux/386", "linux/riscv64"});
  PlatformCosts costs = {
      {"linux/riscv64", 40}, {"linux/arm64", 30}, {"linux/arm/v7", 20}, {"linux/386", 10}, {"linux/amd64", 5}};
  // riscv64 40 -> 1; arm64 30 -> 2; arm/v7 20 -> 2 (30 < 40); 386 10 -> 1 (40 < 50); amd64 5 -> 1
  // (50 = 50: the lower number). Each shard in config order.
  ShardAssignment two = assign_shards(all, 2, &costs);
  EXPECT_TRUE(two.packed);
  EXPECT_EQ(two.known, 5u);
  EXPECT_EQ(shard_names(two), (std::vector<std::vector<std::string>>{{"linux/amd64", "linux/386", "linux/riscv64"},
                                                                     {"linux/arm64", "linux/arm/v7"}}));
  EXPECT_EQ(loads(two), (std::vector<long long>{55000, 50000}));
  // Three shards: riscv64 -> 1, arm64 -> 2, arm/v7 -> 3, 386 -> 3 (20), amd64 -> 3 (30 = 30: 2 < 3).
  ShardAssignment three = assign_shards(all, 3, &costs);
  EXPECT_EQ(shard_names(three), (std::vector<std::vector<std::string>>{
                                    {"linux/riscv64"}, {"linux/amd64", "linux/arm64"}, {"linux/arm/v7", "linux/386"}}));
  EXPECT_EQ(loads(three), (std::vector<long long>{40000, 35000, 30000}));
}

// Graham's example where LPT is furthest from the best: 3 3 2 2 2 on two shards gives 7 where 6
// is possible (3+3 | 2+2+2), 7/6 = 4/3 - 1/(3*2).
TEST(ShardPacking, GrahamsWorstCaseIsExactlyTheBound) {
  std::vector<Platform> all = platforms({"linux/amd64", "linux/arm64", "linux/386", "linux/riscv64", "linux/s390x"});
  PlatformCosts costs = {
      {"linux/amd64", 3}, {"linux/arm64", 3}, {"linux/386", 2}, {"linux/riscv64", 2}, {"linux/s390x", 2}};
  ShardAssignment assignment = assign_shards(all, 2, &costs);
  // amd64 -> 1, arm64 -> 2, then by name: 386 -> 1, riscv64 -> 2, s390x -> 1.
  EXPECT_EQ(shard_names(assignment), (std::vector<std::vector<std::string>>{{"linux/amd64", "linux/386", "linux/s390x"},
                                                                            {"linux/arm64", "linux/riscv64"}}));
  EXPECT_EQ(loads(assignment), (std::vector<long long>{7000, 5000}));
  EXPECT_EQ(optimal_makespan({3000, 3000, 2000, 2000, 2000}, 2), 6000);
}

// Skewed costs (a few slow emulated targets among quick native ones): over many random cases the
// longest shard is never more than (4/3 - 1/(3N)) times the best possible one.
TEST(ShardPacking, TheLongestShardIsWithinTheLptBoundOfTheBest) {
  std::mt19937 random(18);
  std::size_t cases = 0;
  for (unsigned count = 2; count <= 4; ++count)
    for (std::size_t n = count; n <= kNine.size(); ++n)
      for (int round = 0; round < 25; ++round) {
        std::vector<std::string> chosen(kNine.begin(), kNine.begin() + static_cast<std::ptrdiff_t>(n));
        PlatformCosts costs;
        std::vector<long long> millis;
        for (const std::string& name : chosen) {
          // Most quick (1-20 s), one in four slow (60-600 s): the skew of emulated targets.
          long long cost = random() % 4 == 0 ? 60000 + random() % 540000 : 1000 + random() % 19000;
          costs[name] = static_cast<double>(cost) / 1000;
          millis.push_back(cost);
        }
        ShardAssignment assignment = assign_shards(platforms(chosen), count, &costs);
        std::vector<long long> load = loads(assignment);
        long long longest = *std::max_element(load.begin(), load.end());
        long long best = optimal_makespan(millis, count);
        EXPECT_LE(3 * count * longest, (4 * count - 1) * best)
            << "N=" << count << " n=" << n << " LPT " << longest << " best " << best;
        EXPECT_EQ(std::accumulate(load.begin(), load.end(), 0LL), std::accumulate(millis.begin(), millis.end(), 0LL));
        std::size_t placed = 0;
        for (const std::vector<Platform>& shard : assignment.shards) {
          EXPECT_FALSE(shard.empty());
          placed += shard.size();
        }
        EXPECT_EQ(placed, n);
        ++cases;
      }
  EXPECT_EQ(cases, (8u + 7u + 6u) * 25) << "every case ran";
}

// Every shard computes the same assignment: it depends on the platforms and the costs, not on the
// order the config writes them in, nor on which shard asks.
TEST(ShardPacking, EveryShardComputesTheSameAssignment) {
  std::vector<Platform> all = platforms(kNine);
  PlatformCosts costs;
  for (std::size_t i = 0; i < kNine.size(); ++i) costs[kNine[i]] = 1.5 * double(i % 3) + 7;  // many ties
  ShardAssignment first = assign_shards(all, 4, &costs);
  std::vector<Platform> reversed(all.rbegin(), all.rend());
  ShardAssignment again = assign_shards(reversed, 4, &costs);
  for (unsigned shard = 0; shard < 4; ++shard) {
    std::vector<std::string> a = names(first.shards[shard]), b = names(again.shards[shard]);
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    EXPECT_EQ(a, b) << shard;
  }
  EXPECT_EQ(loads(first), loads(again));
  // shard_step of each shard takes its part of that one assignment, and together they are all.
  std::vector<std::string> union_of_shards;
  for (unsigned index = 1; index <= 4; ++index) {
    Config config;
    config.file = "/p/xbuild.toml";
    config.platforms = all;
    shard_step(config, {index, 4}, &costs);
    EXPECT_EQ(names(config.platforms), names(first.shards[index - 1])) << index;
    for (const Platform& platform : config.platforms) union_of_shards.push_back(platform.str());
  }
  std::sort(union_of_shards.begin(), union_of_shards.end());
  std::vector<std::string> sorted = kNine;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(union_of_shards, sorted);
}

// A platform the file does not know (new in the config) costs the mean of the known ones.
TEST(ShardPacking, AnUnknownPlatformCostsTheMeanOfTheKnownOnes) {
  std::vector<Platform> all = platforms({"linux/amd64", "linux/arm64", "linux/riscv64", "linux/386"});
  // Known: amd64 2, arm64 10, riscv64 30 (mean 14); linux/s390x is not in the config and counts
  // for nothing.
  PlatformCosts costs = {{"linux/amd64", 2}, {"linux/arm64", 10}, {"linux/riscv64", 30}, {"linux/s390x", 500}};
  ShardAssignment assignment = assign_shards(all, 2, &costs);
  EXPECT_TRUE(assignment.packed);
  EXPECT_EQ(assignment.known, 3u);
  EXPECT_DOUBLE_EQ(assignment.unknown_cost, 14);
  // riscv64 30 -> 1; 386 14 -> 2; arm64 10 -> 2 (24); amd64 2 -> 2 (26 < 30).
  EXPECT_EQ(shard_names(assignment),
            (std::vector<std::vector<std::string>>{{"linux/riscv64"}, {"linux/amd64", "linux/arm64", "linux/386"}}));
  EXPECT_EQ(loads(assignment), (std::vector<long long>{30000, 26000}));
}

// No costs, or costs that know none of the platforms: today's round-robin by name.
TEST(ShardPacking, WithoutKnownCostsTheShardsAreDealtRoundRobin) {
  std::vector<Platform> all =
      platforms({"linux/riscv64", "linux/amd64", "linux/arm64", "linux/arm/v7", "linux/386", "linux/ppc64le"});
  PlatformCosts strangers = {{"windows/amd64", 100}};
  const std::vector<const PlatformCosts*> cases = {nullptr, &strangers};
  for (const PlatformCosts* costs : cases) {
    ShardAssignment assignment = assign_shards(all, 3, costs);
    EXPECT_FALSE(assignment.packed);
    EXPECT_EQ(assignment.known, 0u);
    EXPECT_TRUE(assignment.expected.empty());
    for (unsigned index = 1; index <= 3; ++index)
      EXPECT_EQ(names(assignment.shards[index - 1]), names(shard_platforms(all, {index, 3}))) << index;
  }
}

// Stages restored from the cache in no time: every platform still costs something, so no shard
// is left empty while another holds two.
TEST(ShardPacking, ZeroCostsLeaveNoShardEmpty) {
  std::vector<Platform> all = platforms({"linux/amd64", "linux/arm64", "linux/riscv64"});
  PlatformCosts costs = {{"linux/amd64", 0}, {"linux/arm64", 0.0001}, {"linux/riscv64", 0}};
  ShardAssignment assignment = assign_shards(all, 3, &costs);
  EXPECT_EQ(shard_names(assignment),
            (std::vector<std::vector<std::string>>{{"linux/amd64"}, {"linux/arm64"}, {"linux/riscv64"}}));
}

// A cost beyond any real stage (a hand-edited file) is capped, not an overflow.
TEST(ShardPacking, AHugeCostIsCapped) {
  std::vector<Platform> all = platforms({"linux/amd64", "linux/arm64", "linux/riscv64"});
  PlatformCosts costs = {{"linux/amd64", 1e300}, {"linux/arm64", 1e12}, {"linux/riscv64", 2}};
  // Both capped at 10^9 s, equal: amd64 -> 1 and arm64 -> 2 by name; riscv64 -> 1 (a tie).
  ShardAssignment assignment = assign_shards(all, 2, &costs);
  EXPECT_EQ(shard_names(assignment),
            (std::vector<std::vector<std::string>>{{"linux/amd64", "linux/riscv64"}, {"linux/arm64"}}));
  EXPECT_EQ(loads(assignment), (std::vector<long long>{1000000002000LL, 1000000000000LL}));
}

std::string durations_error(const std::filesystem::path& file) {
  try {
    read_durations(file);
  } catch (const Error& error) {
    EXPECT_EQ(error.exit_code(), 2);
    return error.what();
  }
  return "";
}

TEST(ShardPacking, ReadsTheDurationsOfAMetadataFile) {
  testing::ScratchDir scratch;
  std::filesystem::path file = scratch.write("metadata.json", R"({
  "containerimage.digest": "sha256:00",
  "platforms": {
    "linux/amd64": {"strategy": "native", "stages": {"build": "ok", "test": "ok"},
                    "durations": {"build": 12.345, "test": 0.321}},
    "linux/arm64": {"strategy": "cross", "stages": {"build": "cached"}, "durations": {"build": 0.004}},
    "linux/riscv64": {"strategy": "cross", "stages": {"build": "ok"}}
  }
}
)");
  PlatformCosts costs = read_durations(file);
  ASSERT_EQ(costs.size(), 2u) << "a platform without durations (an older file) is unknown";
  EXPECT_DOUBLE_EQ(costs["linux/amd64"], 12.666);
  EXPECT_DOUBLE_EQ(costs["linux/arm64"], 0.004);
}

TEST(ShardPacking, AMissingOrMalformedDurationsFileIsAnErrorThatSaysTheFix) {
  testing::ScratchDir scratch;
  const std::string fix =
      "; pass the --metadata-file of an earlier run or of xbuild merge (xbuild run --metadata-file FILE), or leave "
      "--durations out to deal the shards round-robin by name";
  std::filesystem::path missing = scratch / "missing.json";
  EXPECT_EQ(durations_error(missing), "--durations " + missing.string() + ": cannot read " + missing.string() +
                                          ": No such file or directory" + fix);
  EXPECT_EQ(durations_error(scratch.path()), "--durations " + scratch.path().string() + ": not a regular file" + fix);
  std::filesystem::path junit = scratch.write("junit.xml", "<testsuites/>\n");
  EXPECT_EQ(durations_error(junit), "--durations " + junit.string() +
                                        " is not the --metadata-file of an xbuild run (no \"platforms\" object)" + fix);
  std::filesystem::path negative =
      scratch.write("negative.json", R"({"platforms": {"linux/amd64": {"durations": {"build": -1}}}})");
  EXPECT_EQ(durations_error(negative), "--durations " + negative.string() +
                                           ": \"durations\" of linux/amd64: \"build\" is -1, not a number of seconds "
                                           ">= 0" +
                                           fix);
  std::filesystem::path text = scratch.write("text.json", R"({"platforms": {"linux/amd64": {"durations": "12 s"}}})");
  EXPECT_EQ(durations_error(text), "--durations " + text.string() +
                                       ": \"durations\" of linux/amd64 is not an object of stage names and seconds" +
                                       fix);
}

// `xbuild plan --shard 2/3 --durations FILE`: how the shards were chosen, then every shard with
// its expected time, the selected one marked.
TEST(ShardPacking, PlanShowsEveryShardAndItsExpectedTime) {
  Config config;
  config.file = "/p/xbuild.toml";
  config.platforms = platforms({"linux/amd64", "linux/arm64", "linux/arm/v7", "linux/386", "linux/riscv64"});
  PlatformCosts costs = {{"linux/riscv64", 41.2}, {"linux/arm64", 30}, {"linux/arm/v7", 20}, {"linux/386", 10}};
  EXPECT_EQ(shard_plan_lines(config, {2, 3}, costs, "/ci/metadata.json"),
            "shards packed by the durations in /ci/metadata.json (longest first onto the least-loaded shard; 4 of 5 "
            "platforms measured, the other counted at their mean, 25.3 s)\n"
            "shard 1/3: linux/riscv64 (expected 41.2 s)\n"
            "shard 2/3: linux/arm64, linux/386 (expected 40.0 s) <- this shard\n"
            "shard 3/3: linux/amd64, linux/arm/v7 (expected 45.3 s)\n");
  EXPECT_EQ(names(config.platforms), (std::vector<std::string>{"linux/arm64", "linux/386"}));

  config.platforms = platforms({"linux/amd64", "linux/arm64", "linux/arm/v7", "linux/386", "linux/riscv64"});
  EXPECT_EQ(shard_plan_lines(config, {1, 2}, {{"windows/amd64", 3}}, "/ci/metadata.json"),
            "shards dealt round-robin by name: /ci/metadata.json measured none of these 5 platforms\n"
            "shard 1/2: linux/arm/v7, linux/386, linux/riscv64 <- this shard\n"
            "shard 2/2: linux/amd64, linux/arm64\n");
}

TEST(ShardPacking, RunSaysHowItsShardWasChosen) {
  std::vector<Platform> all = platforms({"linux/amd64", "linux/arm64", "linux/riscv64"});
  EXPECT_EQ(shard_run_line(all, {2, 2}, {{"linux/riscv64", 60}, {"linux/arm64", 20}, {"linux/amd64", 10}}, "m.json"),
            "xbuild: shard 2/2 packed by the durations in m.json (longest first onto the least-loaded shard; 3 of 3 "
            "platforms measured): linux/amd64, linux/arm64 (expected 30.0 s; the longest shard 60.0 s)");
  EXPECT_EQ(shard_run_line(all, {2, 2}, {}, "m.json"),
            "xbuild: warning: shard 2/2 dealt round-robin by name: m.json measured none of these 3 platforms: "
            "linux/arm64");
}

}  // namespace
}  // namespace xb

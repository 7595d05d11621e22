// The registry cache in a run, against fakes: which caches a run reads and writes (the command
// line over [cache]), which keys a look-up asks a registry for, a target restored whole from its
// target entry, the target entries of mode=min, the keys each mode uploads, and whole runs of two
// "machines" sharing a registry in memory: the second runs no stage; one that cannot reach the
// registry runs every stage and warns.
#include "build/registry_cache_pass.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>

#include "build/inputs.h"
#include "build/planning.h"
#include "build/schedule.h"
#include "build/state_dir.h"
#include "oci/image.h"
#include "support/build_world.h"
#include "support/memory_registry.h"
#include "util/sha256.h"
#include "util/strings.h"

namespace xb {
namespace {

namespace fs = std::filesystem;
using testing::BuildWorld;
using testing::MemoryRegistry;

const std::string kCache = "127.0.0.1:5000/team/cache";

std::vector<std::string> sorted(std::vector<std::string> values) {
  std::sort(values.begin(), values.end());
  return values;
}

// The terminal's lines that start with `prefix`.
std::vector<std::string> lines_starting(const std::vector<std::string>& lines, const std::string& prefix) {
  std::vector<std::string> found;
  for (const std::string& line : lines)
    if (starts_with(line, prefix)) found.push_back(line);
  return found;
}

TEST(RegistryCacheRefs, TheCommandLineReplacesTheFileAndNoCacheTurnsBothOff) {
  RegistryCacheSpec file{{"registry.example/team/a", "registry.example/team/b"}, "registry.example/team/w", "max"};
  RegistryCacheRefs from_file = registry_cache_refs(file, {}, std::nullopt, false, "xbuild.toml");
  ASSERT_EQ(from_file.from.size(), 2u);
  EXPECT_EQ(from_file.from[1].name(), "registry.example/team/b");
  ASSERT_TRUE(from_file.to);
  EXPECT_EQ(from_file.to->mode, CacheRef::Mode::max);

  RegistryCacheRefs given =
      registry_cache_refs(file, {"registry.example/team/c"}, "registry.example/team/x", false, "xbuild.toml");
  ASSERT_EQ(given.from.size(), 1u);
  EXPECT_EQ(given.from[0].name(), "registry.example/team/c");
  EXPECT_EQ(given.to->name(), "registry.example/team/x");
  EXPECT_EQ(given.to->mode, CacheRef::Mode::min) << "--cache-to replaces the file's mode too";
  EXPECT_EQ(registry_cache_refs(file, {}, "registry.example/team/x,mode=max", false, "f").to->mode,
            CacheRef::Mode::max);

  RegistryCacheRefs off = registry_cache_refs(file, {"registry.example/team/c"}, "registry.example/team/x", true, "f");
  EXPECT_TRUE(off.from.empty());
  EXPECT_FALSE(off.to);

  try {
    registry_cache_refs({}, {"registry.example/team/c:nightly"}, std::nullopt, false, "f");
    FAIL() << "a tag was taken";
  } catch (const Error& error) {
    EXPECT_EQ(error.exit_code(), 2);
    EXPECT_NE(std::string(error.what()).find("(--cache-from)"), std::string::npos) << error.what();
  }
}

class RegistryCachePassTest : public ::testing::Test {
 protected:
  Plan plan() {
    config_ = read_config(world_.options.config_file);
    return plan_targets({config_, world_.state(), 0, {}, {}}, world_.services, world_.finder);
  }
  CacheLookup look_up(const Plan& plan, CacheSettings::Fetch fetch = {}) {
    return look_up_cache(config_, plan, {true, true, world_.scratch / "cache", std::move(fetch)});
  }
  // A run's result with every job succeeded but those named failed.
  RunResult result(const Plan& plan, const std::vector<std::size_t>& failed = {}) {
    RunResult run;
    run.jobs.resize(plan.jobs.size());
    for (std::size_t index = 0; index < plan.jobs.size(); ++index)
      run.jobs[index].state = std::count(failed.begin(), failed.end(), index) ? JobState::failed : JobState::succeeded;
    return run;
  }

  BuildWorld world_;
  Config config_;
};

TEST_F(RegistryCachePassTest, ALookUpAsksForTheKeysOfTargetsTheLocalCacheCannotRestore) {
  Plan planned = plan();
  std::vector<std::string> asked;
  auto fetch = [&](const std::vector<std::string>& keys, CacheStore&) { asked = keys; };
  CacheLookup cold = look_up(planned, fetch);
  EXPECT_EQ(sorted(asked), sorted({cold.keys.targets[0], cold.keys.jobs[0], cold.keys.jobs[1], cold.keys.targets[1],
                                   cold.keys.jobs[2], cold.keys.jobs[3]}));

  ASSERT_EQ(world_.run(), 0);
  asked = {"not asked"};
  look_up(planned, fetch);
  EXPECT_EQ(asked, std::vector<std::string>{"not asked"}) << "every stage is in the local cache";

  fs::remove(world_.scratch / "cache/entries" / cold.keys.jobs[3].substr(7));  // arm64 test
  look_up(planned, fetch);
  EXPECT_EQ(asked, (std::vector<std::string>{cold.keys.targets[1], cold.keys.jobs[3]}));

  asked = {"not asked"};
  look_up_cache(config_, planned, {true, false, world_.scratch / "cache", fetch});  // --clean reads nothing
  EXPECT_EQ(asked, std::vector<std::string>{"not asked"});
}

TEST_F(RegistryCachePassTest, ATargetEntryRestoresItsTargetWhole) {
  ASSERT_EQ(world_.run(), 0);
  Plan planned = plan();
  CacheLookup cache = look_up(planned);
  std::vector<std::string> stored = store_target_entries(planned, cache, result(planned), world_.terminal);
  EXPECT_EQ(stored, cache.keys.targets);
  for (const std::string& key : cache.keys.jobs) fs::remove(world_.scratch / "cache/entries" / key.substr(7));
  fs::remove(planned.state_dir / "output-stamps");
  fs::remove_all(world_.state() / "logs");

  cache = look_up(planned);
  EXPECT_EQ(cache.whole, std::vector<bool>(2, true));
  EXPECT_EQ(cache.cached, std::vector<bool>(4, true));
  prepare_state_dir(planned, cache.intact);
  world_.terminal.lines.clear();
  restore_from_cache(planned, cache, world_.terminal);
  EXPECT_EQ(read_file(world_.state() / "out/linux-arm64/build").value(), "linux/arm64");
  EXPECT_EQ(read_file(world_.state() / "out/linux-arm64/test").value(), "linux/arm64");
  EXPECT_TRUE(fs::exists(world_.state() / "logs/linux-arm64/test.log"));
  EXPECT_EQ(world_.terminal.lines, (std::vector<std::string>{"xbuild: linux/amd64: cached (build, test)",
                                                             "xbuild: linux/arm64: cached (build, test)"}));
}

TEST_F(RegistryCachePassTest, OnlyTargetsWhoseStagesAllSucceededGetATargetEntry) {
  ASSERT_EQ(world_.run(), 0);
  Plan planned = plan();
  CacheLookup cache = look_up(planned);
  std::vector<std::string> stored = store_target_entries(planned, cache, result(planned, {3}), world_.terminal);
  EXPECT_EQ(stored, std::vector<std::string>{cache.keys.targets[0]});
  EXPECT_FALSE(cache.store->contains(cache.keys.targets[1]));
}

TEST_F(RegistryCachePassTest, MinUploadsTargetEntriesMaxEveryStageAndNothingComesBackToItsCache) {
  ASSERT_EQ(world_.run(), 0);
  Plan planned = plan();
  CacheLookup cache = look_up(planned);
  RunResult run = result(planned, {3});
  std::vector<std::string> targets = store_target_entries(planned, cache, run, world_.terminal);
  RegistryCacheRun shared;
  shared.to = parse_cache_ref(kCache, true).value();
  EXPECT_EQ(keys_to_upload(shared, planned, cache, run, targets), std::vector<std::string>{cache.keys.targets[0]});
  shared.to->mode = CacheRef::Mode::max;
  EXPECT_EQ(keys_to_upload(shared, planned, cache, run, targets),
            sorted({cache.keys.jobs[0], cache.keys.jobs[1], cache.keys.jobs[2]}));
  shared.fetched_from[cache.keys.jobs[0]] = shared.to->name();
  shared.fetched_from[cache.keys.jobs[1]] = "registry.example/elsewhere";
  EXPECT_EQ(keys_to_upload(shared, planned, cache, run, targets), sorted({cache.keys.jobs[1], cache.keys.jobs[2]}));
}

// Two machines share a registry: the first runs every stage and uploads (mode=min: an entry per
// target), the second, with an empty cache, runs none.
TEST(RegistryCachePipeline, ASecondMachineRunsNoStage) {
  MemoryRegistry registry;
  BuildWorld first;
  first.services.http_client = registry.http_client();
  first.options.cache_to = kCache;
  ASSERT_EQ(first.run(), 0);
  EXPECT_EQ(first.started.size(), 4u);
  EXPECT_EQ(lines_starting(first.terminal.lines, "cache: 2 entries uploaded to " + kCache + " (").size(), 1u);
  EXPECT_EQ(registry.manifests.size(), 2u);

  BuildWorld second;
  second.services.http_client = registry.http_client();
  second.options.cache_from = {kCache};
  ASSERT_EQ(second.run(), 0);
  EXPECT_EQ(second.started, std::vector<std::string>{});
  EXPECT_EQ(lines_starting(second.terminal.lines, "cache: 2 entries restored from " + kCache + " (").size(), 1u);
  EXPECT_EQ(read_file(second.state() / "out/linux-arm64/build").value(), "linux/arm64");
  EXPECT_EQ(lines_starting(second.terminal.lines, "xbuild: warning"), std::vector<std::string>{});
}

TEST(RegistryCachePipeline, AnUnreachableCacheIsAWarningAndEveryStageRuns) {
  MemoryRegistry registry;
  registry.down = true;
  BuildWorld world;
  world.services.http_client = registry.http_client();
  world.options.cache_from = {kCache};
  world.options.cache_to = kCache + ",mode=max";
  ASSERT_EQ(world.run(), 0);
  EXPECT_EQ(world.started.size(), 4u);
  EXPECT_EQ(lines_starting(world.terminal.lines, "cache: 0 entries restored from " + kCache + " (").size(), 1u);
  EXPECT_EQ(lines_starting(world.terminal.lines, "cache: 0 entries uploaded to " + kCache + " (").size(), 1u);
  EXPECT_EQ(lines_starting(world.terminal.lines, "xbuild: warning: registry cache " + kCache + ": ").size(), 2u)
      << join(world.terminal.lines, "\n");
}

TEST(RegistryCachePipeline, AFailedRunStillUploadsWhatSucceeded) {
  MemoryRegistry registry;
  BuildWorld world;
  world.services.http_client = registry.http_client();
  world.scripts["test"].exit = ProcessExit{1, 0};
  world.options.cache_to = kCache + ",mode=max";
  EXPECT_THROW(world.run(), Error);
  EXPECT_EQ(lines_starting(world.terminal.lines, "cache: 2 entries uploaded to " + kCache + " (").size(), 1u)
      << join(world.terminal.lines, "\n");
}

}  // namespace
}  // namespace xb

// The cache in a run: what a look-up finds after earlier runs, restoring into $XBUILD_OUT, the
// recorder that stores what runs, and the output stamps of intact targets.
#include "build/cache_pass.h"

#include <gtest/gtest.h>

#include "build/inputs.h"
#include "build/planning.h"
#include "build/schedule.h"
#include "build/state_dir.h"
#include "support/build_world.h"

namespace xb {
namespace {

namespace fs = std::filesystem;
using testing::BuildWorld;

class CachePassTest : public ::testing::Test {
 protected:
  Plan plan() {
    Config config = read_config(world_.options.config_file);
    config_ = config;
    return plan_targets({config_, world_.state(), 0, {}, {}}, world_.services, world_.finder);
  }
  CacheLookup look_up(const Plan& plan) { return look_up_cache(config_, plan, {true, true, world_.scratch / "cache"}); }

  BuildWorld world_;
  Config config_;
};

TEST_F(CachePassTest, NothingIsCachedTheFirstTime) {
  Plan planned = plan();
  CacheLookup cache = look_up(planned);
  EXPECT_EQ(cache.cached, std::vector<bool>(4, false));
  EXPECT_EQ(cache.intact, std::vector<bool>(2, false));
  EXPECT_EQ(cache.keys.jobs.size(), 4u);
  EXPECT_EQ(cache.package_key.size(), 71u);  // sha256:<64 hex>
}

TEST_F(CachePassTest, WithTheCacheOffNothingIsLookedUp) {
  Plan planned = plan();
  CacheLookup cache = look_up_cache(config_, planned, {false, true, world_.scratch / "cache"});
  EXPECT_FALSE(cache.store);
  EXPECT_EQ(cache.cached, std::vector<bool>(4, false));
  EXPECT_TRUE(cache.package_key.empty());
  EXPECT_TRUE(CacheRecorder(planned, cache, world_.terminal).hooks().finished == nullptr);
}

TEST_F(CachePassTest, WhatARunStoredIsRestoredIntoAnEmptiedOutputDirectory) {
  ASSERT_EQ(world_.run(), 0);
  Plan planned = plan();
  CacheLookup cache = look_up(planned);
  EXPECT_EQ(cache.cached, std::vector<bool>(4, true));
  fs::remove(planned.state_dir / "output-stamps");  // not intact: replayed from the cache
  cache = look_up(planned);
  EXPECT_EQ(cache.intact, std::vector<bool>(2, false));
  prepare_state_dir(planned, cache.intact);
  EXPECT_FALSE(fs::exists(world_.state() / "out/linux-arm64/build"));
  world_.terminal.lines.clear();
  restore_from_cache(planned, cache, world_.terminal);
  EXPECT_EQ(read_file(world_.state() / "out/linux-arm64/build").value(), "linux/arm64");
  EXPECT_EQ(read_file(world_.state() / "out/linux-arm64/test").value(), "linux/arm64");
  EXPECT_EQ(world_.terminal.lines, (std::vector<std::string>{"xbuild: linux/amd64: cached (build, test)",
                                                             "xbuild: linux/arm64: cached (build, test)"}));
}

TEST_F(CachePassTest, AJobWhoseNeedRunsAgainIsNotRestored) {
  ASSERT_EQ(world_.run(), 0);
  Plan planned = plan();
  CacheLookup before = look_up(planned);
  fs::remove(world_.scratch / "cache" / "entries" / before.keys.jobs[0].substr(7));  // amd64 build
  CacheLookup cache = look_up(planned);
  EXPECT_EQ(cache.cached, (std::vector<bool>{false, false, true, true}));
  prepare_state_dir(planned, cache.intact);
  world_.terminal.lines.clear();
  restore_from_cache(planned, cache, world_.terminal);
  EXPECT_EQ(world_.terminal.lines, std::vector<std::string>{"xbuild: linux/arm64: cached (build, test)"});
}

TEST_F(CachePassTest, AnIntactTargetIsLeftAloneAndAChangedOneIsReplayed) {
  ASSERT_EQ(world_.run(), 0);
  Plan planned = plan();
  EXPECT_EQ(look_up(planned).intact, std::vector<bool>(2, true));
  world_.scratch.write("project/.xbuild/out/linux-arm64/stray", "left by hand");
  CacheLookup cache = look_up(planned);
  EXPECT_EQ(cache.intact, (std::vector<bool>{true, false}));
  fs::path kept = world_.state() / "out/linux-amd64/build";
  auto written = fs::last_write_time(kept);
  prepare_state_dir(planned, cache.intact);
  restore_from_cache(planned, cache, world_.terminal);
  EXPECT_EQ(fs::last_write_time(kept), written);
  EXPECT_FALSE(fs::exists(world_.state() / "out/linux-arm64/stray"));
  EXPECT_TRUE(fs::exists(world_.state() / "out/linux-arm64/build"));
}

TEST_F(CachePassTest, ARestoreThatFailsRunsTheTargetInstead) {
  ASSERT_EQ(world_.run(), 0);
  Plan planned = plan();
  for (const fs::directory_entry& object : fs::directory_iterator(world_.scratch / "cache" / "objects"))
    fs::remove(object.path());
  fs::remove(planned.state_dir / "output-stamps");
  CacheLookup cache = look_up(planned);
  prepare_state_dir(planned, cache.intact);
  world_.terminal.lines.clear();
  restore_from_cache(planned, cache, world_.terminal);
  EXPECT_EQ(cache.cached, std::vector<bool>(4, false));
  ASSERT_EQ(world_.terminal.lines.size(), 2u);
  EXPECT_EQ(world_.terminal.lines[0].rfind("xbuild: warning: ", 0), 0u) << world_.terminal.lines[0];
  EXPECT_NE(world_.terminal.lines[0].find("; running linux/amd64 instead"), std::string::npos)
      << world_.terminal.lines[0];
}

TEST_F(CachePassTest, TheRecorderStoresWhatEachSucceedingJobWrote) {
  Plan planned = plan();
  CacheLookup cache = look_up(planned);
  prepare_state_dir(planned, cache.intact);
  CacheRecorder recorder(planned, cache, world_.terminal);
  RunResult result =
      schedule(planned, {1, false, cache.cached, recorder.hooks()}, nullptr, world_.services, world_.terminal);
  ASSERT_TRUE(result.ok());
  for (const std::string& key : cache.keys.jobs) EXPECT_TRUE(cache.store->contains(key)) << key;
  record_output_stamps(planned, cache, result);
  EXPECT_EQ(look_up(planned).intact, std::vector<bool>(2, true));
}

}  // namespace
}  // namespace xb

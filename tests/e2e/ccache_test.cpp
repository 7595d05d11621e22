// [targets] ccache end to end, on a real project with real tools: cJSON 1.7.15 from Debian's
// source package, configured by CMake and built by Ninja for linux/amd64 (native), linux/arm64
// (cross) and the bare-metal none/arm/cortex-m4, every compile through the real ccache. What a
// run's compiles did is read from ccache's own counters (`ccache -d DIR --print-stats`) and
// from the --metadata-file, and must agree:
//   - a second clean run (--no-cache: every stage runs, $XBUILD_OUT starts empty) hits for every
//     compile and misses none;
//   - two "machines" (cache directories of their own, checkouts at different paths) sharing a
//     real redis-server on 127.0.0.1: the second one's compiles all come from the remote;
//   - the remote down: the run succeeds, says so once, and compiles with the local cache.
#include <gtest/gtest.h>

#include <map>

#include "e2e/debian_source.h"
#include "e2e/e2e_support.h"
#include "e2e/run_report.h"
#include "support/registry_fixture.h"
#include "support/require.h"
#include "util/fs.h"
#include "util/strings.h"

namespace xb::testing {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kTools = {
    "ccache", "cmake", "ninja", "aarch64-linux-gnu-gcc", "arm-none-eabi-gcc", "redis-server", "apt-get", "dpkg-source"};
const std::vector<std::string> kPlatforms = {"linux/amd64", "linux/arm64", "none/arm/cortex-m4"};
const std::map<std::string, std::string> kSlugs = {
    {"linux/amd64", "linux-amd64"}, {"linux/arm64", "linux-arm64"}, {"none/arm/cortex-m4", "none-arm-cortex-m4"}};

// cJSON and two of its Unity suites (the bare-metal target packs one as its firmware).
std::string config(const std::string& remote) {
  return R"([project]
name = "cjson-ccache"
version = "1.7.15"

[targets]
platforms = ["linux/amd64", "linux/arm64"]
firmware = ["cortex-m4"]
ccache = true
)" + (remote.empty() ? std::string() : "ccache_remote = \"" + remote + "\"\n") +
         R"(
[stage.build]
run = '''
cmake -S . -B "$XBUILD_OUT/build" -G Ninja $XBUILD_CMAKE_ARGS -DBUILD_SHARED_LIBS=OFF -DENABLE_CJSON_TEST=ON
cmake --build "$XBUILD_OUT/build" --target cjson parse_hex4 parse_number
cp "$XBUILD_OUT/build/tests/parse_hex4" "$XBUILD_OUT/firmware.elf"
'''
)";
}

// cJSON's tree at `project` with config(remote), or why it cannot be had.
std::string prepare(const fs::path& project, const std::string& remote) {
  DebianSource source = fetch_debian_source("cjson", "bookworm");
  if (source.tree.empty()) return source.error;
  std::string error;
  fs::create_directories(project.parent_path());
  if (!copy_tree(source.tree, project, &error)) return error;
  if (Status written = write_file_atomic(project / "xbuild.toml", config(remote)); !written) return written.error();
  return "";
}

// ccache's own counters of a directory.
std::map<std::string, long> print_stats(const fs::path& dir) {
  CommandResult stats = run({"ccache", "-d", dir.string(), "--print-stats"});
  EXPECT_EQ(stats.exit_code, 0) << stats.err;
  std::map<std::string, long> counters;
  for (const std::string& line : split(stats.out, '\n')) {
    std::size_t tab = line.find('\t');
    if (tab != std::string::npos) counters[line.substr(0, tab)] = std::stol(line.substr(tab + 1));
  }
  return counters;
}

long hits(const std::map<std::string, long>& counters) {
  return counters.at("direct_cache_hit") + counters.at("preprocessed_cache_hit");
}

ReportedRun build(const fs::path& project, const fs::path& cache) {
  return xbuild_run({"--no-cache", "--cache-dir", cache.string(), "-j", "2"}, project);
}

// The run's "ccache" entry of `platform` in the metadata, as {hits, misses, remote_hits}.
std::vector<long> reported(const ReportedRun& run, const std::string& platform) {
  nlohmann::json entry = run.platform(platform);
  if (!entry.contains("ccache")) return {};
  return {entry["ccache"]["hits"].get<long>(), entry["ccache"]["misses"].get<long>(),
          entry["ccache"]["remote_hits"].get<long>()};
}

TEST(Ccache, ASecondCleanBuildHitsForEveryCompile) {
  XB_REQUIRE_TOOLS(kTools);
  ScratchDir scratch;
  const fs::path project = scratch / "cjson";
  if (std::string why = prepare(project, ""); !why.empty()) XB_MACHINE_CANNOT(why);
  const fs::path cache = scratch / "cache";

  ReportedRun cold = build(project, cache);
  ASSERT_EQ(cold.exit_code, 0) << cold.out << cold.err;
  std::map<std::string, long> compiles;  // by platform: the misses of the cold run
  for (const std::string& platform : kPlatforms) {
    std::map<std::string, long> counters = print_stats(cache / "ccache" / kSlugs.at(platform));
    EXPECT_EQ(hits(counters), 0) << platform;
    compiles[platform] = counters.at("cache_miss");
    // cJSON.c, the three Unity sources, two suites, and CMake's own checks of the compilers.
    EXPECT_GE(compiles[platform], 6) << platform;
    EXPECT_EQ(reported(cold, platform), (std::vector<long>{0, compiles[platform], 0})) << platform;
  }

  ReportedRun warm = build(project, cache);
  ASSERT_EQ(warm.exit_code, 0) << warm.out << warm.err;
  for (const std::string& platform : kPlatforms) {
    std::map<std::string, long> counters = print_stats(cache / "ccache" / kSlugs.at(platform));
    EXPECT_EQ(hits(counters), compiles[platform]) << platform;
    EXPECT_EQ(counters.at("cache_miss"), compiles[platform]) << platform << ": no miss in the second run";
    EXPECT_EQ(reported(warm, platform), (std::vector<long>{compiles[platform], 0, 0})) << platform;
  }
  EXPECT_NE(warm.out.find(" CCACHE"), std::string::npos) << warm.out;
  EXPECT_NE(warm.out.find(std::to_string(compiles["linux/arm64"]) + " hits / " +
                          std::to_string(compiles["linux/arm64"]) + " (100%)"),
            std::string::npos)
      << warm.out;

  CommandResult info = xbuild({"cache", "--cache-dir", cache.string(), "info"});
  ASSERT_EQ(info.exit_code, 0) << info.err;
  const long amd64 = compiles["linux/amd64"], arm64 = compiles["linux/arm64"];
  EXPECT_NE(info.out.find("ccache: 3 targets\n"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("  linux-amd64         " + std::to_string(amd64) + " hits / " + std::to_string(2 * amd64) +
                          " (50%)\n"),
            std::string::npos)
      << info.out;
  EXPECT_NE(info.out.find("  linux-arm64         " + std::to_string(arm64) + " hits / " + std::to_string(2 * arm64) +
                          " (50%)\n"),
            std::string::npos)
      << info.out;
}

// A redis-server of the test's own on 127.0.0.1, keeping nothing on disk; stopped with the test.
class Redis {
 public:
  explicit Redis(const fs::path& log) : port_(free_port()) {
    pid_ = spawn_background({"redis-server", "--port", std::to_string(port_), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--daemonize", "no"},
                            log);
  }
  ~Redis() { stop(); }
  void stop() {
    stop_background(pid_);
    pid_ = -1;
  }
  bool ready() const { return pid_ > 0 && wait_for_port(port_, 10); }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

 private:
  int port_;
  pid_t pid_ = -1;
};

TEST(Ccache, ASecondMachineHitsTheRemoteStorage) {
  XB_REQUIRE_TOOLS(kTools);
  ScratchDir scratch;
  Redis redis(scratch / "redis.log");
  ASSERT_TRUE(redis.ready()) << "redis-server did not start; see its log";
  const fs::path first = scratch / "laptop" / "cjson";
  const fs::path second = scratch / "ci" / "runner" / "work" / "cjson";
  for (const fs::path& project : {first, second})
    if (std::string why = prepare(project, redis.url()); !why.empty()) XB_MACHINE_CANNOT(why);

  ReportedRun laptop = build(first, scratch / "laptop-cache");
  ASSERT_EQ(laptop.exit_code, 0) << laptop.out << laptop.err;
  EXPECT_EQ(laptop.err.find("unreachable"), std::string::npos) << laptop.err;
  ReportedRun ci = build(second, scratch / "ci-cache");
  ASSERT_EQ(ci.exit_code, 0) << ci.out << ci.err;
  for (const std::string& platform : kPlatforms) {
    std::map<std::string, long> wrote = print_stats(scratch / "laptop-cache" / "ccache" / kSlugs.at(platform));
    const long compiles = wrote.at("cache_miss");
    EXPECT_EQ(wrote.at("remote_storage_error"), 0) << platform;
    std::map<std::string, long> counters = print_stats(scratch / "ci-cache" / "ccache" / kSlugs.at(platform));
    EXPECT_EQ(counters.at("cache_miss"), 0) << platform;
    EXPECT_EQ(counters.at("local_storage_hit"), 0) << platform;
    EXPECT_EQ(counters.at("remote_storage_hit"), compiles) << platform;
    EXPECT_EQ(hits(counters), compiles) << platform;
    EXPECT_EQ(reported(ci, platform), (std::vector<long>{compiles, 0, compiles})) << platform;
  }
}

TEST(Ccache, ARemoteThatIsDownIsAWarningAndTheLocalCacheServes) {
  XB_REQUIRE_TOOLS(kTools);
  ScratchDir scratch;
  Redis redis(scratch / "redis.log");
  ASSERT_TRUE(redis.ready()) << "redis-server did not start; see its log";
  const std::string url = redis.url();
  redis.stop();  // its port is closed now
  const fs::path project = scratch / "cjson";
  if (std::string why = prepare(project, url); !why.empty()) XB_MACHINE_CANNOT(why);

  const std::string warning = "xbuild: warning: ccache remote storage " + url +
                              " unreachable (connection refused): compiling with the local "
                              "cache only\n";
  ReportedRun cold = build(project, scratch / "cache");
  ASSERT_EQ(cold.exit_code, 0) << cold.out << cold.err;
  EXPECT_NE(cold.err.find(warning), std::string::npos) << cold.err;
  EXPECT_EQ(cold.err.find(warning), cold.err.rfind(warning)) << "said once: " << cold.err;
  ReportedRun warm = build(project, scratch / "cache");
  ASSERT_EQ(warm.exit_code, 0) << warm.out << warm.err;
  EXPECT_NE(warm.err.find(warning), std::string::npos) << warm.err;
  for (const std::string& platform : kPlatforms) {
    std::map<std::string, long> counters = print_stats(scratch / "cache" / "ccache" / kSlugs.at(platform));
    const long compiles = counters.at("cache_miss");
    EXPECT_GE(counters.at("remote_storage_error"), compiles) << platform;
    EXPECT_EQ(counters.at("local_storage_hit"), compiles) << platform;
    EXPECT_EQ(reported(warm, platform), (std::vector<long>{compiles, 0, 0})) << platform;
  }
}

}  // namespace
}  // namespace xb::testing

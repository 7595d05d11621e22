// The registry cache of `xbuild run` end to end, with a real docker-registry on loopback and
// examples/hello on several "machines": each a checkout at a path of its own, with its own
// --cache-dir, HOME, user, CI variables (and one a state directory outside the project). A
// machine that runs cold uploads (--cache-to); a machine with an empty local cache restores
// every stage from the registry (--cache-from) without running a stage command (each stage
// appends to a trace file outside the projects) and publishes the byte-identical index. Two
// shards upload to one cache at the same time, and a third machine hits every entry of both.
// Faults (tests/e2e/fault_proxy.py: drops, 503s, resets after CUT bytes) during upload and
// download, and a blob tampered with in the registry's storage, never fail a run and never
// restore a corrupt entry: the run is cold where it must be, correct, and says why.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <future>
#include <set>

#include "e2e/e2e_support.h"
#include "e2e/run_report.h"
#include "support/registry_fixture.h"
#include "support/require.h"
#include "support/scratch_dir.h"
#include "util/fs.h"
#include "util/sha256.h"
#include "util/strings.h"

namespace xb::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The stages of a config, each first appending "<platform> <stage>" to TRACE: a line there is a
// stage command that ran.
std::string traced(std::string config, const fs::path& trace) {
  for (const std::string stage : {"build", "test"}) {
    std::string marker = "[stage." + stage + "]";
    std::size_t at = config.find(marker);
    std::size_t run = config.find("run = '", at);
    config.insert(run + 7, "echo \"$XBUILD_PLATFORM " + stage + "\" >> " + trace.string() + "; ");
  }
  return config;
}

std::string example_config() { return read_file(source_root() / "examples/hello/xbuild.toml").value(); }

const std::vector<std::string> kFivePlatforms = {"linux/386", "linux/amd64", "linux/arm/v7", "linux/arm64",
                                                 "linux/riscv64"};
const std::vector<std::string> kTwoPlatforms = {"linux/amd64", "linux/arm64"};

// One machine: a checkout of the project at a path of its own, its own cache and home, and the
// variables a CI runner sets, all different from every other machine's.
struct Machine {
  std::string name;
  fs::path project;
  std::vector<std::string> args;  // --cache-dir (and --state-dir)
  std::map<std::string, std::string> env;

  ReportedRun run(std::vector<std::string> extra) const {
    extra.insert(extra.end(), args.begin(), args.end());
    return xbuild_run(extra, project, env);
  }
};

Machine make_machine(const ScratchDir& scratch, const std::string& name, const std::string& config,
                     bool state_outside = false) {
  Machine machine;
  machine.name = name;
  fs::path root = scratch / ("machine-" + name);
  machine.project = copy_example("hello", root / "checkouts" / name / "hello");
  EXPECT_TRUE(write_file_atomic(machine.project / "xbuild.toml", config).ok());
  machine.args = {"--cache-dir", (root / "cache").string(), "--progress", "plain"};
  if (state_outside) machine.args.insert(machine.args.end(), {"--state-dir", (root / "state").string()});
  fs::create_directories(root / "home");
  machine.env = {{"HOME", (root / "home").string()}, {"USER", "builder-" + name},      {"LOGNAME", "builder-" + name},
                 {"CI_JOB_ID", "job-" + name},       {"GITHUB_RUN_ID", "run-" + name}, {"XBUILD_CACHE_DIR", ""}};
  return machine;
}

std::vector<std::string> lines_of(const fs::path& file) {
  Result<std::string> text = read_file(file);
  std::vector<std::string> lines;
  if (!text) return lines;
  for (const std::string& line : split(text.value(), '\n'))
    if (!line.empty()) lines.push_back(line);
  std::sort(lines.begin(), lines.end());
  return lines;
}

// Every stage of `platforms` "cached" in the run's metadata.
void expect_all_cached(const ReportedRun& run, const std::vector<std::string>& platforms) {
  for (const std::string& platform : platforms)
    EXPECT_EQ(run.platform(platform)["stages"], json({{"build", "cached"}, {"test", "cached"}})) << platform << "\n"
                                                                                                 << run.err;
}

// The tags of a repository as the registry's storage holds them.
std::set<std::string> stored_tags(const fs::path& registry_dir, const std::string& repository) {
  std::set<std::string> tags;
  fs::path dir = registry_dir / "storage/docker/registry/v2/repositories" / repository / "_manifests/tags";
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, error)) tags.insert(entry.path().filename());
  return tags;
}

fs::path blob_data(const fs::path& registry_dir, const std::string& hex) {
  return registry_dir / "storage/docker/registry/v2/blobs/sha256" / hex.substr(0, 2) / hex / "data";
}

// The lines of `err` that start with `prefix`.
std::vector<std::string> lines_starting(const std::string& err, const std::string& prefix) {
  std::vector<std::string> lines;
  for (const std::string& line : split(err, '\n'))
    if (starts_with(line, prefix)) lines.push_back(line);
  return lines;
}

class RegistryCacheRun : public ::testing::Test {
 protected:
  void SetUp() override {
    XB_REQUIRE_TOOLS("make", "docker-registry", "python3", "aarch64-linux-gnu-gcc", "qemu-aarch64-static");
    registry_ = std::make_unique<LocalRegistry>(scratch_ / "registry");
    ASSERT_TRUE(registry_->ok()) << registry_->error();
  }
  std::string cache(const std::string& repository) const { return registry_->host() + "/" + repository; }
  fs::path trace() const { return scratch_ / "trace"; }
  void clear_trace() const { fs::remove(trace()); }
  // A proxy in front of the registry (fault_proxy.py PORT UPSTREAM SEED PERCENT MAX CUT).
  int start_proxy(int percent, int max_faults, int cut) {
    int port = free_port();
    proxy_ = spawn_background({"python3", (source_root() / "tests/e2e/fault_proxy.py").string(), std::to_string(port),
                               std::to_string(registry_->port()), "7", std::to_string(percent),
                               std::to_string(max_faults), std::to_string(cut)},
                              scratch_ / ("proxy-" + std::to_string(port) + ".log"));
    EXPECT_TRUE(wait_for_port(port, 10));
    proxy_log_ = scratch_ / ("proxy-" + std::to_string(port) + ".log");
    return port;
  }
  void stop_proxy() {
    if (proxy_ > 0) stop_background(proxy_);
    proxy_ = -1;
  }
  void TearDown() override { stop_proxy(); }

  ScratchDir scratch_;
  std::unique_ptr<LocalRegistry> registry_;
  pid_t proxy_ = -1;
  fs::path proxy_log_;
};

// Machine A builds cold and uploads; machine B, with an empty cache, another checkout path, home,
// user, CI variables and its state directory elsewhere, restores every stage of the five
// platforms from the registry, runs no stage command and publishes the same index, byte for byte.
TEST_F(RegistryCacheRun, AnEmptyMachineRestoresEveryStageFromTheRegistryAndPublishesTheSameIndex) {
  XB_REQUIRE_TOOLS("i686-linux-gnu-gcc", "arm-linux-gnueabihf-gcc", "riscv64-linux-gnu-gcc", "qemu-arm-static",
                   "qemu-riscv64-static", "qemu-i386-static");
  const std::string config = traced(example_config(), trace());
  Machine a = make_machine(scratch_, "a", config);
  Machine b = make_machine(scratch_, "b", config, true);
  const std::string ref = cache("team/hello-cache");

  ReportedRun cold = a.run({"--cache-to", ref});
  ASSERT_EQ(cold.exit_code, 0) << cold.err;
  EXPECT_EQ(lines_of(trace()).size(), 10u);
  EXPECT_EQ(lines_starting(cold.err, "cache: "),
            std::vector<std::string>{lines_starting(cold.err, "cache: 5 entries uploaded to " + ref + " (").at(0)})
      << cold.err;
  EXPECT_EQ(lines_starting(cold.err, "xbuild: warning"), std::vector<std::string>{}) << cold.err;
  EXPECT_EQ(stored_tags(scratch_ / "registry", "team/hello-cache").size(), 5u) << "mode=min: one entry per target";

  clear_trace();
  ReportedRun warm = b.run({"--cache-from", ref});
  ASSERT_EQ(warm.exit_code, 0) << warm.err;
  EXPECT_EQ(lines_of(trace()), std::vector<std::string>{}) << "a stage command ran on machine B";
  expect_all_cached(warm, kFivePlatforms);
  EXPECT_EQ(lines_starting(warm.err, "cache: 5 entries restored from " + ref + " (").size(), 1u) << warm.err;
  EXPECT_EQ(lines_starting(warm.err, "xbuild: warning"), std::vector<std::string>{}) << warm.err;
  EXPECT_FALSE(cold.index_digest().empty());
  EXPECT_EQ(warm.index_digest(), cold.index_digest());
  for (const std::string slug : {"linux-amd64", "linux-arm64", "linux-riscv64"})
    EXPECT_EQ(read_file(scratch_ / "machine-b/state/logs" / slug / "test.log").value(),
              read_file(a.project / ".xbuild/logs" / slug / "test.log").value())
        << slug;
  EXPECT_EQ(read_file(scratch_ / "machine-b/state/out/linux-riscv64/hello").value(),
            read_file(a.project / ".xbuild/out/linux-riscv64/hello").value());

  // Nothing is fetched again: the local cache is first.
  ReportedRun again = b.run({"--cache-from", ref});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(lines_starting(again.err, "cache: "), std::vector<std::string>{}) << again.err;
  EXPECT_EQ(again.index_digest(), cold.index_digest());
}

// mode=max uploads every stage's entry: a machine whose test stage changed still restores build.
TEST_F(RegistryCacheRun, ModeMaxUploadsEveryStageAndAChangedLastStageStillRestoresTheFirst) {
  const std::string config = traced(kTwoPlatformConfig, trace());
  Machine a = make_machine(scratch_, "a", config);
  const std::string ref = cache("team/max");
  ReportedRun cold = a.run({"--cache-to", ref + ",mode=max"});
  ASSERT_EQ(cold.exit_code, 0) << cold.err;
  EXPECT_EQ(lines_starting(cold.err, "cache: 4 entries uploaded to " + ref + " (").size(), 1u) << cold.err;
  EXPECT_EQ(stored_tags(scratch_ / "registry", "team/max").size(), 4u);

  Machine b = make_machine(scratch_, "b", config);
  clear_trace();
  ReportedRun warm = b.run({"--cache-from", ref});
  ASSERT_EQ(warm.exit_code, 0) << warm.err;
  EXPECT_EQ(lines_of(trace()), std::vector<std::string>{});
  expect_all_cached(warm, kTwoPlatforms);
  EXPECT_EQ(warm.index_digest(), cold.index_digest());

  // The test stage changes on machine C: build comes from the registry, test runs.
  std::string changed = config;
  changed.replace(changed.find("--self-test"), 11, "--self-test --self-test");
  Machine c = make_machine(scratch_, "c", changed);
  clear_trace();
  ReportedRun partial = c.run({"--cache-from", ref});
  ASSERT_EQ(partial.exit_code, 0) << partial.err;
  EXPECT_EQ(lines_of(trace()), (std::vector<std::string>{"linux/amd64 test", "linux/arm64 test"}));
  EXPECT_EQ(partial.platform("linux/arm64")["stages"], json({{"build", "cached"}, {"test", "ok"}}));
}

// The config's [cache] works as the flags do, and --no-cache turns it off.
TEST_F(RegistryCacheRun, TheConfigNamesTheCacheAndNoCacheTurnsItOff) {
  const std::string ref = cache("team/config");
  const std::string config = traced(kTwoPlatformConfig, trace()) + "\n[cache]\nfrom = [\"" + ref + "\"]\nto = \"" +
                             ref + "\"\nmode = \"max\"\n";
  Machine a = make_machine(scratch_, "a", config);
  ReportedRun cold = a.run({});
  ASSERT_EQ(cold.exit_code, 0) << cold.err;
  EXPECT_EQ(lines_starting(cold.err, "cache: 0 entries restored from " + ref + " (").size(), 1u) << cold.err;
  EXPECT_EQ(lines_starting(cold.err, "cache: 4 entries uploaded to " + ref + " (").size(), 1u) << cold.err;

  Machine b = make_machine(scratch_, "b", config);
  ReportedRun off = b.run({"--no-cache"});
  ASSERT_EQ(off.exit_code, 0) << off.err;
  EXPECT_EQ(lines_starting(off.err, "cache: "), std::vector<std::string>{}) << off.err;
  clear_trace();
  ReportedRun warm = b.run({});
  ASSERT_EQ(warm.exit_code, 0) << warm.err;
  EXPECT_EQ(lines_of(trace()), std::vector<std::string>{});
  expect_all_cached(warm, kTwoPlatforms);
}

// Two shards on two machines upload to one cache at the same time; a third machine restores every
// entry of both. In both modes.
TEST_F(RegistryCacheRun, TwoShardsWriteOneCacheAtOnceAndAThirdMachineHitsEveryEntry) {
  for (const std::string mode : {"min", "max"}) {
    SCOPED_TRACE("mode=" + mode);
    const std::string config = traced(kTwoPlatformConfig, trace());
    const std::string ref = cache("team/shards-" + mode);
    Machine one = make_machine(scratch_, "one-" + mode, config);
    Machine two = make_machine(scratch_, "two-" + mode, config, true);
    std::future<ReportedRun> first = std::async(std::launch::async, [&] {
      return one.run({"--shard", "1/2", "--cache-to", ref + ",mode=" + mode});
    });
    std::future<ReportedRun> second = std::async(std::launch::async, [&] {
      return two.run({"--shard", "2/2", "--cache-to", ref + ",mode=" + mode});
    });
    ReportedRun shard1 = first.get(), shard2 = second.get();
    ASSERT_EQ(shard1.exit_code, 0) << shard1.err;
    ASSERT_EQ(shard2.exit_code, 0) << shard2.err;
    const std::size_t per_shard = mode == "min" ? 1 : 2;
    for (const ReportedRun* shard : {&shard1, &shard2})
      EXPECT_EQ(lines_starting(shard->err, fmt::format("cache: {} entr{} uploaded to {} (", per_shard,
                                                       per_shard == 1 ? "y" : "ies", ref))
                    .size(),
                1u)
          << shard->err;
    EXPECT_EQ(stored_tags(scratch_ / "registry", "team/shards-" + mode).size(), 2 * per_shard);

    Machine third = make_machine(scratch_, "three-" + mode, config);
    clear_trace();
    ReportedRun warm = third.run({"--cache-from", ref});
    ASSERT_EQ(warm.exit_code, 0) << warm.err;
    EXPECT_EQ(lines_of(trace()), std::vector<std::string>{}) << warm.err;
    expect_all_cached(warm, kTwoPlatforms);
    EXPECT_EQ(lines_starting(warm.err, fmt::format("cache: {} entries restored from {} (", 2 * per_shard, ref)).size(),
              1u)
        << warm.err;
  }
}

// Drops and 503s while uploading: on every request, the run succeeds, uploads nothing and says
// why; on most of them (retried), the run succeeds, and whatever reached the registry restores
// correctly on another machine.
TEST_F(RegistryCacheRun, FaultsDuringUploadNeverFailTheRunNorLeaveACorruptEntry) {
  const std::string config = traced(kTwoPlatformConfig, trace());
  Machine a = make_machine(scratch_, "a", config);
  int port = start_proxy(100, 100000, 0);
  std::string via_proxy = "127.0.0.1:" + std::to_string(port) + "/team/faulty";
  ReportedRun refused = a.run({"--cache-to", via_proxy + ",mode=max"});
  stop_proxy();
  ASSERT_EQ(refused.exit_code, 0) << refused.err;
  EXPECT_EQ(lines_starting(refused.err, "cache: 0 entries uploaded to " + via_proxy + " (").size(), 1u) << refused.err;
  EXPECT_FALSE(lines_starting(refused.err, "xbuild: warning: registry cache " + via_proxy + ": ").empty())
      << refused.err;
  EXPECT_EQ(stored_tags(scratch_ / "registry", "team/faulty"), std::set<std::string>{});

  Machine b = make_machine(scratch_, "b", config);
  port = start_proxy(50, 1000, 0);
  via_proxy = "127.0.0.1:" + std::to_string(port) + "/team/faulty";
  ReportedRun cold = b.run({"--cache-to", via_proxy + ",mode=max"});
  stop_proxy();
  ASSERT_EQ(cold.exit_code, 0) << cold.err;
  EXPECT_EQ(lines_starting(cold.err, "cache: ").size(), 1u) << cold.err;
  EXPECT_NE(read_file(proxy_log_).value().find("fault "), std::string::npos);
  EXPECT_EQ(cold.index_digest(), refused.index_digest());

  Machine c = make_machine(scratch_, "c", config);
  clear_trace();
  ReportedRun warm = c.run({"--cache-from", cache("team/faulty")});
  ASSERT_EQ(warm.exit_code, 0) << warm.err;
  EXPECT_EQ(warm.index_digest(), cold.index_digest()) << warm.err;
  std::vector<std::string> ran = lines_of(trace());
  for (const std::string& platform : kTwoPlatforms) {
    json stages = warm.platform(platform)["stages"];
    for (const std::string stage : {"build", "test"}) {
      bool did_run = std::count(ran.begin(), ran.end(), platform + " " + stage) > 0;
      EXPECT_EQ(stages[stage], did_run ? "ok" : "cached") << platform << " " << stage;
    }
  }
}

// Every request answered 503 or dropped, then every blob cut off after 1000 bytes, while
// downloading: the run is cold, correct and warned about; nothing half fetched is restored.
TEST_F(RegistryCacheRun, FaultsDuringDownloadMeanAColdCorrectRunWithAWarning) {
  const std::string config = traced(kTwoPlatformConfig, trace());
  Machine a = make_machine(scratch_, "a", config);
  const std::string ref = cache("team/download");
  ReportedRun cold = a.run({"--cache-to", ref});
  ASSERT_EQ(cold.exit_code, 0) << cold.err;

  for (const auto& [percent, cut] : std::vector<std::pair<int, int>>{{100, 0}, {0, 1000}}) {
    SCOPED_TRACE(fmt::format("{}% faults, cut after {} bytes", percent, cut));
    int port = start_proxy(percent, 100000, cut);
    const std::string via_proxy = "127.0.0.1:" + std::to_string(port) + "/team/download";
    Machine b = make_machine(scratch_, "b" + std::to_string(port), config);
    clear_trace();
    ReportedRun faulty = b.run({"--cache-from", via_proxy});
    stop_proxy();
    ASSERT_EQ(faulty.exit_code, 0) << faulty.err;
    EXPECT_EQ(lines_of(trace()), (std::vector<std::string>{"linux/amd64 build", "linux/amd64 test", "linux/arm64 build",
                                                           "linux/arm64 test"}))
        << faulty.err;
    EXPECT_EQ(lines_starting(faulty.err, "cache: 0 entries restored from " + via_proxy + " (").size(), 1u)
        << faulty.err;
    EXPECT_FALSE(lines_starting(faulty.err, "xbuild: warning: registry cache " + via_proxy + ": ").empty())
        << faulty.err;
    EXPECT_EQ(faulty.index_digest(), cold.index_digest());
  }
}

// A blob changed in the registry's storage (same size, one byte flipped) is caught by its
// digest: that platform runs, the other is restored, and the index is the right one.
TEST_F(RegistryCacheRun, ATamperedBlobIsDetectedAndNotRestored) {
  const std::string config = traced(kTwoPlatformConfig, trace());
  Machine a = make_machine(scratch_, "a", config);
  const std::string ref = cache("team/tampered");
  ReportedRun cold = a.run({"--cache-to", ref});
  ASSERT_EQ(cold.exit_code, 0) << cold.err;

  std::string binary = read_file(a.project / ".xbuild/out/linux-arm64/hello").value();
  Result<std::string> digest = sha256_file(a.project / ".xbuild/out/linux-arm64/hello");
  ASSERT_TRUE(digest.ok());
  fs::path data = blob_data(scratch_ / "registry", digest.value().substr(7));
  ASSERT_TRUE(fs::exists(data)) << data;
  binary[binary.size() / 2] ^= 0x55;
  ASSERT_TRUE(write_file_atomic(data, binary).ok());

  Machine b = make_machine(scratch_, "b", config);
  clear_trace();
  ReportedRun warm = b.run({"--cache-from", ref});
  ASSERT_EQ(warm.exit_code, 0) << warm.err;
  EXPECT_EQ(lines_of(trace()), (std::vector<std::string>{"linux/arm64 build", "linux/arm64 test"})) << warm.err;
  EXPECT_EQ(warm.platform("linux/amd64")["stages"], json({{"build", "cached"}, {"test", "cached"}}));
  EXPECT_EQ(lines_starting(warm.err, "cache: 1 entry restored from " + ref + " (").size(), 1u) << warm.err;
  EXPECT_FALSE(lines_starting(warm.err, "xbuild: warning: registry cache " + ref + ": ").empty()) << warm.err;
  EXPECT_EQ(warm.index_digest(), cold.index_digest());
  EXPECT_EQ(read_file(b.project / ".xbuild/out/linux-arm64/hello").value(),
            read_file(a.project / ".xbuild/out/linux-arm64/hello").value());
}

}  // namespace
}  // namespace xb::testing

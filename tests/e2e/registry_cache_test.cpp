// The stage cache shared through a real registry (Debian's docker-registry on 127.0.0.1): a real
// run stores entries in one cache directory, `xbuild cache push` copies them to the registry,
// `xbuild cache pull` into an empty second directory, which then holds the same bytes. An
// entry's manifest is read back with skopeo; a blob rewritten in the registry's storage and a
// transfer reset by tests/e2e/fault_proxy.py each leave their entry out whole.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "e2e/e2e_support.h"
#include "support/registry_fixture.h"
#include "util/fs.h"

namespace xb::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Every file under `dir` by its relative path, with its content.
std::map<std::string, std::string> files_under(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const fs::directory_entry& entry : fs::recursive_directory_iterator(dir))
    if (entry.is_regular_file()) files[entry.path().lexically_relative(dir).string()] = read_file(entry.path()).value();
  return files;
}

std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code error;
  for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error))
    names.push_back(it->path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

class RegistryCacheE2E : public ::testing::Test {
 protected:
  // One real run of the example for linux/amd64 alone stores the entries every test pushes.
  static void SetUpTestSuite() {
    scratch_ = std::make_unique<ScratchDir>();
    if (!missing_tools({"docker-registry", "skopeo", "python3", "make", "gcc"}).empty()) return;
    fs::path project = copy_example("hello", scratch_->path() / "hello");
    std::string config = read_file(project / "xbuild.toml").value();
    std::size_t platforms = config.find("platforms = [");
    config.replace(platforms, config.find('\n', platforms) - platforms, "platforms = [\"linux/amd64\"]");
    std::ofstream(project / "xbuild.toml") << config;
    stored_ =
        xbuild({"run", "--cache-dir", cache_a().string(), "-o", "oci:" + (scratch_->path() / "out").string()}, project);
  }
  static void TearDownTestSuite() { scratch_.reset(); }
  void SetUp() override {
    XB_REQUIRE_TOOLS("docker-registry", "skopeo", "python3", "make", "gcc");
    ASSERT_EQ(stored_.exit_code, 0) << stored_.out << stored_.err;
    registry_ = std::make_unique<LocalRegistry>(scratch.path() / "registry");
    ASSERT_TRUE(registry_->ok()) << registry_->error();
  }
  void TearDown() override { registry_.reset(); }

  static fs::path cache_a() { return scratch_->path() / "cache-a"; }
  // The entries of the run: build's holds the binary and its log, test's only its (empty) log.
  static json listing(const fs::path& cache) {
    CommandResult info = xbuild({"cache", "info", "--cache-dir", cache.string(), "--json"});
    EXPECT_EQ(info.exit_code, 0) << info.err;
    return json::parse(info.out, nullptr, false);
  }
  // The largest object of cache A: the binary.
  static std::string binary_hex() {
    std::string largest;
    std::uintmax_t size = 0;
    for (const fs::directory_entry& entry : fs::directory_iterator(cache_a() / "objects"))
      if (entry.file_size() > size) {
        size = entry.file_size();
        largest = entry.path().filename().string();
      }
    return largest;
  }
  // The key of the entry that names `hex`.
  static std::string key_naming(const std::string& hex) {
    for (const fs::directory_entry& entry : fs::directory_iterator(cache_a() / "entries"))
      if (read_file(entry.path()).value().find(hex) != std::string::npos)
        return "sha256:" + entry.path().filename().string();
    return "";
  }
  std::string push(const std::string& repository) {
    std::string ref = registry_->host() + "/" + repository;
    CommandResult pushed = xbuild({"cache", "push", ref, "--cache-dir", cache_a().string()});
    EXPECT_EQ(pushed.exit_code, 0) << pushed.err;
    EXPECT_EQ(pushed.err, "");
    return ref;
  }

  static std::unique_ptr<ScratchDir> scratch_;
  static CommandResult stored_;
  ScratchDir scratch;
  std::unique_ptr<LocalRegistry> registry_;
};

std::unique_ptr<ScratchDir> RegistryCacheE2E::scratch_;
CommandResult RegistryCacheE2E::stored_;

TEST_F(RegistryCacheE2E, PushThenPullIntoAnEmptyCacheHoldsTheSameBytes) {
  json entries = listing(cache_a());
  ASSERT_EQ(entries["entries"], 2) << entries.dump();
  std::string ref = registry_->host() + "/team/cache";
  CommandResult pushed = xbuild({"cache", "push", ref, "--cache-dir", cache_a().string()});
  ASSERT_EQ(pushed.exit_code, 0) << pushed.err;
  EXPECT_EQ(pushed.err, "");
  // Two entry texts, three objects (the binary and two logs), the empty config.
  EXPECT_EQ(pushed.out.rfind("xbuild: pushed 2 of 2 cache entries to " + ref + " (6 blobs uploaded, ", 0), 0u)
      << pushed.out;
  CommandResult again = xbuild({"cache", "push", ref, "--cache-dir", cache_a().string()});
  EXPECT_EQ(again.out.rfind("xbuild: pushed 2 of 2 cache entries to " + ref + " (0 blobs uploaded, 0 B, in ", 0), 0u)
      << again.out;

  fs::path cache_b = scratch.path() / "cache-b";
  CommandResult pulled = xbuild({"cache", "pull", ref, "--cache-dir", cache_b.string()});
  ASSERT_EQ(pulled.exit_code, 0) << pulled.err;
  EXPECT_EQ(pulled.err, "");
  EXPECT_EQ(pulled.out.rfind("xbuild: pulled 2 cache entries from " + ref + " (5 blobs, ", 0), 0u) << pulled.out;
  EXPECT_NE(pulled.out.find(" s); 0 already here\n"), std::string::npos) << pulled.out;
  EXPECT_EQ(files_under(cache_b / "entries"), files_under(cache_a() / "entries"));
  EXPECT_EQ(files_under(cache_b / "objects"), files_under(cache_a() / "objects"));
  EXPECT_EQ(names_in(cache_b), (std::vector<std::string>{"entries", "lock", "objects"}));

  CommandResult nothing = xbuild({"cache", "pull", ref, "--cache-dir", cache_b.string()});
  EXPECT_EQ(nothing.exit_code, 0) << nothing.err;
  EXPECT_EQ(nothing.out.rfind("xbuild: pulled 0 cache entries from " + ref + " (0 blobs, 0 B, in ", 0), 0u)
      << nothing.out;
  EXPECT_NE(nothing.out.find(" s); 2 already here\n"), std::string::npos) << nothing.out;

  // cache info: the totals, then a row per entry with its key's first 12 hex digits.
  json listed = listing(cache_b);
  ASSERT_EQ(listed["list"].size(), 2u) << listed.dump();
  CommandResult info = xbuild({"cache", "info", "--cache-dir", cache_b.string()});
  EXPECT_EQ(info.exit_code, 0) << info.err;
  EXPECT_EQ(info.out.rfind("cache: " + cache_b.string() + "\nentries: 2\nobjects: 3\nsize: ", 0), 0u) << info.out;
  EXPECT_NE(info.out.find("\n  PLATFORM     STAGE  KEY           SIZE"), std::string::npos) << info.out;
  json listed_a = listing(cache_a());
  for (std::size_t index = 0; index < 2; ++index) {
    std::string key = listed["list"][index]["key"];
    EXPECT_EQ(key, listed_a["list"][index]["key"]);
    EXPECT_EQ(listed["list"][index]["bytes"], listed_a["list"][index]["bytes"]);
    std::string stage = listed["list"][index]["stage"];
    EXPECT_NE(
        info.out.find("\n  linux/amd64  " + stage + std::string(7 - stage.size(), ' ') + key.substr(7, 12) + "  "),
        std::string::npos)
        << info.out;
  }
  std::vector<std::string> stages = {listed["list"][0]["stage"], listed["list"][1]["stage"]};
  std::sort(stages.begin(), stages.end());
  EXPECT_EQ(stages, (std::vector<std::string>{"build", "test"}));

  // skopeo reads an entry's manifest: an artifact of the entry's key.
  std::string key = listed["list"][0]["key"];
  CommandResult raw =
      run({"skopeo", "inspect", "--raw", "--tls-verify=false", "docker://" + ref + ":xb-" + key.substr(7)});
  ASSERT_EQ(raw.exit_code, 0) << raw.err;
  json manifest = json::parse(raw.out);
  EXPECT_EQ(manifest["artifactType"], "application/vnd.xbuild.cache.entry.v1");
  EXPECT_EQ(manifest["mediaType"], "application/vnd.oci.image.manifest.v1+json");
  EXPECT_EQ(manifest["config"]["mediaType"], "application/vnd.oci.empty.v1+json");
  EXPECT_EQ(manifest["config"]["size"], 2);
  EXPECT_EQ(manifest["annotations"]["dev.xbuild.cache.key"], key);
  EXPECT_EQ(manifest["annotations"]["dev.xbuild.cache.platform"], "linux/amd64");
  EXPECT_EQ(manifest["annotations"]["dev.xbuild.cache.stage"], listed["list"][0]["stage"]);
  EXPECT_TRUE(manifest["annotations"].contains("dev.xbuild.cache.seconds"));
  EXPECT_EQ(manifest["layers"][0]["mediaType"], "application/vnd.xbuild.cache.entry.v1+text");
  for (std::size_t index = 1; index < manifest["layers"].size(); ++index)
    EXPECT_EQ(manifest["layers"][index]["mediaType"], "application/octet-stream");
}

TEST_F(RegistryCacheE2E, ABlobRewrittenInTheRegistrysStorageLeavesItsEntryOut) {
  std::string ref = push("team/tampered");
  std::string hex = binary_hex();
  fs::path data = scratch.path() / "registry" / "storage" / "docker" / "registry" / "v2" / "blobs" / "sha256" /
                  hex.substr(0, 2) / hex / "data";
  ASSERT_TRUE(fs::exists(data)) << data;
  std::string content = read_file(data).value();
  content[content.size() / 2] ^= 0x20;
  ASSERT_TRUE(write_file_atomic(data, content).ok());

  fs::path cache_c = scratch.path() / "cache-c";
  CommandResult pulled = xbuild({"cache", "pull", ref, "--cache-dir", cache_c.string()});
  EXPECT_EQ(pulled.exit_code, 1);
  std::string key = key_naming(hex);
  EXPECT_EQ(pulled.err, "xbuild: warning: registry cache " + ref + ": entry xb-" + key.substr(7) +
                            " (linux/amd64 build) not used: cannot get " + ref + "@sha256:" + hex +
                            ": the downloaded content does not match its digest and size (" +
                            std::to_string(content.size()) + " bytes)\nxbuild: error: cache pull from " + ref +
                            " did not copy every entry (the warnings above say why); run it again once the registry "
                            "answers, or check the ref and --insecure-registry\n");
  EXPECT_EQ(pulled.out.rfind("xbuild: pulled 1 cache entry from " + ref, 0), 0u) << pulled.out;
  EXPECT_FALSE(fs::exists(cache_c / "entries" / key.substr(7)));
  EXPECT_FALSE(fs::exists(cache_c / "objects" / hex));
  EXPECT_EQ(names_in(cache_c / "entries").size(), 1u) << "the other entry is whole, so it is in";
  EXPECT_EQ(names_in(cache_c / "objects").size(), 1u) << "the tampered entry's log is not in either";
  EXPECT_EQ(names_in(cache_c), (std::vector<std::string>{"entries", "lock", "objects"}));
}

TEST_F(RegistryCacheE2E, AResetDuringAPullLeavesThatEntryOutAndSaysWhy) {
  std::string ref = push("team/reset");
  int port = free_port();
  pid_t proxy = spawn_background({"python3", (source_root() / "tests" / "e2e" / "fault_proxy.py").string(),
                                  std::to_string(port), std::to_string(registry_->port()), "1", "0", "0", "100000"},
                                 scratch.path() / "proxy.log");
  ASSERT_TRUE(wait_for_port(port, 10));
  std::string via_proxy = "127.0.0.1:" + std::to_string(port) + "/team/reset";
  fs::path cache_d = scratch.path() / "cache-d";
  CommandResult pulled = xbuild({"cache", "pull", via_proxy, "--cache-dir", cache_d.string()});
  stop_background(proxy);
  EXPECT_EQ(pulled.exit_code, 1);
  std::string hex = binary_hex();
  std::string key = key_naming(hex);
  EXPECT_EQ(pulled.err, "xbuild: warning: registry cache " + via_proxy + ": entry xb-" + key.substr(7) +
                            " (linux/amd64 build) not used: cannot get " + via_proxy + "@sha256:" + hex +
                            ": the connection closed after 100000 of " +
                            std::to_string(fs::file_size(cache_a() / "objects" / hex)) +
                            " bytes (6 attempts)\nxbuild: error: cache pull from " + via_proxy +
                            " did not copy every entry (the warnings above say why); run it again once the registry "
                            "answers, or check the ref and --insecure-registry\n");
  EXPECT_NE(read_file(scratch.path() / "proxy.log").value().find("fault cut"), std::string::npos);
  EXPECT_FALSE(fs::exists(cache_d / "entries" / key.substr(7)));
  EXPECT_FALSE(fs::exists(cache_d / "objects" / hex));
  EXPECT_EQ(names_in(cache_d), (std::vector<std::string>{"entries", "lock", "objects"}));
}

TEST_F(RegistryCacheE2E, AnUnreachableRegistryOrARefWithATagIsAnError) {
  std::string dead = "127.0.0.1:" + std::to_string(free_port()) + "/team/cache";
  fs::path cache_e = scratch.path() / "cache-e";
  CommandResult pulled = xbuild({"cache", "pull", dead, "--cache-dir", cache_e.string()});
  EXPECT_EQ(pulled.exit_code, 1);
  EXPECT_EQ(
      pulled.err.rfind(
          "xbuild: error: cannot read the registry cache " + dead + ": cannot list the tags of " + dead + ": ", 0),
      0u)
      << pulled.err;
  EXPECT_NE(pulled.err.find(
                "\n  check that the registry runs and the ref is right (plain http needs --insecure-registry HOST)\n"),
            std::string::npos)
      << pulled.err;
  EXPECT_FALSE(fs::exists(cache_e / "entries"));

  CommandResult tagged = xbuild({"cache", "push", registry_->host() + "/team/cache:nightly"});
  EXPECT_EQ(tagged.exit_code, 2);
  EXPECT_EQ(tagged.err, "xbuild: error: invalid cache ref \"" + registry_->host() +
                            "/team/cache:nightly\": a cache is a repository, not a tag (xbuild tags each entry "
                            "itself); write " +
                            registry_->host() + "/team/cache\n");
}

}  // namespace
}  // namespace xb::testing

// What a registry operation says when the world fails under it, end to end with the real
// binary: a full disk (a 1 MiB tmpfs) under a pull and under the cache, a transfer cut short
// (tests/e2e/fault_proxy.py with CUT), a registry that accepts and stays silent, one whose
// port drops every packet (an iptables DROP rule on 127.0.0.1), and a reference typed with
// credentials. Each message is asserted by its exact text; timeouts by the time they take.
#include <gtest/gtest.h>
#include <sys/mount.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "e2e/e2e_support.h"
#include "e2e/layout_json.h"
#include "support/registry_fixture.h"
#include "util/fs.h"

namespace xb::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// One platform, no compiler: a 3 MB random file, so its gzip layer stays 3 MB.
const char* const kBigConfig = R"([project]
name = "big"
version = "1.0.0"

[targets]
platforms = ["linux/amd64"]

[stage.build]
run = 'head -c 3000000 /dev/urandom > "$XBUILD_OUT/big"'
inputs = []

[image]
name = "REGISTRY/messages/big"
tags = ["1"]
copy = [{ from = "big", to = "/big" }]
)";

std::string slurp(const fs::path& path) {
  Result<std::string> content = read_file(path);
  return content.ok() ? content.value() : std::string();
}

double seconds_of(const std::function<void()>& work) {
  auto started = std::chrono::steady_clock::now();
  work();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
}

// A 1 MiB tmpfs at `path`, unmounted when the object goes.
class SmallTmpfs {
 public:
  explicit SmallTmpfs(const fs::path& path) : path_(path) {
    fs::create_directories(path);
    mounted_ = ::mount("tmpfs", path.c_str(), "tmpfs", 0, "size=1m") == 0;
  }
  ~SmallTmpfs() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }

 private:
  fs::path path_;
  bool mounted_ = false;
};

// An iptables rule dropping every packet to 127.0.0.1:port, removed when the object goes.
class DropRule {
 public:
  explicit DropRule(int port) : rule_{"-p", "tcp", "-d", "127.0.0.1", "--dport", std::to_string(port), "-j", "DROP"} {
    std::vector<std::string> insert = {"iptables", "-I", "INPUT"};
    insert.insert(insert.end(), rule_.begin(), rule_.end());
    CommandResult added = run(insert);
    added_ = added.exit_code == 0;
    error_ = added.err;
  }
  ~DropRule() {
    if (!added_) return;
    std::vector<std::string> remove = {"iptables", "-D", "INPUT"};
    remove.insert(remove.end(), rule_.begin(), rule_.end());
    run(remove);
  }
  bool added() const { return added_; }
  const std::string& error() const { return error_; }

 private:
  std::vector<std::string> rule_;
  bool added_ = false;
  std::string error_;
};

// A server that accepts every connection and never sends a byte.
const char* const kSilentServer = R"(import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(64)
held = []
while True:
    held.append(s.accept()[0])
)";

class RegistryMessagesE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    scratch_ = std::make_unique<ScratchDir>();
    if (!missing_tools({"docker-registry", "python3"}).empty()) return;
    registry_ = std::make_unique<LocalRegistry>(scratch_->path() / "registry");
    if (!registry_->ok()) return;
    project_ = scratch_->path() / "big";
    fs::create_directories(project_);
    std::string config = kBigConfig;
    config.replace(config.find("REGISTRY"), 8, registry_->host());
    std::ofstream(project_ / "xbuild.toml") << config;
    layout_ = scratch_->path() / "layout";
    pushed_ = xbuild({"run", "--push", "--progress", "plain", "-o", "oci:" + layout_.string()}, project_);
  }
  static void TearDownTestSuite() {
    registry_.reset();
    scratch_.reset();
  }
  void SetUp() override {
    XB_REQUIRE_TOOLS("docker-registry", "python3");
    ASSERT_TRUE(registry_->ok()) << registry_->error();
    ASSERT_EQ(pushed_.exit_code, 0) << pushed_.out << pushed_.err;
  }

  static std::string ref() { return registry_->host() + "/messages/big:1"; }
  // The image's one layer: its digest and size.
  static json layer() {
    json index = layout_image_index(layout_);
    json manifest = layout_blob_json(layout_, index["manifests"][0]["digest"]);
    return manifest["layers"][0];
  }

  static inline std::unique_ptr<ScratchDir> scratch_;
  static inline std::unique_ptr<LocalRegistry> registry_;
  static inline fs::path project_, layout_;
  static inline CommandResult pushed_;
};

TEST_F(RegistryMessagesE2E, APullOntoAFullDiskSaysSoWithThePathAndLeavesNothing) {
  XB_REQUIRE_ROOT("to mount a tmpfs");
  ScratchDir scratch;
  SmallTmpfs full(scratch.path() / "full");
  ASSERT_TRUE(full.mounted());
  CommandResult pulled =
      xbuild({"pull", ref(), "--platform", "linux/amd64", "-o", "oci:" + (scratch.path() / "full" / "p").string()});
  EXPECT_EQ(pulled.exit_code, 1);
  std::string digest = layer()["digest"];
  std::string prefix = "xbuild: error: cannot get " + registry_->host() + "/messages/big@" + digest + ": writing " +
                       (scratch.path() / "full").string() + "/";
  std::string suffix = "/blobs/sha256/" + digest.substr(7) + ".partial: No space left on device\n";
  EXPECT_EQ(pulled.err.rfind(prefix, 0), 0u) << pulled.err;
  ASSERT_GE(pulled.err.size(), suffix.size());
  EXPECT_EQ(pulled.err.substr(pulled.err.size() - suffix.size()), suffix) << pulled.err;
  EXPECT_EQ(pulled.err.find("Failure writing output"), std::string::npos);
  EXPECT_EQ(snapshot_tree(scratch.path() / "full"), "");
}

TEST_F(RegistryMessagesE2E, ACacheOnAFullDiskSaysNoSpaceNotAnIoError) {
  XB_REQUIRE_ROOT("to mount a tmpfs");
  ScratchDir scratch;
  SmallTmpfs full(scratch.path() / "cache");
  ASSERT_TRUE(full.mounted());
  CommandResult built = xbuild({"run", "--progress", "plain", "--state-dir", (scratch.path() / "state").string()},
                               project_, {{"XBUILD_CACHE_DIR", (scratch.path() / "cache").string()}});
  EXPECT_EQ(built.exit_code, 0) << built.err;
  std::string objects = (scratch.path() / "cache" / "objects").string();
  std::string prefix = "xbuild: warning: cannot store " +
                       (scratch.path() / "state" / "out" / "linux-amd64" / "big").string() + " in the cache " +
                       (scratch.path() / "cache").string() + ": cannot write " + objects + "/.";
  std::size_t warning = built.err.find(prefix);
  ASSERT_NE(warning, std::string::npos) << built.err;
  std::string line = built.err.substr(warning, built.err.find('\n', warning) - warning);
  std::string suffix = ": No space left on device; the next run runs linux/amd64 build again";
  ASSERT_GE(line.size(), suffix.size());
  EXPECT_EQ(line.substr(line.size() - suffix.size()), suffix) << line;
  EXPECT_EQ(built.err.find("Input/output error"), std::string::npos) << built.err;
  EXPECT_TRUE(fs::is_empty(objects)) << snapshot_tree(objects);  // the partial object is gone
}

TEST_F(RegistryMessagesE2E, ATransferCutShortSaysAfterHowManyBytesOfWhichBlob) {
  ScratchDir scratch;
  int port = free_port();
  pid_t proxy = spawn_background({"python3", (source_root() / "tests" / "e2e" / "fault_proxy.py").string(),
                                  std::to_string(port), std::to_string(registry_->port()), "1", "0", "0", "100000"},
                                 scratch.path() / "proxy.log");
  ASSERT_TRUE(wait_for_port(port, 10));
  std::string via_proxy = "127.0.0.1:" + std::to_string(port) + "/messages/big";
  CommandResult pulled =
      xbuild({"pull", via_proxy + ":1", "--platform", "linux/amd64", "-o", "oci:" + (scratch.path() / "p").string()});
  stop_background(proxy);
  EXPECT_EQ(pulled.exit_code, 1);
  EXPECT_EQ(pulled.err, "xbuild: error: cannot get " + via_proxy + "@" + layer()["digest"].get<std::string>() +
                            ": the connection closed after 100000 of " +
                            std::to_string(layer()["size"].get<std::int64_t>()) + " bytes (6 attempts)\n");
  EXPECT_NE(slurp(scratch.path() / "proxy.log").find("fault cut"), std::string::npos);
  EXPECT_FALSE(fs::exists(scratch.path() / "p"));
}

TEST_F(RegistryMessagesE2E, ASilentRegistryFailsWithinItsTimeoutNamingHowToChangeIt) {
  ScratchDir scratch;
  int port = free_port();
  pid_t silent = spawn_background({"python3", "-c", kSilentServer, std::to_string(port)}, scratch.path() / "log");
  ASSERT_TRUE(wait_for_port(port, 10));
  std::string host = "127.0.0.1:" + std::to_string(port);
  CommandResult pulled;
  double seconds = seconds_of([&] {
    pulled =
        xbuild({"pull", host + "/x/y:1", "-o", "oci:" + (scratch.path() / "p").string(), "--registry-timeout", "2"});
  });
  EXPECT_EQ(pulled.exit_code, 1);
  EXPECT_EQ(pulled.err, "xbuild: error: cannot get " + host +
                            "/x/y:1: no answer within 2 s (2 attempts); wait longer with --registry-timeout SECONDS "
                            "or XBUILD_REGISTRY_TIMEOUT\n");
  EXPECT_GE(seconds, 4.0);
  EXPECT_LT(seconds, 8.0);

  // run --push to it, the timeout from the environment: the first HEAD gives up as soon.
  ScratchDir project;
  std::string config = slurp(project_ / "xbuild.toml");
  config.replace(config.find(registry_->host()), registry_->host().size(), host);
  std::ofstream(project.path() / "xbuild.toml") << config;
  CommandResult pushed;
  seconds = seconds_of([&] {
    pushed = xbuild({"run", "--push", "--progress", "plain"}, project.path(), {{"XBUILD_REGISTRY_TIMEOUT", "2"}});
  });
  stop_background(silent);
  EXPECT_EQ(pushed.exit_code, 1);
  EXPECT_NE(pushed.err.find("xbuild: error: cannot check " + host + "/messages/big@sha256:"), std::string::npos)
      << pushed.err;
  EXPECT_NE(pushed.err.find(": no answer within 2 s (2 attempts); wait longer with --registry-timeout SECONDS or "
                            "XBUILD_REGISTRY_TIMEOUT\n"),
            std::string::npos)
      << pushed.err;
  EXPECT_LT(seconds, 12.0);
}

TEST_F(RegistryMessagesE2E, ABlackholedRegistryFailsWithinItsConnectTimeout) {
  XB_REQUIRE_ROOT("to add an iptables rule");
  XB_REQUIRE_TOOLS("iptables");
  ScratchDir scratch;
  int port = free_port();
  DropRule drop(port);
  ASSERT_TRUE(drop.added()) << drop.error();
  std::string host = "127.0.0.1:" + std::to_string(port);
  CommandResult pulled;
  double seconds = seconds_of([&] {
    pulled = xbuild({"pull", host + "/x/y:1", "-o", "oci:" + (scratch.path() / "p").string()}, {},
                    {{"XBUILD_REGISTRY_CONNECT_TIMEOUT", "2"}});
  });
  EXPECT_EQ(pulled.exit_code, 1);
  EXPECT_EQ(pulled.err, "xbuild: error: cannot get " + host +
                            "/x/y:1: no connection within 2 s (2 attempts); wait longer with "
                            "--registry-connect-timeout SECONDS or XBUILD_REGISTRY_CONNECT_TIMEOUT\n");
  EXPECT_GE(seconds, 4.0);
  EXPECT_LT(seconds, 8.0);
  EXPECT_FALSE(fs::exists(scratch.path() / "p"));
}

TEST_F(RegistryMessagesE2E, APasswordTypedInAReferenceIsNeverEchoed) {
  const std::string password = "Xb-pw-7c1e93";
  ScratchDir scratch;
  std::string host = registry_->host();
  std::vector<CommandResult> outputs;
  for (const std::string& typed : {"https://alice:" + password + "@" + host + "/messages/big:1",
                                   "alice:" + password + "@" + host + "/messages/big:1"}) {
    CommandResult pulled = xbuild({"pull", typed, "-o", "oci:" + (scratch.path() / "p").string()});
    EXPECT_EQ(pulled.exit_code, 2);
    std::string shown = typed.substr(0, typed.find(password)) + "***@" + host + "/messages/big:1";
    EXPECT_EQ(pulled.err, "xbuild: error: invalid image reference \"" + shown +
                              "\": a reference holds no credentials; remove \"alice:***@\" and give them with "
                              "`docker login " +
                              host + "` (docker's config.json and credential helpers are read)\n");
    outputs.push_back(pulled);
    outputs.push_back(xbuild({"push", "oci:" + layout_.string(), typed}));
    outputs.push_back(xbuild({"manifest", "inspect", typed}));
    outputs.push_back(xbuild({"manifest", "create", typed, ref(), "--dry-run"}));
    outputs.push_back(
        xbuild({"merge", "oci:" + layout_.string(), "-o", "oci:" + (scratch.path() / "m").string(), "--push", typed}));
  }
  // In the config: refused before anything runs, the metadata and JUnit files not written.
  ScratchDir project;
  std::string config = slurp(project_ / "xbuild.toml");
  config.replace(config.find(host), host.size(), "alice:" + password + "@" + host);
  std::ofstream(project.path() / "xbuild.toml") << config;
  CommandResult run_push =
      xbuild({"run", "--push", "--progress", "json", "--metadata-file", (project.path() / "meta.json").string(),
              "--junit", (project.path() / "junit.xml").string()},
             project.path());
  EXPECT_EQ(run_push.exit_code, 2) << run_push.err;
  outputs.push_back(run_push);
  for (const CommandResult& output : outputs) {
    EXPECT_NE(output.exit_code, 0);
    EXPECT_EQ(output.out.find(password), std::string::npos) << output.out;
    EXPECT_EQ(output.err.find(password), std::string::npos) << output.err;
  }
  for (const fs::path& root : {scratch.path(), project.path()}) {
    for (const fs::directory_entry& entry : fs::recursive_directory_iterator(root)) {
      if (entry.is_regular_file() && entry.path().filename() != "xbuild.toml") {
        EXPECT_EQ(slurp(entry.path()).find(password), std::string::npos) << entry.path();
      }
    }
  }
}

}  // namespace
}  // namespace xb::testing

// Registries end to end: examples/hello built and pushed with `xbuild run --push` to a real
// registry (Debian's docker-registry on 127.0.0.1), read back with skopeo, pulled per platform,
// combined with `manifest create`, behind Basic auth, and through a proxy that drops
// connections and answers 503 at random.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "e2e/e2e_support.h"
#include "e2e/layout_json.h"
#include "support/registry_fixture.h"
#include "util/fs.h"
#include "util/sha256.h"
#include "util/strings.h"

namespace xb::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::vector<std::string> kRegistryTools = {"docker-registry",
                                                 "htpasswd",
                                                 "skopeo",
                                                 "python3",
                                                 "make",
                                                 "x86_64-linux-gnu-gcc",
                                                 "aarch64-linux-gnu-gcc",
                                                 "arm-linux-gnueabihf-gcc",
                                                 "i686-linux-gnu-gcc",
                                                 "riscv64-linux-gnu-gcc",
                                                 "qemu-aarch64-static",
                                                 "qemu-arm-static",
                                                 "qemu-i386-static",
                                                 "qemu-riscv64-static"};

const std::vector<std::string> kPlatforms = {"linux/amd64", "linux/arm64", "linux/arm/v7", "linux/386",
                                             "linux/riscv64"};

std::string slurp(const fs::path& path) {
  Result<std::string> content = read_file(path);
  return content.ok() ? content.value() : std::string();
}

std::string pad_right(const std::string& text, std::size_t width) {
  return text + std::string(width - std::min(width, text.size()), ' ');
}
std::string pad_left(const std::string& text, std::size_t width) {
  return std::string(width - std::min(width, text.size()), ' ') + text;
}

// examples/hello built once, its image named after the test registry, pushed by run --push.
class RegistryE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    scratch_ = std::make_unique<ScratchDir>();
    if (!missing_tools({"docker-registry", "htpasswd", "skopeo", "python3"}).empty()) return;
    registry_ = std::make_unique<LocalRegistry>(scratch_->path() / "registry");
    if (!registry_->ok()) return;
    project_ = copy_example("hello", scratch_->path() / "hello");
    std::string config = slurp(project_ / "xbuild.toml");
    config.replace(config.find("localhost:5000"), 14, registry_->host());
    std::ofstream(project_ / "xbuild.toml") << config;
    layout_ = scratch_->path() / "layout";
    pushed_ = xbuild({"run", "xbuild.toml", "--push", "-o", "oci:" + layout_.string()}, project_);
  }
  static void TearDownTestSuite() {
    registry_.reset();
    scratch_.reset();
  }

  void SetUp() override {
    XB_REQUIRE_TOOLS(kRegistryTools);
    ASSERT_TRUE(registry_->ok()) << registry_->error();
    ASSERT_EQ(pushed_.exit_code, 0) << pushed_.out << pushed_.err;
  }

  static std::string host() { return registry_->host(); }
  static std::string ref() { return host() + "/examples/hello:1.0.0"; }
  static fs::path blob(const std::string& digest) { return layout_blob_path(layout_, digest); }
  static json index_json() { return json::parse(slurp(layout_ / "index.json")); }
  static std::string index_digest() { return index_json()["manifests"][0]["digest"]; }
  static json index() { return layout_image_index(layout_); }
  static std::string child_digest(const std::string& platform) {
    json entries = index()["manifests"];
    for (std::size_t i = 0; i < kPlatforms.size(); ++i)
      if (kPlatforms[i] == platform) return entries[i]["digest"];
    return "";
  }
  // Every config and layer of the five images, once each.
  static std::int64_t total_blob_bytes(int* count) {
    std::set<std::string> seen;
    std::int64_t bytes = 0;
    json top = index();
    for (const json& entry : top["manifests"]) {
      json manifest = json::parse(slurp(blob(entry["digest"])));
      std::vector<json> parts = manifest["layers"];
      parts.push_back(manifest["config"]);
      for (const json& part : parts)
        if (seen.insert(part["digest"].get<std::string>()).second) bytes += part["size"].get<std::int64_t>();
    }
    *count = static_cast<int>(seen.size());
    return bytes;
  }

  static std::string skopeo_raw(const std::string& reference) {
    CommandResult inspect = run({"skopeo", "inspect", "--raw", "--tls-verify=false", reference});
    EXPECT_EQ(inspect.exit_code, 0) << inspect.err;
    return inspect.out;
  }

  static inline std::unique_ptr<ScratchDir> scratch_;
  static inline std::unique_ptr<LocalRegistry> registry_;
  static inline fs::path project_, layout_;
  static inline CommandResult pushed_;
};

TEST_F(RegistryE2E, RunPushPushesEveryImageThenTheIndex) {
  int count = 0;
  std::int64_t bytes = total_blob_bytes(&count);
  EXPECT_EQ(count, 10);
  std::string expected = "xbuild: pushed " + ref() + " (" + index_digest() + ")\n  " + std::to_string(count) +
                         " blobs uploaded (" + std::to_string(bytes) + " bytes), 0 already there, 0 mounted\n";
  EXPECT_NE(pushed_.out.find(expected), std::string::npos) << pushed_.out;
  EXPECT_LT(pushed_.out.find(expected), pushed_.out.find("xbuild: built 5 platforms"));
}

TEST_F(RegistryE2E, SkopeoReadsBackExactlyWhatWasPushed) {
  EXPECT_EQ(skopeo_raw("docker://" + ref()), slurp(blob(index_digest())));
  for (const std::string& platform : kPlatforms) {
    std::string digest = child_digest(platform);
    EXPECT_EQ(skopeo_raw("docker://" + host() + "/examples/hello@" + digest), slurp(blob(digest))) << platform;
  }
}

TEST_F(RegistryE2E, SkopeoCopyBackKeepsEveryDigest) {
  ScratchDir copy;
  CommandResult copied = run({"skopeo", "copy", "--all", "--src-tls-verify=false", "docker://" + ref(),
                              "oci:" + (copy.path() / "back").string() + ":1.0.0"});
  ASSERT_EQ(copied.exit_code, 0) << copied.err;
  json back = json::parse(slurp(copy.path() / "back" / "index.json"));
  EXPECT_EQ(back["manifests"][0]["digest"], index_digest());
  for (const std::string& platform : kPlatforms) {
    std::string digest = child_digest(platform);
    EXPECT_EQ(sha256_file(copy.path() / "back" / "blobs" / "sha256" / digest.substr(7)).value(), digest) << platform;
  }
}

TEST_F(RegistryE2E, RepushSkipsEveryBlob) {
  CommandResult again = xbuild({"push", "oci:" + layout_.string(), ref()});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out, "xbuild: pushed " + ref() + " (" + index_digest() +
                           ")\n  0 blobs uploaded (0 bytes), 10 already there, 0 mounted\n");
  EXPECT_EQ(again.err, "");
}

TEST_F(RegistryE2E, PullsTheImageOfEachPlatformAndVerifiesIt) {
  ScratchDir pulls;
  const std::map<std::string, std::string> architectures = {{"linux/amd64", "amd64"},
                                                            {"linux/arm64", "arm64"},
                                                            {"linux/arm/v7", "arm"},
                                                            {"linux/386", "386"},
                                                            {"linux/riscv64", "riscv64"}};
  for (const std::string& platform : kPlatforms) {
    fs::path out = pulls.path() / ("pull-" + architectures.at(platform));
    CommandResult pulled = xbuild({"pull", ref(), "--platform", platform, "-o", "oci:" + out.string()});
    ASSERT_EQ(pulled.exit_code, 0) << pulled.err;
    std::string digest = child_digest(platform);
    EXPECT_EQ(pulled.out, "xbuild: pulled " + ref() + " for " + platform + " (" + digest +
                              ", 2 blobs verified) into oci:" + out.string() + "\n");
    EXPECT_EQ(skopeo_raw("oci:" + out.string()), slurp(blob(digest))) << platform;
    CommandResult config = run({"skopeo", "inspect", "--config", "oci:" + out.string()});
    ASSERT_EQ(config.exit_code, 0) << config.err;
    EXPECT_EQ(json::parse(config.out)["architecture"], architectures.at(platform));
  }
}

TEST_F(RegistryE2E, PullOfAPlatformTheIndexLacksListsWhatItOffers) {
  ScratchDir pulls;
  fs::path out = pulls.path() / "s390x";
  CommandResult pulled = xbuild({"pull", ref(), "--platform", "linux/s390x", "-o", "oci:" + out.string()});
  EXPECT_EQ(pulled.exit_code, 1);
  EXPECT_EQ(pulled.out, "");
  EXPECT_EQ(pulled.err, "xbuild: error: no image for linux/s390x in " + ref() +
                            "; the index offers: linux/amd64, linux/arm64, linux/arm/v7, linux/386, linux/riscv64\n"
                            "  pick one with --platform\n");
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(RegistryE2E, ManifestInspectShowsTheIndexAsATable) {
  CommandResult inspect = xbuild({"manifest", "inspect", ref()});
  ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
  std::string body = slurp(blob(index_digest()));
  std::string expected = ref() + "\n  media type  application/vnd.oci.image.index.v1+json\n  digest      " +
                         index_digest() + "\n  size        " + std::to_string(body.size()) + "\n";
  std::size_t size_width = 4;
  json top = index();
  for (const json& entry : top["manifests"])
    size_width = std::max(size_width, std::to_string(entry["size"].get<long>()).size());
  expected += "  " + pad_right("PLATFORM", 13) + "  " + pad_right("DIGEST", 71) + "  " + pad_left("SIZE", size_width) +
              "  MEDIA TYPE\n";
  for (std::size_t i = 0; i < kPlatforms.size(); ++i) {
    json entry = index()["manifests"][i];
    expected += "  " + pad_right(kPlatforms[i], 13) + "  " + entry["digest"].get<std::string>() + "  " +
                pad_left(std::to_string(entry["size"].get<long>()), size_width) +
                "  application/vnd.oci.image.manifest.v1+json\n";
  }
  EXPECT_EQ(inspect.out, expected);
  // The layout reads the same.
  CommandResult local = xbuild({"manifest", "inspect", "oci:" + layout_.string()});
  ASSERT_EQ(local.exit_code, 0) << local.err;
  EXPECT_EQ(local.out.substr(local.out.find('\n')), expected.substr(expected.find('\n')));

  CommandResult raw = xbuild({"manifest", "inspect", "--raw", ref()});
  ASSERT_EQ(raw.exit_code, 0) << raw.err;
  EXPECT_EQ(raw.out, body + "\n");
}

TEST_F(RegistryE2E, ManifestCreateFromPerArchitecturePushes) {
  ScratchDir work;
  std::vector<std::string> sources;
  for (const std::string arch : {"amd64", "arm64"}) {
    fs::path out = work.path() / arch;
    ASSERT_EQ(
        xbuild({"pull", ref(), "--platform", "linux/" + std::string(arch), "-o", "oci:" + out.string()}).exit_code, 0);
    std::string solo = host() + "/solo/hello-" + arch + ":1";
    CommandResult pushed = xbuild({"push", "oci:" + out.string(), solo});
    ASSERT_EQ(pushed.exit_code, 0) << pushed.err;
    sources.push_back(solo);
  }
  std::string target = host() + "/multi/hello:1";
  CommandResult dry = xbuild({"manifest", "create", target, sources[0], sources[1], "--dry-run"});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  json planned = json::parse(dry.out);
  EXPECT_EQ(planned["mediaType"], "application/vnd.oci.image.index.v1+json");
  ASSERT_EQ(planned["manifests"].size(), 2u);
  EXPECT_EQ(planned["manifests"][0]["digest"], child_digest("linux/amd64"));
  EXPECT_EQ(planned["manifests"][0]["platform"], json({{"architecture", "amd64"}, {"os", "linux"}}));
  EXPECT_EQ(planned["manifests"][1]["digest"], child_digest("linux/arm64"));
  EXPECT_EQ(planned["manifests"][1]["platform"], json({{"architecture", "arm64"}, {"os", "linux"}}));
  CommandResult absent = run({"skopeo", "inspect", "--raw", "--tls-verify=false", "docker://" + target});
  EXPECT_NE(absent.exit_code, 0) << "--dry-run pushed the index";

  CommandResult created = xbuild({"manifest", "create", target, sources[0], sources[1]});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  std::string body = dry.out.substr(0, dry.out.size() - 1);
  EXPECT_EQ(created.out, "xbuild: pushed index " + target + " (" + sha256_digest(body) +
                             ") with 2 platforms: linux/amd64, linux/arm64\n");
  EXPECT_EQ(skopeo_raw("docker://" + target), body);
  // Every child and blob was mounted into the index's repository: a full copy works.
  CommandResult copied = run({"skopeo", "copy", "--all", "--src-tls-verify=false", "docker://" + target,
                              "oci:" + (work.path() / "multi").string() + ":1"});
  EXPECT_EQ(copied.exit_code, 0) << copied.err;

  // A platform given explicitly wins over the config's; two images of one platform are refused.
  CommandResult twice = xbuild({"manifest", "create", target, sources[0], "linux/amd64=" + sources[1], "--dry-run"});
  EXPECT_EQ(twice.exit_code, 1);
  EXPECT_EQ(twice.err, "xbuild: error: both " + sources[0] + " and " + sources[1] +
                           " are linux/amd64 images; an index lists each platform once\n");
}

TEST_F(RegistryE2E, BadInputIsRefusedBeforeAnythingHappens) {
  CommandResult bad_ref = xbuild({"push", "oci:" + layout_.string(), host() + "/Upper/case"});
  EXPECT_EQ(bad_ref.exit_code, 2);
  EXPECT_EQ(bad_ref.err, "xbuild: error: invalid image reference \"" + host() +
                             "/Upper/case\": the repository \"Upper/case\" must be lowercase letters and digits, "
                             "separated by '/', '.', '_' or '-'\n");
  CommandResult bad_source = xbuild({"push", layout_.string(), ref()});
  EXPECT_EQ(bad_source.exit_code, 2);
  EXPECT_EQ(bad_source.err,
            "xbuild: error: the source \"" + layout_.string() + "\" is not an OCI layout; write oci:DIR\n");
  CommandResult no_layout = xbuild({"push", "oci:" + (project_ / "nope").string(), ref()});
  EXPECT_EQ(no_layout.exit_code, 1);
  EXPECT_EQ(no_layout.err, "xbuild: error: " + (project_ / "nope").string() +
                               " is not an OCI image layout (it has no oci-layout file)\n");

  std::string before = snapshot_tree(project_);
  CommandResult archive =
      xbuild({"run", "xbuild.toml", "--push", "-o", "oci-archive:" + (project_ / "x.tar").string()}, project_);
  EXPECT_EQ(archive.exit_code, 2);
  EXPECT_EQ(archive.err, "xbuild: error: --push pushes from an OCI layout, not from oci-archive:" +
                             (project_ / "x.tar").string() + "; use -o oci:DIR (or no -o)\n");
  EXPECT_EQ(snapshot_tree(project_), before);
}

TEST_F(RegistryE2E, BasicAuthWithDockerConfigAndThePasswordNeverShows) {
  ScratchDir auth;
  const std::string password = "Xb-s3cret-9f2e7c";
  LocalRegistry secured(auth.path() / "registry", RegistryUser{"alice", password});
  ASSERT_TRUE(secured.ok()) << secured.error();
  std::string target = secured.host() + "/private/hello:1.0.0";
  fs::path docker_config = auth.path() / "docker";
  fs::create_directories(docker_config);
  std::map<std::string, std::string> env = {{"DOCKER_CONFIG", docker_config.string()}};
  std::vector<CommandResult> outputs;

  CommandResult anonymous = xbuild({"push", "oci:" + layout_.string(), target}, {}, env);
  outputs.push_back(anonymous);
  EXPECT_EQ(anonymous.exit_code, 1);
  EXPECT_NE(anonymous.err.find(": the registry asks for credentials and none are configured for " + secured.host() +
                               " in " + (docker_config / "config.json").string() + "; run `docker login " +
                               secured.host() + "` or add them there\n"),
            std::string::npos)
      << anonymous.err;

  std::ofstream(docker_config / "config.json")
      << json({{"auths", {{secured.host(), {{"auth", "YWxpY2U6d3Jvbmc="}}}}}}).dump();  // alice:wrong
  CommandResult wrong = xbuild({"push", "oci:" + layout_.string(), target}, {}, env);
  outputs.push_back(wrong);
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_NE(wrong.err.find(": the registry refused the credentials for " + secured.host() + " from " +
                           (docker_config / "config.json").string()),
            std::string::npos)
      << wrong.err;

  std::ofstream(docker_config / "config.json")
      << json({{"auths", {{secured.host(), {{"username", "alice"}, {"password", password}}}}}}).dump();
  CommandResult pushed = xbuild({"push", "oci:" + layout_.string(), target}, {}, env);
  outputs.push_back(pushed);
  ASSERT_EQ(pushed.exit_code, 0) << pushed.err;
  EXPECT_EQ(pushed.out, "xbuild: pushed " + target + " (" + index_digest() + ")\n  10 blobs uploaded (" +
                            std::to_string([] {
                              int n;
                              return total_blob_bytes(&n);
                            }()) +
                            " bytes), 0 already there, 0 mounted\n");
  CommandResult pulled =
      xbuild({"pull", target, "--platform", "linux/arm64", "-o", "oci:" + (auth.path() / "p").string()}, {}, env);
  outputs.push_back(pulled);
  EXPECT_EQ(pulled.exit_code, 0) << pulled.err;
  CommandResult inspected = xbuild({"manifest", "inspect", target}, {}, env);
  outputs.push_back(inspected);
  EXPECT_EQ(inspected.exit_code, 0) << inspected.err;

  for (const CommandResult& output : outputs) {
    EXPECT_EQ(output.out.find(password), std::string::npos);
    EXPECT_EQ(output.err.find(password), std::string::npos);
    EXPECT_EQ(output.out.find("YWxpY2U6"), std::string::npos);  // base64 of "alice:"
    EXPECT_EQ(output.err.find("YWxpY2U6"), std::string::npos);
  }
}

TEST_F(RegistryE2E, PushAndPullThroughAProxyThatDropsConnectionsAndAnswers503) {
  ScratchDir faults;
  int port = free_port();
  pid_t proxy = spawn_background({"python3", (source_root() / "tests" / "e2e" / "fault_proxy.py").string(),
                                  std::to_string(port), std::to_string(registry_->port()), "7", "20", "12"},
                                 faults.path() / "proxy.log");
  ASSERT_TRUE(wait_for_port(port, 10));
  std::string via_proxy = "127.0.0.1:" + std::to_string(port) + "/faulty/hello:1.0.0";
  CommandResult pushed = xbuild({"push", "oci:" + layout_.string(), via_proxy});
  CommandResult pulled =
      xbuild({"pull", via_proxy, "--platform", "linux/riscv64", "-o", "oci:" + (faults.path() / "p").string()});
  stop_background(proxy);
  ASSERT_EQ(pushed.exit_code, 0) << pushed.err;
  ASSERT_EQ(pulled.exit_code, 0) << pulled.err;
  std::string log = slurp(faults.path() / "proxy.log");
  EXPECT_NE(log.find("fault drop"), std::string::npos) << log;
  EXPECT_NE(log.find("fault 503"), std::string::npos) << log;
  // Read back directly, not through the proxy: every document is byte-identical.
  std::string direct = "docker://" + host() + "/faulty/hello";
  EXPECT_EQ(skopeo_raw(direct + ":1.0.0"), slurp(blob(index_digest())));
  for (const std::string& platform : kPlatforms)
    EXPECT_EQ(skopeo_raw(direct + "@" + child_digest(platform)), slurp(blob(child_digest(platform))));
  CommandResult copied = run({"skopeo", "copy", "--all", "--src-tls-verify=false", direct + ":1.0.0",
                              "oci:" + (faults.path() / "copy").string() + ":x"});
  EXPECT_EQ(copied.exit_code, 0) << copied.err;
  EXPECT_EQ(skopeo_raw("oci:" + (faults.path() / "p").string()), slurp(blob(child_digest("linux/riscv64"))));
}

TEST_F(RegistryE2E, BearerTokensFromATokenServer) {
  XB_REQUIRE_TOOLS("openssl");  // in registry_deps of scripts/install-deps.sh
  ScratchDir auth;
  const std::string password = "Tk-s3cret-41d9";
  fs::path key = auth.path() / "key.pem", cert = auth.path() / "cert.pem";
  ASSERT_EQ(run({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key.string(), "-out",
                 cert.string(), "-subj", "/CN=xbuild-test-token", "-days", "2"})
                .exit_code,
            0);
  int token_port = free_port();
  pid_t token_server =
      spawn_background({"python3", (source_root() / "tests" / "e2e" / "token_server.py").string(),
                        std::to_string(token_port), key.string(), cert.string(), "xbuild-test-issuer", "bob", password},
                       auth.path() / "tokens.log");
  ASSERT_TRUE(wait_for_port(token_port, 10));
  std::string realm = "http://127.0.0.1:" + std::to_string(token_port) + "/token";
  std::vector<CommandResult> outputs;
  {
    LocalRegistry secured(auth.path() / "registry", std::nullopt,
                          RegistryTokenAuth{realm, "xbuild-test", "xbuild-test-issuer", cert});
    ASSERT_TRUE(secured.ok()) << secured.error();
    fs::path docker_config = auth.path() / "docker";
    fs::create_directories(docker_config);
    std::ofstream(docker_config / "config.json")
        << json({{"auths", {{secured.host(), {{"username", "bob"}, {"password", password}}}}}}).dump();
    std::map<std::string, std::string> env = {{"DOCKER_CONFIG", docker_config.string()}};
    std::string target = secured.host() + "/tokens/hello:1.0.0";
    CommandResult pushed = xbuild({"push", "oci:" + layout_.string(), target}, {}, env);
    outputs.push_back(pushed);
    ASSERT_EQ(pushed.exit_code, 0) << pushed.err;
    // One token for the whole push: concurrent requests share it, and it grants pull and push.
    EXPECT_EQ(slurp(auth.path() / "tokens.log"), "token repository:tokens/hello:pull,push\n");
    CommandResult inspect =
        run({"skopeo", "inspect", "--raw", "--tls-verify=false", "--creds", "bob:" + password, "docker://" + target});
    EXPECT_EQ(inspect.exit_code, 0) << inspect.err;
    EXPECT_EQ(inspect.out, slurp(blob(index_digest())));
    CommandResult pulled =
        xbuild({"pull", target, "--platform", "linux/386", "-o", "oci:" + (auth.path() / "p").string()}, {}, env);
    outputs.push_back(pulled);
    EXPECT_EQ(pulled.exit_code, 0) << pulled.err;

    std::ofstream(docker_config / "config.json") << "{}";
    CommandResult anonymous = xbuild({"manifest", "inspect", target}, {}, env);
    outputs.push_back(anonymous);
    EXPECT_EQ(anonymous.exit_code, 1);
    EXPECT_EQ(anonymous.err, "xbuild: error: cannot get " + target + ": cannot get a token from " + realm +
                                 ": the registry asks for credentials and none are configured for " + secured.host() +
                                 " in " + (docker_config / "config.json").string() + "; run `docker login " +
                                 secured.host() + "` or add them there\n");
  }
  stop_background(token_server);
  for (const CommandResult& output : outputs) {
    EXPECT_EQ(output.out.find(password), std::string::npos);
    EXPECT_EQ(output.err.find(password), std::string::npos);
    EXPECT_EQ(output.err.find("Ym9iOl"), std::string::npos);  // base64 of "bob:"
  }
}

// TLS is verified for every registry but localhost / 127.0.0.1; --insecure-registry switches to
// http. 127.0.0.2 is loopback too (the whole 127/8 is), but not a name xbuild trusts with plain
// http, so the test stays on this machine.
TEST_F(RegistryE2E, VerifiesTlsUnlessTheRegistryIsNamedInsecure) {
  XB_REQUIRE_TOOLS("openssl");
  const std::string address = "127.0.0.2";
  ScratchDir tls;
  fs::path key = tls.path() / "key.pem", cert = tls.path() / "cert.pem";
  ASSERT_EQ(run({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key.string(), "-out",
                 cert.string(), "-subj", "/CN=" + address, "-addext", "subjectAltName=IP:" + address, "-days", "2"})
                .exit_code,
            0);
  LocalRegistry secure(tls.path() / "registry", std::nullopt, std::nullopt, RegistryTls{address, cert, key});
  ASSERT_TRUE(secure.ok()) << secure.error();
  std::string target = secure.host() + "/tls/hello:1";
  CommandResult verified = xbuild({"manifest", "inspect", target});
  EXPECT_EQ(verified.exit_code, 1);
  EXPECT_EQ(verified.err,
            "xbuild: error: cannot get " + target + ": SSL certificate problem: self-signed certificate\n");
  CommandResult plain = xbuild({"manifest", "inspect", target, "--insecure-registry", secure.host()});
  EXPECT_EQ(plain.exit_code, 1);
  EXPECT_EQ(plain.err,
            "xbuild: error: cannot get " + target + ": HTTP 400 (Client sent an HTTP request to an HTTPS server.)\n");
}

// A project on a multi-arch base: examples/hello's pushed index is the base of a copy of it.
TEST_F(RegistryE2E, BuildsOnAMultiArchBaseImage) {
  ScratchDir work;
  fs::path project = copy_example("hello", work.path() / "derived");
  std::string config = slurp(project / "xbuild.toml");
  config.replace(config.find("localhost:5000/examples/hello"), 29, host() + "/derived/hello");
  std::size_t entrypoint = config.find("entrypoint = ");
  config.replace(entrypoint, config.find('\n', entrypoint) - entrypoint,
                 "env = { GREETING = \"hi\" }\nfrom = \"" + ref() + "\"");
  std::ofstream(project / "xbuild.toml") << config;
  CommandResult built = xbuild({"run", "xbuild.toml", "--push"}, project);
  ASSERT_EQ(built.exit_code, 0) << built.out << built.err;
  std::string derived = "docker://" + host() + "/derived/hello";
  json derived_index = json::parse(skopeo_raw(derived + ":1.0.0"));
  ASSERT_EQ(derived_index["manifests"].size(), kPlatforms.size());
  for (std::size_t i = 0; i < kPlatforms.size(); ++i) {
    std::string base_digest = child_digest(kPlatforms[i]);
    json base = json::parse(slurp(blob(base_digest)));
    json image = json::parse(skopeo_raw(derived + "@" + derived_index["manifests"][i]["digest"].get<std::string>()));
    ASSERT_EQ(image["layers"].size(), 2u) << kPlatforms[i];
    EXPECT_EQ(image["layers"][0], base["layers"][0]) << kPlatforms[i];
    EXPECT_EQ(image["annotations"], json({{"org.opencontainers.image.base.name", ref()},
                                          {"org.opencontainers.image.base.digest", base_digest}}));
    CommandResult config_out = run({"skopeo", "inspect", "--config", "--tls-verify=false",
                                    derived + "@" + derived_index["manifests"][i]["digest"].get<std::string>()});
    ASSERT_EQ(config_out.exit_code, 0) << config_out.err;
    json image_config = json::parse(config_out.out);
    EXPECT_EQ(image_config["config"]["Entrypoint"], json({"/app/hello"})) << "inherited from the base";
    EXPECT_EQ(image_config["config"]["Env"], json({"GREETING=hi"}));
    json base_config = json::parse(slurp(blob(base["config"]["digest"])));
    EXPECT_EQ(image_config["rootfs"]["diff_ids"][0], base_config["rootfs"]["diff_ids"][0]);
    EXPECT_EQ(image_config["rootfs"]["diff_ids"].size(), 2u);
  }
}

TEST_F(RegistryE2E, PlanFailsEarlyNamingThePlatformsTheBaseLacks) {
  std::string base = host() + "/partial/base:1";
  CommandResult created = xbuild({"manifest", "create", base, host() + "/examples/hello@" + child_digest("linux/amd64"),
                                  host() + "/examples/hello@" + child_digest("linux/arm64")});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  ScratchDir work;
  fs::path project = copy_example("hello", work.path() / "partial");
  std::string config = slurp(project / "xbuild.toml");
  config.replace(config.find("[image]"), 7, "[image]\nfrom = \"" + base + "\"");
  std::ofstream(project / "xbuild.toml") << config;
  std::string expected =
      "xbuild: error: the base image " + base +
      " has no image for linux/arm/v7, linux/386, linux/riscv64 (it offers linux/amd64, linux/arm64)\n"
      "  use a base image that has every platform of [targets] in " +
      (project / "xbuild.toml").string() + ", or drop those platforms\n";
  CommandResult plan = xbuild({"plan"}, project);
  EXPECT_EQ(plan.exit_code, 2);
  EXPECT_EQ(plan.out, "");
  EXPECT_EQ(plan.err, expected);
  CommandResult run_result = xbuild({"run"}, project);
  EXPECT_EQ(run_result.exit_code, 2);
  EXPECT_EQ(run_result.err, expected);
  EXPECT_FALSE(fs::exists(project / ".xbuild" / "oci"));
}

}  // namespace
}  // namespace xb::testing

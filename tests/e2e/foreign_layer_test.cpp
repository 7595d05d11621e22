// Non-distributable (foreign) layers end to end. A "Windows-like" base image is put into a real
// registry with curl alone: a Docker v2.2 manifest whose second layer is a foreign layer with
// urls pointing at an unreachable host, its blob never uploaded (as mcr.microsoft.com's Windows
// images are served). A linux/amd64 project builds `from` it and `xbuild run --push`es; the
// derived manifest must keep the foreign descriptor byte for byte, and neither the pull of the
// base nor the push may touch the blob (the registry would answer 404, the url cannot resolve).
#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "e2e/e2e_support.h"
#include "support/registry_fixture.h"
#include "util/fs.h"
#include "util/sha256.h"

namespace xb::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
constexpr const char* kDockerConfig = "application/vnd.docker.container.image.v1+json";
constexpr const char* kDockerLayer = "application/vnd.docker.image.rootfs.diff.tar.gzip";
constexpr const char* kDockerForeignLayer = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
constexpr const char* kForeignUrl = "https://example.invalid/layer.tar.gz";

std::string slurp(const fs::path& path) {
  Result<std::string> content = read_file(path);
  return content.ok() ? content.value() : std::string();
}

// Uploads a file as a blob (POST, then PUT ?digest=) with curl; returns the PUT's HTTP status.
std::string curl_upload(const std::string& host, const std::string& repository, const fs::path& file,
                        const std::string& digest) {
  CommandResult started = run({"curl", "-s", "-o", "/dev/null", "-D", "-", "-X", "POST",
                               "http://" + host + "/v2/" + repository + "/blobs/uploads/"});
  std::string location;
  std::size_t at = started.out.find("\nLocation: ");
  if (at == std::string::npos) at = started.out.find("\nlocation: ");
  if (at == std::string::npos) return "no upload location in: " + started.out;
  at += 11;
  location = started.out.substr(at, started.out.find('\r', at) - at);
  if (location.rfind("http", 0) != 0) location = "http://" + host + location;
  location += (location.find('?') == std::string::npos ? "?digest=" : "&digest=") + digest;
  CommandResult put = run({"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "PUT", "-H",
                           "Content-Type: application/octet-stream", "--data-binary", "@" + file.string(), location});
  return put.out;
}

std::string http_status(const std::vector<std::string>& curl_args) {
  std::vector<std::string> argv = {"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}"};
  argv.insert(argv.end(), curl_args.begin(), curl_args.end());
  return run(argv).out;
}

class ForeignLayerE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    XB_REQUIRE_TOOLS("docker-registry", "skopeo", "curl", "tar", "gzip", "make", "x86_64-linux-gnu-gcc");
    registry_ = std::make_unique<LocalRegistry>(scratch_.path() / "registry");
    ASSERT_TRUE(registry_->ok()) << registry_->error();
    ASSERT_NO_FATAL_FAILURE(push_base());
  }

  // base/windowsish:1 — an ordinary gzip layer, then a foreign layer the registry never gets.
  void push_base() {
    fs::path files = scratch_.path() / "base-files";
    fs::create_directories(files / "etc");
    std::ofstream(files / "etc" / "base-release") << "windows-like base\n";
    fs::path tar = scratch_.path() / "layer.tar";
    fs::path gz = scratch_.path() / "layer.tar.gz";
    ASSERT_EQ(run({"tar", "--sort=name", "--mtime=@0", "--owner=0", "--group=0", "--numeric-owner", "-cf", tar.string(),
                   "-C", files.string(), "etc"})
                  .exit_code,
              0);
    ASSERT_EQ(run({"sh", "-c", "gzip -n -c '" + tar.string() + "' > '" + gz.string() + "'"}).exit_code, 0);
    std::string layer_digest = sha256_file(gz).value();

    // The foreign layer: a digest, a size and a url, nothing behind them.
    std::string foreign_content = "the foreign layer lives at its url only";
    foreign_ = {{"mediaType", kDockerForeignLayer},
                {"digest", sha256_digest(foreign_content)},
                {"size", static_cast<std::int64_t>(foreign_content.size())},
                {"urls", {kForeignUrl}}};

    json config = {
        {"architecture", "amd64"},
        {"os", "linux"},
        {"config", {{"Env", {"BASE=windowsish"}}}},
        {"rootfs",
         {{"type", "layers"}, {"diff_ids", {sha256_file(tar).value(), sha256_digest("foreign layer, uncompressed")}}}}};
    fs::path config_file = scratch_.path() / "config.json";
    std::ofstream(config_file) << config.dump();
    std::string config_digest = sha256_file(config_file).value();

    ASSERT_EQ(curl_upload(host(), "base/windowsish", config_file, config_digest), "201");
    ASSERT_EQ(curl_upload(host(), "base/windowsish", gz, layer_digest), "201");
    base_layer_ = {
        {"mediaType", kDockerLayer}, {"digest", layer_digest}, {"size", static_cast<std::int64_t>(fs::file_size(gz))}};
    json manifest = {{"schemaVersion", 2},
                     {"mediaType", kDockerManifest},
                     {"config",
                      {{"mediaType", kDockerConfig},
                       {"digest", config_digest},
                       {"size", static_cast<std::int64_t>(fs::file_size(config_file))}}},
                     {"layers", {base_layer_, foreign_}}};
    fs::path manifest_file = scratch_.path() / "manifest.json";
    std::ofstream(manifest_file) << manifest.dump();
    ASSERT_EQ(http_status({"-X", "PUT", "-H", std::string("Content-Type: ") + kDockerManifest, "--data-binary",
                           "@" + manifest_file.string(), "http://" + host() + "/v2/base/windowsish/manifests/1"}),
              "201");
    ASSERT_EQ(blob_status("base/windowsish", foreign_["digest"]), "404") << "the base must lack the foreign blob";
  }

  // One linux/amd64 image from examples/hello's sources on the base, pushed to derived/windowsish:1.
  fs::path derived_project() {
    fs::path project = copy_example("hello", scratch_.path() / "derived");
    std::ofstream(project / "xbuild.toml") << "[project]\nname = \"hello\"\n\n"
                                              "[targets]\nplatforms = [\"linux/amd64\"]\n\n"
                                              "[stage.build]\nrun = 'make -s -C src CC=\"$CC\" OUT=\"$XBUILD_OUT\"'\n\n"
                                              "[image]\nname = \"" +
                                                  host() + "/derived/windowsish\"\ntags = [\"1\"]\nfrom = \"" + host() +
                                                  "/base/windowsish:1\"\nentrypoint = [\"/app/hello\"]\n"
                                                  "copy = [{ from = \"hello\", to = \"/app/hello\" }]\n";
    return project;
  }

  std::string host() const { return registry_->host(); }
  std::string blob_status(const std::string& repository, const std::string& digest) const {
    return http_status({"-I", "http://" + host() + "/v2/" + repository + "/blobs/" + digest});
  }
  static json skopeo_raw(const std::string& reference) {
    CommandResult inspect = run({"skopeo", "inspect", "--raw", "--tls-verify=false", reference});
    EXPECT_EQ(inspect.exit_code, 0) << inspect.err;
    return json::parse(inspect.out, nullptr, false);
  }

  ScratchDir scratch_;
  std::unique_ptr<LocalRegistry> registry_;
  json foreign_, base_layer_;
};

TEST_F(ForeignLayerE2E, RunPushKeepsTheForeignLayerDescriptorAndNeverUploadsIt) {
  fs::path project = derived_project();
  // Success alone shows the pull did not fetch the foreign blob: the registry has no such blob
  // and example.invalid does not resolve.
  CommandResult built = xbuild({"run", "xbuild.toml", "--push"}, project);
  ASSERT_EQ(built.exit_code, 0) << built.out << built.err;
  EXPECT_NE(built.out.find(", 0 already there, 0 mounted, 1 non-distributable layer not pushed\n"), std::string::npos)
      << built.out;

  std::string derived = "docker://" + host() + "/derived/windowsish";
  json index = skopeo_raw(derived + ":1");
  ASSERT_TRUE(index.is_object());
  ASSERT_EQ(index["manifests"].size(), 1u);
  std::string image_digest = index["manifests"][0]["digest"];
  json image = skopeo_raw(derived + "@" + image_digest);
  ASSERT_TRUE(image.is_object());
  ASSERT_EQ(image["layers"].size(), 3u) << image.dump();
  EXPECT_EQ(image["layers"][0], base_layer_);
  EXPECT_EQ(image["layers"][1], foreign_) << "the foreign descriptor, urls included, exactly as the base lists it";
  EXPECT_EQ(image["layers"][2]["mediaType"], "application/vnd.oci.image.layer.v1.tar+gzip");
  EXPECT_FALSE(image["layers"][2].contains("urls"));

  EXPECT_EQ(blob_status("derived/windowsish", foreign_["digest"]), "404") << "the foreign blob was uploaded";
  EXPECT_EQ(blob_status("derived/windowsish", base_layer_["digest"]), "200");
  EXPECT_EQ(blob_status("derived/windowsish", image["layers"][2]["digest"]), "200");

  // Neither the pulled base nor the output layout holds it; the layout's manifest lists it.
  std::string foreign_hex = foreign_["digest"].get<std::string>().substr(7);
  EXPECT_FALSE(fs::exists(project / ".xbuild" / "base" / "linux-amd64" / "blobs" / "sha256" / foreign_hex));
  EXPECT_FALSE(fs::exists(project / ".xbuild" / "oci" / "blobs" / "sha256" / foreign_hex));
  fs::path local_manifest = project / ".xbuild" / "oci" / "blobs" / "sha256" / image_digest.substr(7);
  EXPECT_EQ(json::parse(slurp(local_manifest), nullptr, false), image);

  CommandResult config = run({"skopeo", "inspect", "--config", "--tls-verify=false", derived + "@" + image_digest});
  ASSERT_EQ(config.exit_code, 0) << config.err;
  json image_config = json::parse(config.out, nullptr, false);
  ASSERT_EQ(image_config["rootfs"]["diff_ids"].size(), 3u);
  EXPECT_EQ(image_config["rootfs"]["diff_ids"][1], sha256_digest("foreign layer, uncompressed"));
  EXPECT_EQ(image_config["config"]["Env"], json({"BASE=windowsish"}));
}

// The registry commands on the same image: pull leaves the foreign layer out and says so,
// push of that layout to another repository uploads everything else.
TEST_F(ForeignLayerE2E, PullAndPushCommandsSkipTheForeignLayer) {
  fs::path layout = scratch_.path() / "pulled";
  CommandResult pulled =
      xbuild({"pull", host() + "/base/windowsish:1", "--platform", "linux/amd64", "-o", "oci:" + layout.string()});
  ASSERT_EQ(pulled.exit_code, 0) << pulled.err;
  EXPECT_NE(pulled.out.find("2 blobs verified, 1 non-distributable layer not downloaded) into oci:" + layout.string()),
            std::string::npos)
      << pulled.out;
  EXPECT_FALSE(fs::exists(layout / "blobs" / "sha256" / foreign_["digest"].get<std::string>().substr(7)));

  CommandResult pushed = xbuild({"push", "oci:" + layout.string(), host() + "/copy/windowsish:1"});
  ASSERT_EQ(pushed.exit_code, 0) << pushed.err;
  EXPECT_NE(pushed.out.find("2 blobs uploaded"), std::string::npos) << pushed.out;
  EXPECT_NE(pushed.out.find(", 1 non-distributable layer not pushed\n"), std::string::npos) << pushed.out;
  json copy = skopeo_raw("docker://" + host() + "/copy/windowsish:1");
  ASSERT_TRUE(copy.is_object());
  EXPECT_EQ(copy["mediaType"], kDockerManifest);
  EXPECT_EQ(copy["layers"], json({base_layer_, foreign_}));
  EXPECT_EQ(blob_status("copy/windowsish", foreign_["digest"]), "404");
}

}  // namespace
}  // namespace xb::testing

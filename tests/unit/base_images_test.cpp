// The base-image pass: `[image] from = REF` checked against the plan's platforms and pulled per
// platform into <state dir>/base, against a fake registry that serves a real two-platform image.
#include "build/base_images.h"

#include <gtest/gtest.h>

#include "oci/image.h"
#include "oci/layer.h"
#include "support/fake_http_client.h"
#include "support/scratch_dir.h"
#include "util/fs.h"
#include "util/libarchive.h"
#include "util/sha256.h"

namespace xb {
namespace {

namespace fs = std::filesystem;
using testing::CannedResponse;
using testing::FakeHttpClient;
using testing::ScratchDir;

constexpr const char* kRegistry = "https://r.example/v2/library/base";

// A registry holding r.example/library/base:1, an index of the given platforms, each image one
// real layer; answers by URL, and counts the requests.
class FakeBaseRegistry {
 public:
  FakeBaseRegistry(const ScratchDir& scratch, const std::vector<std::string>& platforms) {
    EXPECT_TRUE(require_libarchive().ok());
    scratch.write("layer/etc/os-release", "ID=base\n");
    fs::create_directories(scratch / "blobs");
    oci::LayerBlob layer = oci::write_layer({{scratch / "layer", "/"}}, 0, scratch / "blobs").value();
    blobs_[layer.digest] = read_file(scratch / "blobs/sha256" / layer.digest.substr(7)).value();
    std::vector<oci::Descriptor> manifests;
    for (const std::string& name : platforms) {
      oci::ImageConfig config;
      config.platform = parse_platform(name).value();
      config.env = {"PATH=/usr/bin"};
      config.diff_ids = {layer.diff_id};
      oci::Descriptor config_blob = add(oci::image_config_json(config), oci::kMediaTypeConfig);
      oci::Descriptor layer_blob{oci::kMediaTypeLayerGzip, layer.digest, layer.size, {}, {}};
      oci::Descriptor manifest = add(oci::manifest_json(config_blob, {layer_blob}), oci::kMediaTypeManifest);
      manifest.platform = config.platform;
      manifests.push_back(manifest);
    }
    index_ = add(oci::index_json(manifests), oci::kMediaTypeIndex);
  }

  registry::HttpResponse answer(const registry::HttpRequest& request) {
    ++requests;
    std::string path = request.url.substr(std::string(kRegistry).size());
    std::string reference = path.substr(path.rfind('/') + 1);
    if (path == "/manifests/1") reference = index_.digest;
    auto found = blobs_.find(reference);
    if (found == blobs_.end()) return FakeHttpClient::response({404, {}, "{\"errors\":[]}"});
    CannedResponse canned{200, {"Docker-Content-Digest: " + reference}, found->second};
    if (path.find("/manifests/") != std::string::npos) canned.headers.push_back("Content-Type: " + types_[reference]);
    if (!request.response_file.empty()) {
      EXPECT_TRUE(write_file_atomic(request.response_file, found->second).ok());
      canned.body.clear();
    }
    return FakeHttpClient::response(canned);
  }

  int requests = 0;

 private:
  oci::Descriptor add(const std::string& content, const std::string& media_type) {
    std::string digest = sha256_digest(content);
    blobs_[digest] = content;
    types_[digest] = media_type;
    return {media_type, digest, static_cast<std::int64_t>(content.size()), {}, {}};
  }

  std::map<std::string, std::string> blobs_, types_;
  oci::Descriptor index_;
};

class BaseImagesTest : public ::testing::Test {
 protected:
  BaseImagesTest() {
    config_.file = scratch_ / "xbuild.toml";
    config_.image.from = "r.example/library/base:1";
    plan_.state_dir = scratch_ / "state";
    for (const char* name : {"linux/amd64", "linux/arm64", "none/arm/cortex-m4"}) {
      TargetPlan target;
      target.platform = parse_platform(name).value();
      plan_.targets.push_back(target);
    }
  }

  registry::RegistryOptions serving(FakeBaseRegistry& registry) {
    registry::RegistryOptions options;
    options.credentials = [](const std::string&) -> Result<std::optional<registry::Credentials>> {
      return std::optional<registry::Credentials>();
    };
    options.http_client = [&registry](uv_loop_t* loop) -> std::unique_ptr<registry::HttpClient> {
      return std::make_unique<FakeHttpClient>(
          loop, [&registry](const registry::HttpRequest& request) { return registry.answer(request); });
    };
    return options;
  }

  ScratchDir scratch_;
  Config config_;
  Plan plan_;
};

TEST_F(BaseImagesTest, ScratchNeedsNoRegistry) {
  FakeBaseRegistry registry(scratch_, {"linux/amd64"});
  config_.image.from = "scratch";
  EXPECT_TRUE(pull_base_images(config_, plan_, serving(registry)).empty());
  EXPECT_EQ(registry.requests, 0);
}

TEST_F(BaseImagesTest, EachImagePlatformGetsItsOwnBaseAndBareMetalNone) {
  FakeBaseRegistry registry(scratch_, {"linux/amd64", "linux/arm64"});
  std::vector<oci::BaseImage> bases = pull_base_images(config_, plan_, serving(registry));
  ASSERT_EQ(bases.size(), 3u);
  EXPECT_EQ(bases[0].name, "r.example/library/base:1");
  EXPECT_EQ(bases[0].env, std::vector<std::string>{"PATH=/usr/bin"});
  ASSERT_EQ(bases[1].layers.size(), 1u);
  EXPECT_TRUE(fs::is_regular_file(bases[1].layer_files[0]));
  EXPECT_NE(bases[0].digest, bases[1].digest);
  EXPECT_TRUE(bases[2].digest.empty());  // the firmware artifact has no base
  EXPECT_TRUE(fs::is_directory(scratch_ / "state/base/linux-arm64"));
}

TEST_F(BaseImagesTest, ABaseWithoutAPlatformIsRefusedBeforeAnythingIsPulled) {
  FakeBaseRegistry registry(scratch_, {"linux/amd64", "linux/s390x"});
  try {
    pull_base_images(config_, plan_, serving(registry));
    FAIL() << "pulled";
  } catch (const Error& error) {
    EXPECT_EQ(error.exit_code(), 2);
    EXPECT_EQ(std::string(error.what()),
              "the base image r.example/library/base:1 has no image for linux/arm64 (it offers linux/amd64, "
              "linux/s390x)\n  use a base image that has every platform of [targets] in " +
                  (scratch_ / "xbuild.toml").string() + ", or drop those platforms");
  }
  EXPECT_FALSE(fs::exists(scratch_ / "state"));
}

}  // namespace
}  // namespace xb

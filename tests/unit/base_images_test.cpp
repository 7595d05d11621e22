// The base-image pass: `[image] from = REF` checked against the plan's platforms and pulled per
// platform into <state dir>/base, against a fake registry that serves a real two-platform image.
#include "build/base_images.h"

#include <gtest/gtest.h>

#include "oci/image.h"
#include "oci/layer.h"
#include "oci/layout.h"
#include "support/fake_http_client.h"
#include "support/scratch_dir.h"
#include "util/fs.h"
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

// --- oci:DIR[:TAG] ---------------------------------------------------------------------------

// A layout written with oci/'s writers at scratch/<dir>: an index of `platforms` (each image one
// real layer), or with `single`, the first platform's image alone; tagged `tag`.
struct WrittenLayout {
  fs::path directory;
  oci::Descriptor root;
  std::vector<oci::Descriptor> images;  // the index's entries
  std::string layer_digest;
};

WrittenLayout write_layout(const ScratchDir& scratch, const std::string& dir, const std::vector<std::string>& platforms,
                           const std::string& tag, bool single = false) {
  WrittenLayout written;
  written.directory = scratch / dir;
  scratch.write(dir + "-layer/etc/os-release", "ID=layout\n");
  oci::LayoutWriter writer = oci::LayoutWriter::create(written.directory).value();
  oci::LayerBlob layer = oci::write_layer({{scratch / (dir + "-layer"), "/"}}, 0, writer.blobs_dir()).value();
  written.layer_digest = layer.digest;
  for (const std::string& name : platforms) {
    oci::ImageConfig config;
    config.platform = parse_platform(name).value();
    config.env = {"PATH=/usr/bin"};
    config.entrypoint = {"/bin/sh"};
    config.diff_ids = {layer.diff_id};
    oci::Descriptor config_blob = writer.add_blob(oci::image_config_json(config), oci::kMediaTypeConfig).value();
    oci::Descriptor layer_blob{oci::kMediaTypeLayerGzip, layer.digest, layer.size, {}, {}};
    oci::Descriptor manifest =
        writer.add_blob(oci::manifest_json(config_blob, {layer_blob}), oci::kMediaTypeManifest).value();
    manifest.platform = config.platform;
    written.images.push_back(manifest);
  }
  written.root =
      single ? written.images.front() : writer.add_blob(oci::index_json(written.images), oci::kMediaTypeIndex).value();
  EXPECT_TRUE(writer.finish(written.root, tag).ok());
  return written;
}

class LayoutBaseTest : public BaseImagesTest {
 protected:
  void use(const fs::path& directory, const std::string& tag) {
    config_.image.from_layout = LayoutBase{directory, tag};
    config_.image.from = config_.image.from_layout->str();
  }
  std::string failure(const std::function<void()>& step) {
    try {
      step();
    } catch (const Error& error) {
      EXPECT_EQ(error.exit_code(), 2);
      return error.what();
    }
    return "(no error)";
  }
  std::string cannot_use(const std::string& why) const {
    return "cannot use the base image " + config_.image.from_layout->str() + " ([image] from in " +
           (scratch_ / "xbuild.toml").string() + "): " + why;
  }
  std::string pull_failure() {
    return failure([&] { pull_base_images(config_, plan_, serving(registry_)); });
  }

  FakeBaseRegistry registry_{scratch_, {"linux/amd64"}};  // reached by nothing below
};

TEST_F(LayoutBaseTest, EachImagePlatformGetsItsImageFromTheLayoutWhereItIs) {
  WrittenLayout layout = write_layout(scratch_, "layouts/base", {"linux/arm64", "linux/amd64"}, "1");
  use(layout.directory, "1");
  std::vector<oci::BaseImage> bases = pull_base_images(config_, plan_, serving(registry_));
  ASSERT_EQ(bases.size(), 3u);
  EXPECT_EQ(bases[0].name, "oci:" + layout.directory.string() + ":1");
  EXPECT_EQ(bases[0].digest, layout.images[1].digest);  // linux/amd64
  EXPECT_EQ(bases[1].digest, layout.images[0].digest);  // linux/arm64
  EXPECT_EQ(bases[0].env, std::vector<std::string>{"PATH=/usr/bin"});
  EXPECT_EQ(bases[1].entrypoint, std::vector<std::string>{"/bin/sh"});
  ASSERT_EQ(bases[1].layer_files.size(), 1u);
  EXPECT_EQ(bases[1].layer_files[0], layout.directory / "blobs/sha256" / layout.layer_digest.substr(7));
  EXPECT_TRUE(bases[2].digest.empty());  // the firmware artifact has no base
  EXPECT_EQ(registry_.requests, 0);
  EXPECT_FALSE(fs::exists(scratch_ / "state"));  // read where it is: nothing written
  check_base_image(config_, plan_, serving(registry_));
  EXPECT_EQ(registry_.requests, 0);
}

TEST_F(LayoutBaseTest, ASingleImageServesItsOwnPlatform) {
  WrittenLayout layout = write_layout(scratch_, "single", {"linux/amd64"}, "latest", true);
  use(layout.directory, "");
  plan_.targets.erase(plan_.targets.begin() + 1);  // linux/amd64 and the firmware
  std::vector<oci::BaseImage> bases = pull_base_images(config_, plan_, serving(registry_));
  ASSERT_EQ(bases.size(), 2u);
  EXPECT_EQ(bases[0].name, "oci:" + layout.directory.string());
  EXPECT_EQ(bases[0].digest, layout.root.digest);
}

TEST_F(LayoutBaseTest, APlatformTheLayoutLacksIsRefusedAsARegistrysIs) {
  WrittenLayout index = write_layout(scratch_, "index", {"linux/amd64", "linux/s390x"}, "1");
  use(index.directory, "1");
  std::string expected = "the base image oci:" + index.directory.string() +
                         ":1 has no image for linux/arm64 (it offers linux/amd64, linux/s390x)\n"
                         "  use a base image that has every platform of [targets] in " +
                         (scratch_ / "xbuild.toml").string() + ", or drop those platforms";
  EXPECT_EQ(failure([&] { check_base_image(config_, plan_, serving(registry_)); }), expected);
  EXPECT_EQ(pull_failure(), expected);

  WrittenLayout single = write_layout(scratch_, "single", {"linux/amd64"}, "1", true);
  use(single.directory, "1");
  EXPECT_EQ(pull_failure(), "the base image oci:" + single.directory.string() +
                                ":1 has no image for linux/arm64 (it offers linux/amd64)\n"
                                "  use a base image that has every platform of [targets] in " +
                                (scratch_ / "xbuild.toml").string() + ", or drop those platforms");
}

TEST_F(LayoutBaseTest, AMissingLayoutOrTagIsACleanError) {
  use(scratch_ / "absent", "1");
  EXPECT_EQ(pull_failure(),
            cannot_use((scratch_ / "absent").string() + " is not an OCI image layout (it has no oci-layout file)"));

  WrittenLayout layout = write_layout(scratch_, "layout", {"linux/amd64", "linux/arm64"}, "1");
  use(layout.directory, "2");
  EXPECT_EQ(pull_failure(),
            cannot_use("no image tagged \"2\" in the OCI layout " + layout.directory.string() + "; it has: 1"));

  // Two images and no tag: which one is meant?
  oci::Descriptor one = layout.root, two = layout.images[0];
  one.annotations[oci::kAnnotationRefName] = "1";
  two.annotations[oci::kAnnotationRefName] = "amd64-only";
  ASSERT_TRUE(write_file_atomic(layout.directory / "index.json", oci::index_json({one, two})).ok());
  use(layout.directory, "");
  EXPECT_EQ(pull_failure(), cannot_use("no image (give a tag: oci:DIR:TAG) in the OCI layout " +
                                       layout.directory.string() + "; it has: 1, amd64-only"));
  EXPECT_FALSE(fs::exists(scratch_ / "state"));
  EXPECT_EQ(registry_.requests, 0);
}

TEST_F(LayoutBaseTest, ARootWithoutAPlatformIsRefused) {
  oci::LayoutWriter writer = oci::LayoutWriter::create(scratch_ / "artifact").value();
  oci::Descriptor config = writer.add_blob(oci::kEmptyConfig, oci::kMediaTypeEmpty).value();
  oci::Descriptor manifest = writer.add_blob(oci::manifest_json(config, {}), oci::kMediaTypeManifest).value();
  ASSERT_TRUE(writer.finish(manifest, "1").ok());
  use(scratch_ / "artifact", "1");
  EXPECT_EQ(pull_failure(),
            cannot_use("the image " + manifest.digest + ": the image config names no os and architecture"));
}

TEST_F(LayoutBaseTest, ALayerThatDoesNotMatchItsDigestIsFoundBeforeAnythingIsBuilt) {
  WrittenLayout layout = write_layout(scratch_, "layout", {"linux/amd64", "linux/arm64"}, "1");
  fs::path blob = layout.directory / "blobs/sha256" / layout.layer_digest.substr(7);
  fs::permissions(blob, fs::perms::owner_write, fs::perm_options::add);
  const std::uintmax_t size = fs::file_size(blob);
  ASSERT_TRUE(write_file_atomic(blob, std::string(size, 'x')).ok());  // same size, other content
  use(layout.directory, "1");
  check_base_image(config_, plan_, serving(registry_));  // the platforms only: no layer read
  EXPECT_EQ(pull_failure(),
            cannot_use("linux/amd64: the blob " + blob.string() + " does not match its digest " + layout.layer_digest));
  ASSERT_TRUE(write_file_atomic(blob, "tampered").ok());
  EXPECT_EQ(pull_failure(), cannot_use("linux/amd64: the blob " + blob.string() +
                                       " holds 8 bytes, but its descriptor (" + layout.layer_digest + ") declares " +
                                       std::to_string(size) + "; the layout is damaged or was altered"));
}

}  // namespace
}  // namespace xb

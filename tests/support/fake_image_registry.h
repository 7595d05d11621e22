// A registry for unit tests that pull an image (build/trees.h's root filesystems), answering
// from memory: one repository, one tag naming an index of an image per platform or (`single`)
// one image without an index. Each image is a config of its platform and one layer of a few
// bytes (digests verified by a pull, never unpacked). Answers may be asked for from several
// threads at once.
//
//   FakeImageRegistry registry("r.example", "library/debian", "bookworm", {"linux/amd64", "linux/arm64"});
//   options.registry = registry.options();
//   registry.images.at("linux/arm64").manifest       // "sha256:..."
#pragma once

#include <gtest/gtest.h>
#include <uv.h>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "oci/image.h"
#include "platform/platform.h"
#include "registry/registry_client.h"
#include "support/fake_http_client.h"
#include "util/fs.h"
#include "util/sha256.h"
#include "util/strings.h"

namespace xb::testing {

class FakeImageRegistry {
 public:
  FakeImageRegistry(const std::string& host, const std::string& repository, std::string tag,
                    const std::vector<std::string>& platforms, bool single = false)
      : base_("https://" + host + "/v2/" + repository), tag_(std::move(tag)) {
    std::vector<oci::Descriptor> manifests;
    for (const std::string& name : platforms) {
      oci::ImageConfig config;
      config.platform = parse_platform(name).value();
      oci::Descriptor layer = add("the root filesystem of " + name, oci::kMediaTypeLayerGzip);
      config.diff_ids = {layer.digest};
      oci::Descriptor manifest =
          add(oci::manifest_json(add(oci::image_config_json(config), oci::kMediaTypeConfig), {layer}),
              oci::kMediaTypeManifest);
      manifest.platform = config.platform;
      manifests.push_back(manifest);
      images[name] = {manifest.digest, layer.digest};
    }
    tagged_ = single ? manifests.front().digest : add(oci::index_json(manifests), oci::kMediaTypeIndex).digest;
  }

  // Options whose operations reach this registry, anonymously, trying each request once.
  registry::RegistryOptions options() {
    registry::RegistryOptions options;
    options.retry.max_attempts = 1;
    options.credentials = [](const std::string&) -> Result<std::optional<registry::Credentials>> {
      return std::optional<registry::Credentials>();
    };
    options.http_client = [this](uv_loop_t* loop) -> std::unique_ptr<registry::HttpClient> {
      return std::make_unique<FakeHttpClient>(loop,
                                              [this](const registry::HttpRequest& request) { return answer(request); });
    };
    return options;
  }

  struct Image {
    std::string manifest;  // digests
    std::string layer;
  };
  std::map<std::string, Image> images;  // by platform

 private:
  oci::Descriptor add(const std::string& content, const std::string& media_type) {
    std::string digest = sha256_digest(content);
    blobs_[digest] = content;
    types_[digest] = media_type;
    return {media_type, digest, static_cast<std::int64_t>(content.size()), {}, {}, {}, {}};
  }

  registry::HttpResponse answer(const registry::HttpRequest& request) {
    std::lock_guard<std::mutex> lock(mutex_);
    const CannedResponse unknown{404, {}, "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\"}]}"};
    if (!starts_with(request.url, base_ + "/")) return FakeHttpClient::response(unknown);
    const std::string path = request.url.substr(base_.size());
    std::string reference = path.substr(path.rfind('/') + 1);
    if (path == "/manifests/" + tag_) reference = tagged_;
    auto found = blobs_.find(reference);
    if (found == blobs_.end()) return FakeHttpClient::response(unknown);
    CannedResponse canned{200, {"Docker-Content-Digest: " + reference}, found->second};
    if (starts_with(path, "/manifests/")) canned.headers.push_back("Content-Type: " + types_[reference]);
    if (!request.response_file.empty()) {
      EXPECT_TRUE(write_file_atomic(request.response_file, found->second).ok());
      canned.body.clear();
    }
    return FakeHttpClient::response(canned);
  }

  std::string base_;  // https://<host>/v2/<repository>
  std::string tag_;
  std::string tagged_;  // the digest the tag names
  std::mutex mutex_;
  std::map<std::string, std::string> blobs_, types_;
};

}  // namespace xb::testing

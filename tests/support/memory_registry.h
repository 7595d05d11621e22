// A registry cache in memory for unit tests, behind FakeHttpClient, for faults a real one cannot
// be made to show: the blobs and manifests of one repository (127.0.0.1:5000/team/cache),
// uploads in one PUT, tags listed two to a page (Link rel="next"), every request logged, and
// `down` refusing every connection.
#pragma once

#include <gtest/gtest.h>
#include <uv.h>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "oci/image.h"
#include "registry/registry_client.h"
#include "support/fake_http_client.h"
#include "util/fs.h"
#include "util/sha256.h"
#include "util/strings.h"

namespace xb::testing {

struct MemoryRegistry {
  std::map<std::string, std::string> blobs;      // digest -> content
  std::map<std::string, std::string> manifests;  // tag -> body
  std::vector<std::string> extra_tags;           // listed but not stored
  std::vector<std::string> log;                  // "METHOD path"
  bool down = false;                             // every request is refused

  registry::HttpResponse answer(const registry::HttpRequest& request) {
    const std::string base = "http://127.0.0.1:5000/v2/team/cache/";
    std::string path = request.url.rfind(base, 0) == 0 ? request.url.substr(base.size()) : request.url;
    log.push_back(request.method + " " + path);
    if (down) return FakeHttpClient::response({0, {}, "", "Connection refused", false});
    if (starts_with(path, "blobs/uploads/") && request.method == "POST")
      return FakeHttpClient::response({202, {"Location: " + base + "blobs/uploads/1"}});
    if (starts_with(path, "blobs/uploads/1?digest=") && request.method == "PUT") {
      std::string digest = path.substr(path.find('=') + 1);
      digest.replace(digest.find("%3A"), 3, ":");
      std::string body = request.body_file.empty() ? request.body : read_file(request.body_file).value();
      if (sha256_digest(body) != digest) return FakeHttpClient::response({400, {}, "DIGEST_INVALID"});
      blobs[digest] = body;
      return FakeHttpClient::response({201, {"Docker-Content-Digest: " + digest}});
    }
    if (starts_with(path, "blobs/")) {
      auto blob = blobs.find(path.substr(6));
      if (blob == blobs.end()) return FakeHttpClient::response({404});
      if (request.method == "HEAD") return FakeHttpClient::response({200});
      if (!request.response_file.empty()) {
        EXPECT_TRUE(write_file_atomic(request.response_file, blob->second).ok());
        return FakeHttpClient::response({200});
      }
      return FakeHttpClient::response({200, {}, blob->second});
    }
    if (starts_with(path, "manifests/")) {
      std::string tag = path.substr(10);
      if (request.method == "PUT") {
        manifests[tag] = request.body;
        return FakeHttpClient::response({201, {"Docker-Content-Digest: " + sha256_digest(request.body)}});
      }
      auto manifest = manifests.find(tag);
      if (manifest == manifests.end()) return FakeHttpClient::response({404, {}, R"({"errors":[]})"});
      return FakeHttpClient::response(
          {200, {"Content-Type: " + std::string(oci::kMediaTypeManifest)}, manifest->second});
    }
    if (starts_with(path, "tags/list")) {
      std::vector<std::string> tags = extra_tags;
      for (const auto& [tag, body] : manifests) tags.push_back(tag);
      std::sort(tags.begin(), tags.end());
      std::size_t page = path == "tags/list" ? 0 : std::stoul(path.substr(path.find("page=") + 5));
      std::vector<std::string> shown;
      for (std::size_t index = page * 2; index < tags.size() && index < page * 2 + 2; ++index)
        shown.push_back("\"" + tags[index] + "\"");
      std::vector<std::string> headers;
      if (page * 2 + 2 < tags.size())
        headers.push_back("Link: </v2/team/cache/tags/list?page=" + std::to_string(page + 1) + ">; rel=\"next\"");
      return FakeHttpClient::response({200, headers, "{\"name\":\"team/cache\",\"tags\":[" + join(shown, ",") + "]}"});
    }
    return FakeHttpClient::response({404});
  }

  // What makes an HTTP client that this registry answers (RegistryOptions::http_client,
  // Services::http_client).
  std::function<std::unique_ptr<registry::HttpClient>(uv_loop_t* loop)> http_client() {
    return [this](uv_loop_t* loop) -> std::unique_ptr<registry::HttpClient> {
      return std::make_unique<FakeHttpClient>(loop,
                                              [this](const registry::HttpRequest& request) { return answer(request); });
    };
  }

  // Options whose operations reach this registry: one attempt, anonymous.
  registry::RegistryOptions options() {
    registry::RegistryOptions options;
    options.retry.max_attempts = 1;
    options.credentials = [](const std::string&) -> Result<std::optional<registry::Credentials>> {
      return std::optional<registry::Credentials>();
    };
    options.http_client = http_client();
    return options;
  }
};

}  // namespace xb::testing

// A Debian mirror for unit tests (debian/archive.h's release_digest, build/trees.h): the signed
// release file of each suite it holds, a 404 for anything else, or (`reachable = false`) no
// answer at all. Every URL asked is recorded; answers may be asked for from several threads at
// once, each with a loop and client of its own, as resolve_trees() asks them.
//
//   FakeDebianMirror mirror("http://mirror.example/debian");
//   options.http.http_client = mirror.client();
//   ... resolve ...
//   mirror.urls()                                    // {".../dists/bookworm/InRelease"}
//   sha256_digest(FakeDebianMirror::release("bookworm"))   // the state that names its trees
#pragma once

#include <uv.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "registry/http_client.h"
#include "support/fake_http_client.h"

namespace xb::testing {

class FakeDebianMirror {
 public:
  explicit FakeDebianMirror(std::string mirror) : mirror_(std::move(mirror)) {}

  // The InRelease of `suite`: starts as a signed release file does, and differs by suite.
  static std::string release(const std::string& suite) {
    return "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\nOrigin: Debian\nSuite: " + suite + "\n";
  }

  std::function<std::unique_ptr<registry::HttpClient>(uv_loop_t*)> client() {
    return [this](uv_loop_t* loop) -> std::unique_ptr<registry::HttpClient> {
      return std::make_unique<FakeHttpClient>(loop,
                                              [this](const registry::HttpRequest& request) { return answer(request); });
    };
  }

  // Every URL asked, sorted.
  std::vector<std::string> urls() {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::string> urls = urls_;
    std::sort(urls.begin(), urls.end());
    return urls;
  }

  std::vector<std::string> suites = {"bookworm", "trixie", "sid"};
  bool reachable = true;  // false: every GET fails as a host that cannot be resolved does

 private:
  registry::HttpResponse answer(const registry::HttpRequest& request) {
    std::lock_guard<std::mutex> lock(mutex_);
    urls_.push_back(request.url);
    if (!reachable) {
      std::string host = mirror_.substr(mirror_.find("://") + 3);
      return FakeHttpClient::response({0, {}, "", "Could not resolve host: " + host.substr(0, host.find('/'))});
    }
    for (const std::string& suite : suites)
      if (request.url == mirror_ + "/dists/" + suite + "/InRelease")
        return FakeHttpClient::response({200, {}, release(suite)});
    return FakeHttpClient::response({404, {}, "Not Found"});
  }

  std::string mirror_;
  std::mutex mutex_;
  std::vector<std::string> urls_;
};

}  // namespace xb::testing

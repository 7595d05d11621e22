// An HttpClient (registry/http_client.h) that opens no socket, for unit tests of the registry
// client and of whatever runs registry operations (ninja's FakeCommandRunner, go's httptest).
//
//   uv_loop_t loop;  uv_loop_init(&loop);
//   FakeHttpClient http(&loop);
//   http.on("GET", "https://r.example/v2/", {401, {"WWW-Authenticate: Bearer realm=..."}});
//   http.on("GET", "https://auth.example/token?scope=...", {200, {}, R"({"token":"t"})"});
//   ... start requests through a RegistryClient on `http` ...
//   uv_run(&loop, UV_RUN_DEFAULT);   // delivers every answer and delayed callback
//   http.requests()                  // what was sent, in order, headers included
//
// Answers come from the handler given to the constructor when there is one, else from the
// canned responses given to on(): each answers one request with that method and exact URL,
// in the order they were given. A request nothing answers gets a 404 whose body names it, and
// is listed in unanswered(). Answers and after() callbacks are delivered on the loop through
// zero-delay timers, in the order they were scheduled: never inside send(), and without
// waiting out the delay (after() records it in delays()). The client must be destroyed before
// the loop is closed; callbacks still pending then never run.
#pragma once

#include <uv.h>

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "registry/http_client.h"

namespace xb::testing {

struct CannedResponse {
  long status = 200;
  std::vector<std::string> headers;  // "Name: value", the name in any case
  std::string body;
  std::string transport_error;  // with status 0: the transfer failed
  bool transient = false;       // with status 0: a failure worth retrying (reset, timeout)
};

class FakeHttpClient final : public registry::HttpClient {
 public:
  using Handler = std::function<registry::HttpResponse(const registry::HttpRequest&)>;

  explicit FakeHttpClient(uv_loop_t* loop, Handler handler = nullptr);
  ~FakeHttpClient() override;
  FakeHttpClient(const FakeHttpClient&) = delete;
  FakeHttpClient& operator=(const FakeHttpClient&) = delete;

  // Answers the next `method` request for exactly `url` with `response`.
  void on(const std::string& method, const std::string& url, CannedResponse response);
  // The HttpResponse a CannedResponse stands for (header names lowercased, values trimmed, as
  // the real client gives them), for handlers.
  static registry::HttpResponse response(const CannedResponse& canned);
  // The value of header `name` (any case) among a request's "Name: value" headers, or "".
  static std::string header(const registry::HttpRequest& request, const std::string& name);

  const std::vector<registry::HttpRequest>& requests() const { return requests_; }
  const std::vector<std::chrono::milliseconds>& delays() const { return delays_; }
  const std::vector<std::string>& unanswered() const { return unanswered_; }  // "METHOD URL"

  void send(registry::HttpRequest request, registry::HttpCallback done) override;
  void after(std::chrono::milliseconds delay, std::function<void()> callback) override;

 private:
  struct Pending;
  void schedule(std::function<void()> run);
  static void close(Pending* pending);

  uv_loop_t* loop_;
  Handler handler_;
  std::map<std::pair<std::string, std::string>, std::deque<CannedResponse>> canned_;
  std::vector<registry::HttpRequest> requests_;
  std::vector<std::chrono::milliseconds> delays_;
  std::vector<std::string> unanswered_;
  std::set<Pending*> pending_;
};

}  // namespace xb::testing

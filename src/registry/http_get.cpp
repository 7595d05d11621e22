#include "registry/http_get.h"

#include <ctime>
#include <optional>
#include <random>

#include "registry/url.h"
#include "util/strings.h"
#include "util/uv_loop.h"

namespace xb::registry {

namespace {

// A permanent transport failure (a name that does not resolve, a certificate) is -1 to the
// retry policy, which never tries it again; resets, refusals and timeouts are 0.
long retry_status(const HttpResponse& response) {
  return response.status == 0 && !response.transient ? -1 : response.status;
}

double jitter() {
  static thread_local std::mt19937 generator(std::random_device{}());
  return std::uniform_real_distribution<double>(0.0, 1.0)(generator);
}

struct Attempts {
  HttpClient& http;
  HttpRequest request;
  const RetryPolicy& retry;
  int attempt = 0;
  int timeouts = 0;
  std::optional<HttpResponse> answer;

  void send() {
    ++attempt;
    http.send(request, [this](HttpResponse response) {
      response.attempts = attempt;
      if (response.timed_out) ++timeouts;
      std::optional<std::chrono::milliseconds> delay =
          retry.delay_after(attempt, retry_status(response), response.header("retry-after"), jitter(),
                            static_cast<std::int64_t>(std::time(nullptr)));
      if (!delay || timeouts >= retry.max_timeout_attempts) {
        answer.emplace(std::move(response));
        return;
      }
      http.after(*delay, [this] { send(); });
    });
  }
};

}  // namespace

Result<HttpResponse> http_get_response(const std::string& url, const HttpGetOptions& options) {
  UvLoop loop;
  std::unique_ptr<HttpClient> http;
  if (options.http_client) {
    http = options.http_client(loop.get());
  } else {
    HttpClientOptions client_options;
    client_options.connect_timeout = options.connect_timeout;
    client_options.low_speed_timeout = options.low_speed_timeout;
    http = make_curl_http_client(loop.get(), client_options);
  }
  HttpRequest request;
  request.url = url;
  request.follow_redirects = true;
  Attempts attempts{*http, request, options.retry};
  attempts.send();
  while (!attempts.answer && loop.run(UV_RUN_ONCE) != 0) {
  }
  http.reset();  // closes its handles before the loop closes
  loop.run();
  if (!attempts.answer)
    return fail("cannot reach " + redact_credentials(url) + ": the transfer ended without an answer");
  HttpResponse& response = *attempts.answer;
  if (response.status == 0) {
    std::string tries = response.attempts > 1 ? " (" + std::to_string(response.attempts) + " attempts)" : "";
    return fail("cannot reach " + redact_credentials(url) + ": " + response.transport_error + tries);
  }
  return std::move(response);
}

Result<std::string> http_get(const std::string& url, const HttpGetOptions& options) {
  Result<HttpResponse> response = http_get_response(url, options);
  if (!response) return fail(response.error());
  if (response.value().status < 200 || response.value().status >= 300)
    return fail(redact_credentials(url) + ": HTTP " + std::to_string(response.value().status));
  return std::move(response.value().body);
}

}  // namespace xb::registry

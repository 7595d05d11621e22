// One GET, synchronously, for callers that are not on a loop (the Debian archive's release
// files): a loop of its own, the libcurl client on it, transient failures tried again as the
// registry client tries them, redirects followed. Tests give a fake client in the options.
#pragma once

#include <uv.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "registry/http_client.h"
#include "registry/retry.h"
#include "util/error.h"

namespace xb::registry {

struct HttpGetOptions {
  std::chrono::seconds connect_timeout{10};
  std::chrono::seconds low_speed_timeout{30};  // a transfer stalled this long fails
  RetryPolicy retry{3, std::chrono::milliseconds(200), std::chrono::milliseconds(2000)};
  // The client made for the loop; empty: libcurl's (make_curl_http_client). Tests put a fake here.
  std::function<std::unique_ptr<HttpClient>(uv_loop_t* loop)> http_client;
};

// The answer to GET `url`, whatever its status (408, 429 and 5xx only once retries are spent).
// Fails only when no answer came at all: "cannot reach <url>: <libcurl's reason>".
Result<HttpResponse> http_get_response(const std::string& url, const HttpGetOptions& options = {});

// The body of a 2xx answer to GET `url`; any other status fails with "<url>: HTTP <status>".
Result<std::string> http_get(const std::string& url, const HttpGetOptions& options = {});

}  // namespace xb::registry

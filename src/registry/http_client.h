// HTTP transfers on a libuv loop: send() starts a request and returns at once; the callback
// runs on the loop when the response is complete. Many transfers run at once on one thread.
// Bodies can come from a string or a byte range of a file, and go to a string or a file.
// libcurl stays inside the registry's .cpp files (registry/libcurl.h); tests answer requests
// with tests/support/fake_http_client.h.
#pragma once

#include <uv.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace xb::registry {

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;                  // sent when body_file is empty
  std::filesystem::path body_file;   // send bytes [body_offset, body_offset + body_length)
  std::int64_t body_offset = 0;
  std::int64_t body_length = -1;         // -1: to the end of the file
  std::filesystem::path response_file;   // when set, a 2xx body is written there instead
  std::int64_t max_response_bytes = -1;  // a 2xx body to response_file longer than this fails at once
  bool follow_redirects = false;         // GETs of blobs may be redirected to storage
};

struct HttpResponse {
  long status = 0;                             // 0 when the transfer itself failed
  std::string transport_error;                 // connection reset, timeout, TLS ... (status 0)
  std::map<std::string, std::string> headers;  // lowercase names
  std::string body;
  bool timed_out = false;          // no connection within connect_timeout, or no data for low_speed_timeout
  bool connect_timed_out = false;  // the first of those
  bool transient = false;          // a transport failure worth retrying (reset, timeout, refused)
  bool write_failed = false;       // response_file could not be written (transport_error says why)
  std::int64_t received = 0;       // body bytes of a failed transfer that arrived before it ended
  std::int64_t expected = -1;      // the Content-Length of that body, -1 when none came
  int attempts = 1;                // how many times the request was sent (set by whoever retried it)

  std::string header(const std::string& lowercase_name) const {
    auto it = headers.find(lowercase_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

using HttpCallback = std::function<void(HttpResponse)>;

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  virtual void send(HttpRequest request, HttpCallback done) = 0;
  // Runs `callback` on the loop after `delay` (backoff between retries).
  virtual void after(std::chrono::milliseconds delay, std::function<void()> callback) = 0;
};

// A transport failure's transport_error says what happened in words a user can act on: "no
// connection within 10 s", "no answer within 30 s", "no data for 30 s after 1000 of 4000 bytes",
// "the connection closed after 1000 of 4000 bytes", "writing PATH: No space left on device".
struct HttpClientOptions {
  std::chrono::seconds connect_timeout{10};
  std::chrono::seconds low_speed_timeout{30};  // no first byte, or less than 1 byte/s, this long
  std::string user_agent = "xbuild";
};

// The libcurl multi interface driven by the loop's poll and timer handles. The client must be
// destroyed before the loop is closed; transfers still running are cancelled without callbacks.
std::unique_ptr<HttpClient> make_curl_http_client(uv_loop_t* loop, const HttpClientOptions& options = {});

}  // namespace xb::registry

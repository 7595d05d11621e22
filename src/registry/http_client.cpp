// libcurl's multi interface on a libuv loop (curl's "multi-uv" pattern). curl tells us which
// sockets to watch through CURLMOPT_SOCKETFUNCTION: each watched socket gets a uv_poll_t whose
// events are handed back with curl_multi_socket_action(); curl asks for one timeout through
// CURLMOPT_TIMERFUNCTION, kept in one uv_timer_t. After every action, finished transfers are
// collected with curl_multi_info_read() and their callbacks run. Nothing blocks and there is
// no thread: every transfer progresses while the loop also runs processes and timers.
// A request body is read from a string or a file range through CURLOPT_READFUNCTION; a 2xx
// response body goes to a file when asked (other bodies, error texts, stay in memory).
// A body that cannot be written keeps the errno of the failed write (libcurl only knows that the
// callback refused the bytes), so a full disk is reported as such, with the file's path. A
// failed transfer is described from what arrived: no connection, no answer, a stall or a close
// after N of M bytes. A poll error is handed to libcurl as readable and writable, so that its
// own recv()/send() meet the socket's error (a reset, an early close) and say which.
// A finished transfer's headers are read with curl_easy_nextheader (those of the last response,
// after redirects) into a map by lowercase name.
#include "registry/http_client.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <set>

#include "registry/libcurl.h"
#include "util/error.h"
#include "util/strings.h"

namespace xb::registry {

namespace {

// Error bodies are kept for messages only; a misbehaving server cannot fill memory.
constexpr std::size_t kMaxInMemoryBody = 64 * 1024 * 1024;

struct Transfer {
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  HttpRequest request;
  HttpResponse response;
  HttpCallback done;
  std::FILE* upload = nullptr;
  std::int64_t upload_left = 0;
  std::size_t upload_offset = 0;  // into request.body
  std::FILE* download = nullptr;
  int write_errno = 0;                // of the response_file write that failed
  std::int64_t written = 0;           // to response_file so far
  bool longer_than_declared = false;  // response_file passed request.max_response_bytes
  bool body_too_large = false;        // an in-memory body passed kMaxInMemoryBody
  char error[CURL_ERROR_SIZE] = {0};

  ~Transfer() {
    if (upload) std::fclose(upload);
    if (download) std::fclose(download);
    if (headers) curl_slist_free_all(headers);
    if (easy) curl_easy_cleanup(easy);
  }
};

struct SocketWatch {
  uv_poll_t poll;
  curl_socket_t socket;
  class CurlHttpClient* client;
};

struct DelayedCall {
  uv_timer_t timer;
  std::function<void()> callback;
  class CurlHttpClient* client;
};

class CurlHttpClient final : public HttpClient {
 public:
  CurlHttpClient(uv_loop_t* loop, const HttpClientOptions& options) : loop_(loop), options_(options) {
    initialise_libcurl();  // first: throws before anything is made when libcurl cannot start
    multi_ = curl_multi_init();
    curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &CurlHttpClient::on_socket);
    curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &CurlHttpClient::on_curl_timer);
    curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
    curl_multi_setopt(multi_, CURLMOPT_MAX_HOST_CONNECTIONS, 16L);
    timer_ = new uv_timer_t;
    uv_timer_init(loop_, timer_);
    timer_->data = this;
  }

  ~CurlHttpClient() override {
    closing_ = true;
    for (Transfer* transfer : transfers_) {
      curl_multi_remove_handle(multi_, transfer->easy);
      delete transfer;
    }
    curl_multi_cleanup(multi_);
    uv_close(reinterpret_cast<uv_handle_t*>(timer_),
             [](uv_handle_t* handle) { delete reinterpret_cast<uv_timer_t*>(handle); });
    for (DelayedCall* call : delayed_)
      uv_close(reinterpret_cast<uv_handle_t*>(&call->timer),
               [](uv_handle_t* handle) { delete static_cast<DelayedCall*>(handle->data); });
  }

  void send(HttpRequest request, HttpCallback done) override {
    auto* transfer = new Transfer;
    transfer->request = std::move(request);
    transfer->done = std::move(done);
    if (!configure(*transfer)) {
      HttpResponse response = std::move(transfer->response);
      HttpCallback callback = std::move(transfer->done);
      delete transfer;
      callback(std::move(response));
      return;
    }
    transfers_.insert(transfer);
    curl_multi_add_handle(multi_, transfer->easy);
  }

  void after(std::chrono::milliseconds delay, std::function<void()> callback) override {
    auto* call = new DelayedCall{{}, std::move(callback), this};
    uv_timer_init(loop_, &call->timer);
    call->timer.data = call;
    delayed_.insert(call);
    uv_timer_start(
        &call->timer,
        [](uv_timer_t* timer) {
          auto* fired = static_cast<DelayedCall*>(timer->data);
          fired->client->delayed_.erase(fired);
          std::function<void()> run = std::move(fired->callback);
          uv_close(reinterpret_cast<uv_handle_t*>(timer),
                   [](uv_handle_t* handle) { delete static_cast<DelayedCall*>(handle->data); });
          run();
        },
        static_cast<std::uint64_t>(std::max<std::int64_t>(0, delay.count())), 0);
  }

 private:
  bool configure(Transfer& transfer) {
    const HttpRequest& request = transfer.request;
    CURL* easy = transfer.easy = curl_easy_init();
    curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(easy, CURLOPT_PRIVATE, &transfer);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, transfer.error);
    curl_easy_setopt(easy, CURLOPT_USERAGENT, options_.user_agent.c_str());
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT, static_cast<long>(options_.connect_timeout.count()));
    curl_easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(easy, CURLOPT_LOW_SPEED_TIME, static_cast<long>(options_.low_speed_timeout.count()));
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &CurlHttpClient::on_body);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &transfer);
    if (request.follow_redirects) {
      // curl drops our Authorization header when a redirect leaves the host.
      curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 1L);
      curl_easy_setopt(easy, CURLOPT_MAXREDIRS, 5L);
    }
    transfer.headers = curl_slist_append(transfer.headers, "Expect:");
    for (const std::string& header : request.headers)
      transfer.headers = curl_slist_append(transfer.headers, header.c_str());
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, transfer.headers);

    if (request.method == "HEAD") {
      curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
    } else if (request.method != "GET") {
      std::int64_t length = static_cast<std::int64_t>(request.body.size());
      if (!request.body_file.empty()) {
        transfer.upload = std::fopen(request.body_file.c_str(), "rb");
        if (!transfer.upload || std::fseek(transfer.upload, static_cast<long>(request.body_offset), SEEK_SET) != 0) {
          transfer.response.transport_error = "cannot read " + request.body_file.string();
          return false;
        }
        length = request.body_length;
        if (length < 0) {
          std::error_code ec;
          length = static_cast<std::int64_t>(std::filesystem::file_size(request.body_file, ec)) - request.body_offset;
        }
      }
      transfer.upload_left = length;
      curl_easy_setopt(easy, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(easy, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(length));
      curl_easy_setopt(easy, CURLOPT_READFUNCTION, &CurlHttpClient::on_read);
      curl_easy_setopt(easy, CURLOPT_READDATA, &transfer);
      curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
    return true;
  }

  static std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
    auto* transfer = static_cast<Transfer*>(user);
    std::size_t bytes = size * count;
    long status = 0;
    curl_easy_getinfo(transfer->easy, CURLINFO_RESPONSE_CODE, &status);
    if (!transfer->request.response_file.empty() && status >= 200 && status < 300) {
      errno = 0;
      if (!transfer->download) transfer->download = std::fopen(transfer->request.response_file.c_str(), "wb");
      if (!transfer->download) {
        transfer->write_errno = errno != 0 ? errno : EIO;
        return 0;
      }
      if (transfer->request.max_response_bytes >= 0 &&
          transfer->written + static_cast<std::int64_t>(bytes) > transfer->request.max_response_bytes) {
        transfer->longer_than_declared = true;  // stop now, not after a hostile server's terabytes
        return 0;
      }
      transfer->written += static_cast<std::int64_t>(bytes);
      std::size_t written = std::fwrite(data, 1, bytes, transfer->download);
      if (written != bytes) transfer->write_errno = errno != 0 ? errno : EIO;
      return written;
    }
    if (transfer->response.body.size() + bytes > kMaxInMemoryBody) {
      transfer->body_too_large = true;
      return 0;
    }
    transfer->response.body.append(data, bytes);
    return bytes;
  }

  static std::size_t on_read(char* buffer, std::size_t size, std::size_t count, void* user) {
    auto* transfer = static_cast<Transfer*>(user);
    std::size_t want =
        std::min<std::size_t>(size * count, static_cast<std::size_t>(std::max<std::int64_t>(0, transfer->upload_left)));
    if (want == 0) return 0;
    std::size_t got = 0;
    if (transfer->upload) {
      got = std::fread(buffer, 1, want, transfer->upload);
      if (got == 0) return CURL_READFUNC_ABORT;
    } else {
      got = std::min(want, transfer->request.body.size() - transfer->upload_offset);
      std::copy_n(transfer->request.body.data() + transfer->upload_offset, got, buffer);
      transfer->upload_offset += got;
    }
    transfer->upload_left -= static_cast<std::int64_t>(got);
    return got;
  }

  static int on_socket(CURL*, curl_socket_t socket, int action, void* user, void* socket_data) {
    auto* client = static_cast<CurlHttpClient*>(user);
    auto* watch = static_cast<SocketWatch*>(socket_data);
    if (action == CURL_POLL_REMOVE) {
      if (watch) {
        uv_poll_stop(&watch->poll);
        uv_close(reinterpret_cast<uv_handle_t*>(&watch->poll),
                 [](uv_handle_t* handle) { delete static_cast<SocketWatch*>(handle->data); });
        curl_multi_assign(client->multi_, socket, nullptr);
      }
      return 0;
    }
    if (!watch) {
      watch = new SocketWatch{{}, socket, client};
      uv_poll_init_socket(client->loop_, &watch->poll, socket);
      watch->poll.data = watch;
      curl_multi_assign(client->multi_, socket, watch);
    }
    int events = 0;
    if (action != CURL_POLL_OUT) events |= UV_READABLE;
    if (action != CURL_POLL_IN) events |= UV_WRITABLE;
    uv_poll_start(&watch->poll, events, [](uv_poll_t* poll, int status, int ready) {
      auto* fired = static_cast<SocketWatch*>(poll->data);
      int flags = 0;
      if (status < 0) flags = CURL_CSELECT_IN | CURL_CSELECT_OUT;  // libcurl's recv/send find the error
      if (ready & UV_READABLE) flags |= CURL_CSELECT_IN;
      if (ready & UV_WRITABLE) flags |= CURL_CSELECT_OUT;
      CurlHttpClient* owner = fired->client;
      int running = 0;
      curl_multi_socket_action(owner->multi_, fired->socket, flags, &running);
      owner->collect_finished();
    });
    return 0;
  }

  static int on_curl_timer(CURLM*, long timeout_ms, void* user) {
    auto* client = static_cast<CurlHttpClient*>(user);
    if (client->closing_) return 0;
    if (timeout_ms < 0) {
      uv_timer_stop(client->timer_);
      return 0;
    }
    uv_timer_start(
        client->timer_,
        [](uv_timer_t* timer) {
          auto* owner = static_cast<CurlHttpClient*>(timer->data);
          int running = 0;
          curl_multi_socket_action(owner->multi_, CURL_SOCKET_TIMEOUT, 0, &running);
          owner->collect_finished();
        },
        static_cast<std::uint64_t>(timeout_ms), 0);
    return 0;
  }

  // The headers of the last response (after redirects), by lowercase name; a repeated header
  // keeps its last value.
  static std::map<std::string, std::string> headers_of(CURL* easy) {
    std::map<std::string, std::string> headers;
    curl_header* previous = nullptr;
    while (curl_header* header = curl_easy_nextheader(easy, CURLH_HEADER, -1, previous)) {
      headers[to_lower(header->name)] = std::string(trim(header->value));
      previous = header;
    }
    return headers;
  }

  static std::string bytes_of(std::int64_t received, std::int64_t expected) {
    return std::to_string(received) + (expected >= 0 ? " of " + std::to_string(expected) : "") + " bytes";
  }

  // What ended a failed transfer, from what arrived (see the top of the file); fills in the
  // response's byte counts.
  std::string describe_failure(const Transfer& transfer, CURLcode code, HttpResponse& response) const {
    if (transfer.write_errno != 0)
      return "writing " + transfer.request.response_file.string() + ": " + std::strerror(transfer.write_errno);
    if (transfer.longer_than_declared)
      return "the answer is longer than the " + std::to_string(transfer.request.max_response_bytes) +
             " bytes its descriptor declares";
    if (transfer.body_too_large)
      return "the answer is larger than " + std::to_string(kMaxInMemoryBody / (1024 * 1024)) + " MiB";
    curl_off_t received = 0;
    curl_off_t expected = -1;
    curl_off_t connected_after = 0;
    long status = 0;
    curl_easy_getinfo(transfer.easy, CURLINFO_SIZE_DOWNLOAD_T, &received);
    curl_easy_getinfo(transfer.easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &expected);
    curl_easy_getinfo(transfer.easy, CURLINFO_CONNECT_TIME_T, &connected_after);
    curl_easy_getinfo(transfer.easy, CURLINFO_RESPONSE_CODE, &status);
    response.received = received;
    response.expected = expected;
    if (code == CURLE_OPERATION_TIMEDOUT) {
      if (connected_after == 0) {
        response.connect_timed_out = true;
        return "no connection within " + std::to_string(options_.connect_timeout.count()) + " s";
      }
      std::string seconds = std::to_string(options_.low_speed_timeout.count()) + " s";
      if (status == 0) return "no answer within " + seconds;
      return "no data for " + seconds + " after " + bytes_of(received, expected);
    }
    if (code == CURLE_GOT_NOTHING) return "the connection closed without an answer";
    if ((code == CURLE_PARTIAL_FILE || code == CURLE_RECV_ERROR) && status != 0)
      return "the connection closed after " + bytes_of(received, expected);
    return transfer.error[0] ? transfer.error : curl_easy_strerror(code);
  }

  void collect_finished() {
    int left = 0;
    while (CURLMsg* message = curl_multi_info_read(multi_, &left)) {
      if (message->msg != CURLMSG_DONE) continue;
      Transfer* transfer = nullptr;
      curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &transfer);
      CURLcode code = message->data.result;
      curl_multi_remove_handle(multi_, transfer->easy);
      transfers_.erase(transfer);
      HttpResponse response = std::move(transfer->response);
      response.headers = headers_of(transfer->easy);
      if (code == CURLE_OK) {
        curl_easy_getinfo(transfer->easy, CURLINFO_RESPONSE_CODE, &response.status);
      } else {
        response.status = 0;
        response.timed_out = code == CURLE_OPERATION_TIMEDOUT;
        // Certificate and protocol errors stay errors; resets, timeouts and refusals may pass.
        // A file that cannot be written fails the same way on every try.
        response.write_failed = transfer->write_errno != 0;
        response.transient = !response.write_failed && !transfer->longer_than_declared &&
                             (code == CURLE_OPERATION_TIMEDOUT || code == CURLE_COULDNT_CONNECT ||
                              code == CURLE_SEND_ERROR || code == CURLE_RECV_ERROR || code == CURLE_GOT_NOTHING ||
                              code == CURLE_PARTIAL_FILE || code == CURLE_READ_ERROR);
        response.transport_error = describe_failure(*transfer, code, response);
        response.body.clear();
      }
      errno = 0;
      if (transfer->download && std::fclose(transfer->download) != 0 && response.transport_error.empty()) {
        response.status = 0;
        response.write_failed = true;
        response.transport_error =
            "writing " + transfer->request.response_file.string() + ": " + std::strerror(errno != 0 ? errno : EIO);
      }
      transfer->download = nullptr;
      HttpCallback done = std::move(transfer->done);
      delete transfer;
      done(std::move(response));
    }
  }

  uv_loop_t* loop_;
  HttpClientOptions options_;
  CURLM* multi_ = nullptr;
  uv_timer_t* timer_ = nullptr;
  std::set<Transfer*> transfers_;
  std::set<DelayedCall*> delayed_;
  bool closing_ = false;
};

}  // namespace

std::unique_ptr<HttpClient> make_curl_http_client(uv_loop_t* loop, const HttpClientOptions& options) {
  return std::make_unique<CurlHttpClient>(loop, options);
}

}  // namespace xb::registry

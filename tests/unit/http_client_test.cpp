// Tests for registry/http_client: libcurl on the uv loop against a real registry (Debian's
// docker-registry on 127.0.0.1): the headers of a response by lowercase name, bodies to memory
// or to a file, a transport failure; against a bare socket (tests/support: none needed), what
// each way a transfer can end is called: no answer, a close after N of M bytes, a file that
// cannot be written.
#include "registry/http_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "support/registry_fixture.h"
#include "support/scratch_dir.h"
#include "util/fs.h"

namespace xb::registry {
namespace {

namespace fs = std::filesystem;

// A server on 127.0.0.1 that accepts one connection, reads the request's head, writes `reply`
// and then closes the connection, or, when `then_close` is false, keeps it open and silent
// until the server goes.
class RawServer {
 public:
  RawServer(std::string reply, bool then_close) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    ::bind(listener_, reinterpret_cast<sockaddr*>(&address), length);
    ::listen(listener_, 4);
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this, reply = std::move(reply), then_close] {
      int connection = ::accept(listener_, nullptr, nullptr);
      if (connection < 0) return;
      connection_ = connection;
      std::string head;
      char buffer[4096];
      while (head.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = ::read(connection, buffer, sizeof(buffer));
        if (n <= 0) break;
        head.append(buffer, static_cast<std::size_t>(n));
      }
      if (!reply.empty()) (void)!::write(connection, reply.data(), reply.size());
      if (!then_close) {
        while (::read(connection, buffer, sizeof(buffer)) > 0) {
        }
      }
      ::close(connection);
    });
  }
  ~RawServer() {
    ::shutdown(listener_, SHUT_RDWR);                          // ends a waiting accept()
    if (connection_ >= 0) ::shutdown(connection_, SHUT_RDWR);  // and a waiting read()
    thread_.join();
    ::close(listener_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v2/x/blobs/sha256:ab"; }

 private:
  int listener_ = -1;
  int port_ = 0;
  std::atomic<int> connection_{-1};
  std::thread thread_;
};

bool have_registry() { return std::system("command -v docker-registry >/dev/null 2>&1") == 0; }

class HttpClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    uv_loop_init(&loop_);
    http_ = make_curl_http_client(&loop_);
  }
  void use_timeouts(int connect_seconds, int stall_seconds) {
    http_.reset();
    HttpClientOptions options;
    options.connect_timeout = std::chrono::seconds(connect_seconds);
    options.low_speed_timeout = std::chrono::seconds(stall_seconds);
    http_ = make_curl_http_client(&loop_, options);
  }
  void TearDown() override {
    http_.reset();
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop_), 0);
  }
  void start_registry() {
    if (!have_registry()) {
      if (std::getenv("CI") && std::string(std::getenv("CI")) == "true")
        FAIL() << "missing tools in CI: docker-registry";
      GTEST_SKIP() << "missing tools: docker-registry";
    }
    registry_ = std::make_unique<testing::LocalRegistry>(scratch_ / "registry");
    ASSERT_TRUE(registry_->ok()) << registry_->error();
  }
  HttpResponse send(HttpRequest request) {
    std::optional<HttpResponse> answer;
    http_->send(std::move(request), [&answer](HttpResponse response) { answer.emplace(std::move(response)); });
    while (!answer && uv_run(&loop_, UV_RUN_ONCE) != 0) {
    }
    return answer.value_or(HttpResponse{});
  }

  testing::ScratchDir scratch_;
  std::unique_ptr<testing::LocalRegistry> registry_;
  uv_loop_t loop_;
  std::unique_ptr<HttpClient> http_;
};

TEST_F(HttpClientTest, ResponseHeadersByLowercaseName) {
  start_registry();
  if (IsSkipped() || HasFailure()) return;
  HttpRequest request;
  request.url = "http://" + registry_->host() + "/v2/";
  HttpResponse response = send(request);
  EXPECT_EQ(response.status, 200) << response.transport_error;
  EXPECT_EQ(response.header("docker-distribution-api-version"), "registry/2.0");
  EXPECT_EQ(response.header("content-type"), "application/json; charset=utf-8");
  EXPECT_EQ(response.header("Content-Type"), "");  // names are lowercase
  EXPECT_EQ(response.body, "{}");
}

TEST_F(HttpClientTest, AnErrorBodyStaysInMemoryWhenASuccessWouldGoToAFile) {
  start_registry();
  if (IsSkipped() || HasFailure()) return;
  HttpRequest request;
  request.method = "HEAD";
  request.url = "http://" + registry_->host() + "/v2/test/app/manifests/missing";
  HttpResponse head = send(request);
  EXPECT_EQ(head.status, 404);
  EXPECT_EQ(head.body, "");
  request.method = "GET";
  request.response_file = scratch_ / "manifest";
  HttpResponse get = send(request);
  EXPECT_EQ(get.status, 404);
  EXPECT_NE(get.body.find("MANIFEST_UNKNOWN"), std::string::npos) << get.body;
  EXPECT_FALSE(fs::exists(scratch_ / "manifest"));
  request.url = "http://" + registry_->host() + "/v2/";
  HttpResponse found = send(request);
  EXPECT_EQ(found.status, 200);
  EXPECT_EQ(found.body, "");
  EXPECT_EQ(read_file(scratch_ / "manifest").value(), "{}");
}

TEST_F(HttpClientTest, ARefusedConnectionIsATransientTransportFailure) {
  HttpRequest request;
  request.url = "http://127.0.0.1:" + std::to_string(testing::free_port()) + "/v2/";
  HttpResponse response = send(request);
  EXPECT_EQ(response.status, 0);
  EXPECT_TRUE(response.transient);
  EXPECT_FALSE(response.transport_error.empty());
  EXPECT_TRUE(response.headers.empty());
}

TEST_F(HttpClientTest, AServerThatNeverAnswersTimesOutAfterTheFirstByteTimeout) {
  use_timeouts(5, 1);
  RawServer silent("", false);
  HttpRequest request;
  request.url = silent.url();
  auto started = std::chrono::steady_clock::now();
  HttpResponse response = send(request);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_EQ(response.status, 0);
  EXPECT_EQ(response.transport_error, "no answer within 1 s");
  EXPECT_TRUE(response.timed_out);
  EXPECT_FALSE(response.connect_timed_out);
  EXPECT_TRUE(response.transient);
  EXPECT_GE(seconds, 0.9);
  EXPECT_LT(seconds, 3.0);
}

TEST_F(HttpClientTest, AStalledBodySaysHowMuchArrived) {
  use_timeouts(5, 1);
  RawServer stalled("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789", false);
  HttpRequest request;
  request.url = stalled.url();
  HttpResponse response = send(request);
  EXPECT_EQ(response.transport_error, "no data for 1 s after 10 of 100 bytes");
  EXPECT_TRUE(response.timed_out);
  EXPECT_EQ(response.received, 10);
  EXPECT_EQ(response.expected, 100);
}

TEST_F(HttpClientTest, AConnectionClosedEarlySaysAfterHowManyBytes) {
  RawServer cut("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789", true);
  HttpRequest request;
  request.url = cut.url();
  request.response_file = scratch_ / "blob";
  HttpResponse response = send(request);
  EXPECT_EQ(response.status, 0);
  EXPECT_EQ(response.transport_error, "the connection closed after 10 of 100 bytes");
  EXPECT_TRUE(response.transient);
  EXPECT_FALSE(response.timed_out);

  RawServer nothing("", true);
  request.url = nothing.url();
  response = send(request);
  EXPECT_EQ(response.transport_error, "the connection closed without an answer");
  EXPECT_TRUE(response.transient);
}

TEST_F(HttpClientTest, AFileThatCannotBeWrittenIsNamedWithItsErrnoAndNotRetried) {
  RawServer server("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789", true);
  HttpRequest request;
  request.url = server.url();
  request.response_file = scratch_ / "missing" / "blob";
  HttpResponse response = send(request);
  EXPECT_EQ(response.status, 0);
  EXPECT_EQ(response.transport_error,
            "writing " + (scratch_ / "missing" / "blob").string() + ": No such file or directory");
  EXPECT_TRUE(response.write_failed);
  EXPECT_FALSE(response.transient);
}

TEST_F(HttpClientTest, ABodyLongerThanDeclaredStopsAtOnceAndIsNotRetried) {
  RawServer server("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + std::string(100, 'x'), true);
  HttpRequest request;
  request.url = server.url();
  request.response_file = scratch_ / "blob";
  request.max_response_bytes = 10;
  HttpResponse response = send(request);
  EXPECT_EQ(response.status, 0);
  EXPECT_EQ(response.transport_error, "the answer is longer than the 10 bytes its descriptor declares");
  EXPECT_FALSE(response.transient);
  std::error_code ec;
  EXPECT_LE(fs::file_size(scratch_ / "blob", ec), 10u);
}

}  // namespace
}  // namespace xb::registry

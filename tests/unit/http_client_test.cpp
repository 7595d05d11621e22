// Tests for registry/http_client: libcurl on the uv loop against a real registry (Debian's
// docker-registry on 127.0.0.1): the headers of a response by lowercase name, bodies to memory
// or to a file, a transport failure.
#include "registry/http_client.h"

#include <gtest/gtest.h>

#include "support/registry_fixture.h"
#include "support/scratch_dir.h"
#include "util/fs.h"

namespace xb::registry {
namespace {

namespace fs = std::filesystem;

bool have_registry() { return std::system("command -v docker-registry >/dev/null 2>&1") == 0; }

class HttpClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    uv_loop_init(&loop_);
    http_ = make_curl_http_client(&loop_);
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

}  // namespace
}  // namespace xb::registry

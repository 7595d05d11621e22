// Tests for registry/http_get: one GET off any loop, against a fake client (answers, retries of
// 5xx and transient failures, a name that does not resolve) and against libcurl (a port where
// nothing listens).
#include "registry/http_get.h"

#include <gtest/gtest.h>

#include "support/fake_http_client.h"

namespace xb::registry {
namespace {

using testing::CannedResponse;
using testing::FakeHttpClient;

// Options whose client answers with `answers` in turn (the last one again once they run out)
// and counts the requests.
HttpGetOptions answering(std::vector<CannedResponse> answers, int* requests) {
  HttpGetOptions options;
  options.http_client = [answers, requests](uv_loop_t* loop) -> std::unique_ptr<HttpClient> {
    return std::make_unique<FakeHttpClient>(loop, [answers, requests](const HttpRequest& request) {
      EXPECT_EQ(request.method, "GET");
      EXPECT_TRUE(request.follow_redirects);
      std::size_t index = std::min<std::size_t>(static_cast<std::size_t>((*requests)++), answers.size() - 1);
      return FakeHttpClient::response(answers[index]);
    });
  };
  return options;
}

TEST(HttpGet, ReturnsTheBodyOfA200) {
  int requests = 0;
  Result<std::string> body = http_get("http://mirror.example/file", answering({{200, {}, "hello"}}, &requests));
  ASSERT_TRUE(body.ok()) << body.error();
  EXPECT_EQ(body.value(), "hello");
  EXPECT_EQ(requests, 1);
}

TEST(HttpGet, AnotherStatusIsAFailureThatNamesTheUrl) {
  int requests = 0;
  Result<std::string> body = http_get("http://mirror.example/missing", answering({{404, {}, "no"}}, &requests));
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.error(), "http://mirror.example/missing: HTTP 404");
  EXPECT_EQ(requests, 1) << "a 404 is not tried again";
}

TEST(HttpGet, ServerErrorsAndTransientFailuresAreTriedAgain) {
  int requests = 0;
  CannedResponse reset{0, {}, "", "Connection reset by peer", true};
  Result<std::string> body =
      http_get("http://mirror.example/f", answering({{503, {}, ""}, reset, {200, {}, "ok"}}, &requests));
  ASSERT_TRUE(body.ok()) << body.error();
  EXPECT_EQ(body.value(), "ok");
  EXPECT_EQ(requests, 3);
}

TEST(HttpGet, TheLastAnswerStandsOnceTheAttemptsAreSpent) {
  int requests = 0;
  Result<HttpResponse> response = http_get_response("http://mirror.example/f", answering({{503, {}, ""}}, &requests));
  ASSERT_TRUE(response.ok()) << response.error();
  EXPECT_EQ(response.value().status, 503);
  EXPECT_EQ(requests, 3);
}

TEST(HttpGet, NoAnswerAtAllIsAFailureWithLibcurlsReason) {
  int requests = 0;
  CannedResponse unresolved{0, {}, "", "Could not resolve host: mirror.example", false};
  Result<HttpResponse> response = http_get_response("http://mirror.example/f", answering({unresolved}, &requests));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error(), "cannot reach http://mirror.example/f: Could not resolve host: mirror.example");
  EXPECT_EQ(requests, 1) << "a name that does not resolve is not tried again";
}

TEST(HttpGet, LibcurlReportsAPortWhereNothingListens) {
  HttpGetOptions options;
  options.retry.max_attempts = 1;
  // Port 9 (discard) on the loopback: nothing listens there on a test machine.
  Result<HttpResponse> response = http_get_response("http://127.0.0.1:9/x", options);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().rfind("cannot reach http://127.0.0.1:9/x: ", 0), 0u) << response.error();
}

}  // namespace
}  // namespace xb::registry

#include "registry/retry.h"

#include <gtest/gtest.h>

namespace xb::registry {
namespace {

using std::chrono::milliseconds;

TEST(Retry, RetriesServerErrorsThrottlingTimeoutsAndResets) {
  RetryPolicy policy;
  for (long status : {0L, 408L, 429L, 500L, 502L, 503L, 504L})
    EXPECT_TRUE(policy.delay_after(1, status, "", 0.0, 0).has_value()) << status;
  for (long status : {-1L, 400L, 401L, 403L, 404L, 409L, 416L})
    EXPECT_FALSE(policy.delay_after(1, status, "", 0.0, 0).has_value()) << status;
}

TEST(Retry, BackoffDoublesWithJitterUpToTheCap) {
  RetryPolicy policy;
  policy.max_attempts = 20;
  // jitter 0: half the delay; jitter -> 1: the whole delay
  EXPECT_EQ(policy.delay_after(1, 503, "", 0.0, 0), milliseconds(100));
  EXPECT_EQ(policy.delay_after(2, 503, "", 0.0, 0), milliseconds(200));
  EXPECT_EQ(policy.delay_after(3, 503, "", 0.0, 0), milliseconds(400));
  EXPECT_EQ(policy.delay_after(3, 503, "", 0.5, 0), milliseconds(600));
  EXPECT_EQ(policy.delay_after(15, 503, "", 0.0, 0), milliseconds(5000));
}

TEST(Retry, GivesUpAfterTheLastAttempt) {
  RetryPolicy policy;
  EXPECT_TRUE(policy.delay_after(5, 503, "", 0.0, 0).has_value());
  EXPECT_FALSE(policy.delay_after(6, 503, "", 0.0, 0).has_value());
}

TEST(Retry, HonoursRetryAfterSecondsAndDatesCappedAtTheMaximum) {
  RetryPolicy policy;
  EXPECT_EQ(policy.delay_after(1, 429, "3", 0.9, 0), milliseconds(3000));
  EXPECT_EQ(policy.delay_after(1, 503, "0", 0.9, 0), milliseconds(0));
  EXPECT_EQ(policy.delay_after(1, 503, "3600", 0.9, 0), milliseconds(10000));
  // Sun, 06 Nov 1994 08:49:37 GMT is 784111777
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111770), 7);
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111800), 0);
  // The two obsolete forms HTTP still allows, RFC 850 and asctime.
  EXPECT_EQ(parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", 784111770), 7);
  EXPECT_EQ(parse_retry_after("Sun Nov  6 08:49:37 1994", 784111770), 7);
  EXPECT_EQ(parse_retry_after("soon", 0), std::nullopt);
  EXPECT_EQ(policy.delay_after(1, 503, "soon", 0.0, 0), milliseconds(100));
}

}  // namespace
}  // namespace xb::registry

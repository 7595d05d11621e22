// When to try a request again: on 408, 429 and 5xx answers, on connection resets and on
// timeouts, up to a number of attempts, waiting an exponentially growing delay with jitter,
// or what the server's Retry-After says (seconds or an HTTP date) when it says so. A request that
// timed out is tried at most max_timeout_attempts times: a host that does not answer fails
// within that many timeouts, not max_attempts of them.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace xb::registry {

struct RetryPolicy {
  int max_attempts = 6;                        // the first try included
  std::chrono::milliseconds base_delay{200};   // before the 2nd attempt; doubles each time
  std::chrono::milliseconds max_delay{10000};  // cap of the backoff and of Retry-After
  int max_timeout_attempts = 2;                // of those, the ones that may end in a timeout

  static bool retryable_status(long status) { return status == 408 || status == 429 || status >= 500; }

  // The wait before attempt `attempt + 1` after attempt `attempt` (1-based) ended with `status`
  // (0: a transport failure worth retrying, negative: one that is not), or nullopt when the
  // request should not be tried again.
  // `jitter` in [0, 1) spreads the delay over [delay/2, delay).
  std::optional<std::chrono::milliseconds> delay_after(int attempt, long status, const std::string& retry_after,
                                                       double jitter, std::int64_t now_seconds) const;
};

// Seconds to wait from a Retry-After value: "120" or an HTTP date ("Sun, 06 Nov 1994 08:49:37
// GMT", read by libcurl's curl_getdate); nullopt when unparsable.
std::optional<std::int64_t> parse_retry_after(const std::string& value, std::int64_t now_seconds);

}  // namespace xb::registry

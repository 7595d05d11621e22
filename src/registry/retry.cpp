#include "registry/retry.h"

#include <algorithm>
#include <cstdlib>

#include "registry/libcurl.h"

namespace xb::registry {

std::optional<std::int64_t> parse_retry_after(const std::string& value, std::int64_t now_seconds) {
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::strtoll(value.c_str(), nullptr, 10);
  // An HTTP date, in any of the three forms RFC 9110 allows.
  time_t when = curl_getdate(value.c_str(), nullptr);
  if (when == -1) return std::nullopt;
  return std::max<std::int64_t>(0, static_cast<std::int64_t>(when) - now_seconds);
}

std::optional<std::chrono::milliseconds> RetryPolicy::delay_after(int attempt, long status,
                                                                  const std::string& retry_after, double jitter,
                                                                  std::int64_t now_seconds) const {
  if (attempt >= max_attempts) return std::nullopt;
  if (status != 0 && !retryable_status(status)) return std::nullopt;
  if (std::optional<std::int64_t> seconds = parse_retry_after(retry_after, now_seconds))
    return std::min(max_delay, std::chrono::milliseconds(*seconds * 1000));
  std::chrono::milliseconds delay = base_delay * (1LL << std::min(attempt - 1, 20));
  delay = std::min(delay, max_delay);
  return std::chrono::milliseconds(delay.count() / 2 +
                                   static_cast<std::int64_t>(jitter * static_cast<double>(delay.count()) / 2));
}

}  // namespace xb::registry

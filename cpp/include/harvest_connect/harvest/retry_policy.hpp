#pragma once
// When a Harvest API call is tried again, and after how long.
//
// - 429 Too Many Requests: the request was not processed, so any method is retried, after
//   Retry-After (at most max_retry_after), or when the header is missing (real Harvest sends
//   such 429s) after the rate window of the path (15 s general, 15 min reports): the client
//   cannot know when Harvest's window began, so it waits the whole window. At most
//   max_rate_limited_attempts attempts in all.
// - 5xx answers and dropped connections (status 0): retried with exponential backoff and
//   jitter, for idempotent methods only (GET, HEAD, OPTIONS, PUT, DELETE). A POST or PATCH
//   may have taken effect before the failure, so it is never repeated.
// - Everything within one total deadline: a wait that would end after it is not started.

#include <chrono>
#include <optional>
#include <string_view>

#include "harvest_connect/harvest/rate_limiter.hpp"

namespace harvest_connect::harvest {

// The longest Retry-After honoured. A server (or anything on the way) controls the header: a
// larger value, however large, counts as one day, and the call then gives up at its deadline
// with rate_limited rather than converting an absurd number into a wait.
inline constexpr std::chrono::seconds max_retry_after{86'400};

struct RetryPolicy {
  // Attempts in all for 5xx answers and dropped connections.
  unsigned max_attempts = 5;
  // Attempts in all when the server keeps answering 429 (e.g. with Retry-After: 0): a bound
  // besides the deadline, so that no server can make one call loop.
  unsigned max_rate_limited_attempts = 10;
  std::chrono::milliseconds initial_backoff{200};
  std::chrono::milliseconds max_backoff{10'000};
  double multiplier = 2.0;
  // The whole call, waits and retries included.
  std::chrono::milliseconds deadline{120'000};
};

[[nodiscard]] bool is_idempotent(std::string_view method) noexcept;

// The wait before attempt `attempt + 1` after attempt `attempt` (1-based) failed:
// b = min(max_backoff, initial_backoff * multiplier^(attempt-1)), "equal jitter": b/2 plus
// `unit_random` (in [0, 1)) times b/2.
[[nodiscard]] std::chrono::milliseconds backoff(const RetryPolicy& policy, unsigned attempt, double unit_random) noexcept;

// Seconds from a Retry-After value: delta-seconds ("120", "1.5") or an HTTP-date (RFC 9110
// §10.2.3, relative to `now`). nullopt when absent or malformed; clamped to
// [0, max_retry_after].
[[nodiscard]] std::optional<double> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

struct RetryDecision {
  bool retry = false;
  std::chrono::milliseconds delay{0};
  // Why not, when retry is false and the failure would otherwise be retried: "deadline",
  // "attempts"; empty when the failure is not retryable at all.
  std::string_view reason;
};

// After attempt `attempt` (1-based) ended with `status` (0: the connection failed or was
// dropped before an answer), with `retry_after` seconds when the server said, and
// `remaining` time before the deadline. `rate_window`: the wait after a 429 without
// Retry-After (the window of the path's rate limit). Every delay of a retry ends before the
// deadline; a 429 that is not retried still carries its delay (what to tell the caller).
[[nodiscard]] RetryDecision decide_retry(const RetryPolicy& policy, std::string_view method, int status,
                                         std::optional<double> retry_after, unsigned attempt,
                                         std::chrono::milliseconds remaining, double unit_random,
                                         std::chrono::milliseconds rate_window = general_rate_limit.window) noexcept;

}  // namespace harvest_connect::harvest

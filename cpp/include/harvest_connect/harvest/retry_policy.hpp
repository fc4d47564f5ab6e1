#pragma once
// When a Harvest API call is tried again, and after how long.
//
// - 429 Too Many Requests: the request was not processed, so any method is retried, after
//   Retry-After (or the backoff when the header is missing).
// - 5xx answers and dropped connections (status 0): retried with exponential backoff and
//   jitter, for idempotent methods only (GET, HEAD, OPTIONS, PUT, DELETE). A POST or PATCH
//   may have taken effect before the failure, so it is never repeated.
// - Everything within one total deadline: a wait that would end after it is not started.

#include <chrono>
#include <optional>
#include <string_view>

namespace harvest_connect::harvest {

struct RetryPolicy {
  // Attempts in all for 5xx answers and dropped connections (429s are bounded by the
  // deadline only).
  unsigned max_attempts = 5;
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
// §10.2.3, relative to `now`). nullopt when absent or malformed; never negative.
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
// `remaining` time before the deadline.
[[nodiscard]] RetryDecision decide_retry(const RetryPolicy& policy, std::string_view method, int status,
                                         std::optional<double> retry_after, unsigned attempt,
                                         std::chrono::milliseconds remaining, double unit_random) noexcept;

}  // namespace harvest_connect::harvest

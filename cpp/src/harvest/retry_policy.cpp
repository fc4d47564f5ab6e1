#include "harvest_connect/harvest/retry_policy.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <ctime>
#include <string>

#include "http/detail/text.hpp"

namespace harvest_connect::harvest {

namespace {

using http::detail::iequals;

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

constexpr double max_retry_after_seconds = static_cast<double>(max_retry_after.count());

// A server's wait in seconds, within [0, max_retry_after] (NaN counts as the most).
double bounded_seconds(double seconds) noexcept {
  if (!(seconds >= 0.0)) return seconds < 0.0 ? 0.0 : max_retry_after_seconds;
  return std::min(seconds, max_retry_after_seconds);
}

// Bounded seconds as milliseconds, rounded up: at most 86'400'000, far from overflowing.
std::chrono::milliseconds to_milliseconds(double bounded) noexcept {
  return std::chrono::milliseconds(static_cast<long long>(std::ceil(bounded * 1000.0)));
}

}  // namespace

bool is_idempotent(std::string_view method) noexcept {
  for (std::string_view m : {"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"}) {
    if (iequals(method, m)) return true;
  }
  return false;
}

std::chrono::milliseconds backoff(const RetryPolicy& policy, unsigned attempt, double unit_random) noexcept {
  const double exponent = attempt > 1 ? static_cast<double>(attempt - 1) : 0.0;
  double base = static_cast<double>(policy.initial_backoff.count()) * std::pow(std::max(policy.multiplier, 1.0), exponent);
  base = std::min(base, static_cast<double>(policy.max_backoff.count()));
  const double r = std::clamp(unit_random, 0.0, 1.0);
  return std::chrono::milliseconds(static_cast<long long>(base / 2.0 + r * base / 2.0));
}

std::optional<double> parse_retry_after(std::string_view value, std::chrono::system_clock::time_point now) {
  value = trim(value);
  if (value.empty()) return std::nullopt;
  if (value.front() >= '0' && value.front() <= '9') {
    double seconds = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (end != value.data() + value.size()) return std::nullopt;
    // A number too large for a double is still a number: the longest wait honoured.
    if (ec == std::errc::result_out_of_range) return max_retry_after_seconds;
    if (ec != std::errc() || !std::isfinite(seconds)) return std::nullopt;
    return bounded_seconds(seconds);
  }
  // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
  std::tm tm{};
  const std::string text(value);
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  const std::time_t when = timegm(&tm);
  if (when == static_cast<std::time_t>(-1)) return std::nullopt;
  const double delta = std::difftime(when, std::chrono::system_clock::to_time_t(now));
  return bounded_seconds(delta);
}

RetryDecision decide_retry(const RetryPolicy& policy, std::string_view method, int status,
                           std::optional<double> retry_after, unsigned attempt, std::chrono::milliseconds remaining,
                           double unit_random, std::chrono::milliseconds rate_window) noexcept {
  // The server's wait, bounded, is compared with the time left as a double before it becomes
  // an integer count: no value of the header can overflow or turn negative on the way.
  const std::optional<double> server_wait =
      retry_after ? std::optional<double>(bounded_seconds(*retry_after)) : std::nullopt;
  const auto beyond_deadline = [&](double seconds) {
    return seconds * 1000.0 >= static_cast<double>(remaining.count());
  };
  std::chrono::milliseconds delay;
  if (status == 429) {
    // Without Retry-After (Harvest sends such 429s, with an empty HTML body) retrying at once
    // only adds to the count: wait for the window of the path's limit to pass.
    delay = server_wait ? to_milliseconds(*server_wait) : std::max(rate_window, std::chrono::milliseconds(0));
    if (server_wait && beyond_deadline(*server_wait)) return {false, delay, "deadline"};
    if (attempt >= policy.max_rate_limited_attempts) return {false, delay, "attempts"};
  } else if (status == 0 || (status >= 500 && status <= 599)) {
    if (!is_idempotent(method)) return {};
    if (attempt >= policy.max_attempts) return {false, {}, "attempts"};
    delay = backoff(policy, attempt, unit_random);
    // A 503 may say how long the outage lasts; never wait less than it asks.
    if (server_wait) {
      if (beyond_deadline(*server_wait)) return {false, to_milliseconds(*server_wait), "deadline"};
      delay = std::max(delay, to_milliseconds(*server_wait));
    }
  } else {
    return {};
  }
  if (delay >= remaining) return {false, delay, "deadline"};
  return {true, delay, {}};
}

}  // namespace harvest_connect::harvest

#pragma once
// A client-side rate limiter for one Harvest account: at most `limit` requests in any
// sliding window of `window` (Harvest: 100 / 15 s in general, 100 / 15 min for reports).
//
// A request holds a slot from acquire() until it completes; the slot then stays taken for
// one window counted from the *completion* time. Harvest counts a request when it arrives,
// which is never later than its answer, so whatever the network latency a request sent
// after a freed slot's window cannot meet the server's count of the request that freed it:
// no 429 while every client of the account in the process shares the limiter (shared()),
// and the only loss against the allowed rate is one round trip per window.
//
// Thread-safe. acquire() blocks (on a condition variable, never spinning) until a slot is
// free or the deadline passes.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <utility>
#include <string>
#include <string_view>
#include <vector>

namespace harvest_connect::harvest {

struct RateLimit {
  unsigned limit = 100;
  std::chrono::milliseconds window{15'000};

  friend bool operator==(const RateLimit&, const RateLimit&) = default;
};

// Harvest's published limits.
inline constexpr RateLimit general_rate_limit{100, std::chrono::milliseconds{15'000}};
inline constexpr RateLimit reports_rate_limit{100, std::chrono::milliseconds{15 * 60'000}};

// "100 requests / 15 s", for messages.
[[nodiscard]] std::string describe(const RateLimit& limit);

struct RateLimitOptions {
  bool enabled = true;
  RateLimit general = general_rate_limit;
  RateLimit reports = reports_rate_limit;  // paths under /reports/ (they count as general too)
};

class RateLimiter {
 public:
  using clock = std::chrono::steady_clock;

  // A slot taken by one request. Completing it (or destroying it) starts the slot's window.
  class Permit {
   public:
    Permit() noexcept = default;
    Permit(Permit&& other) noexcept : owner_(std::exchange(other.owner_, nullptr)) {}
    Permit& operator=(Permit&& other) noexcept;
    Permit(const Permit&) = delete;
    Permit& operator=(const Permit&) = delete;
    ~Permit() { complete(); }

    // The request has completed (answered, failed or dropped) at `now`.
    void complete(clock::time_point now = clock::now()) noexcept;
    [[nodiscard]] bool active() const noexcept { return owner_ != nullptr; }

   private:
    friend class RateLimiter;
    explicit Permit(RateLimiter* owner) noexcept : owner_(owner) {}
    RateLimiter* owner_ = nullptr;
  };

  explicit RateLimiter(RateLimit limit);
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;
  ~RateLimiter();

  // Waits for a free slot. errc::timeout (saying which limit) when none frees before the
  // deadline; the caller's request then was not sent.
  [[nodiscard]] Permit acquire(clock::time_point deadline);
  // The non-blocking form: a permit when a slot is free at `now`, else nullopt and
  // *retry_at (when given) is when to look again (clock::time_point::max(): when an
  // in-flight request completes).
  [[nodiscard]] std::optional<Permit> try_acquire(clock::time_point now, clock::time_point* retry_at = nullptr);

  // After a 429: nobody gets a slot before `until` (e.g. now + Retry-After).
  void pause_until(clock::time_point until);

  [[nodiscard]] RateLimit limit() const noexcept { return limit_; }
  // Requests in flight now, and slots whose window has not passed at `now`.
  [[nodiscard]] std::size_t in_flight() const;
  [[nodiscard]] std::size_t used(clock::time_point now) const;

  // The limiter of one account (any string that identifies it without being secret, e.g.
  // a digest of the API URL and account ID) and limit, shared by every client of that
  // account in this process for as long as one of them holds it.
  [[nodiscard]] static std::shared_ptr<RateLimiter> shared(std::string_view account_key, RateLimit limit);

 private:
  void release(clock::time_point now) noexcept;
  // Requires mutex_. Drops windows that ended by `now`; the slot count then in use.
  std::size_t prune(clock::time_point now) const;
  std::optional<Permit> try_acquire_locked(clock::time_point now, clock::time_point* retry_at);

  const RateLimit limit_;
  mutable std::mutex mutex_;
  std::condition_variable freed_;
  std::size_t in_flight_ = 0;
  // Completion times of recent requests, earliest on top.
  mutable std::priority_queue<clock::time_point, std::vector<clock::time_point>, std::greater<>> completed_;
  clock::time_point paused_until_{};
};

}  // namespace harvest_connect::harvest

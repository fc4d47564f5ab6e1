// The client-side rate limiter: slots, windows counted from completion, pauses, sharing,
// and that concurrent users never exceed the limit in any window.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "harvest_connect/error.hpp"
#include "harvest_connect/harvest/rate_limiter.hpp"

using namespace std::chrono_literals;
using harvest_connect::harvest::RateLimit;
using harvest_connect::harvest::RateLimiter;
using clock_type = RateLimiter::clock;

TEST(HarvestRateLimiter, GivesLimitSlotsThenWaitsForTheFirstWindowToEnd) {
  RateLimiter limiter(RateLimit{3, 1000ms});
  const auto t0 = clock_type::time_point{} + 10s;
  std::vector<RateLimiter::Permit> permits;
  for (int i = 0; i < 3; ++i) {
    auto p = limiter.try_acquire(t0);
    ASSERT_TRUE(p.has_value());
    permits.push_back(std::move(*p));
  }
  clock_type::time_point retry_at;
  EXPECT_FALSE(limiter.try_acquire(t0, &retry_at).has_value());
  // All three in flight: only a completion can free a slot.
  EXPECT_EQ(retry_at, clock_type::time_point::max());

  permits[0].complete(t0 + 100ms);
  permits[1].complete(t0 + 200ms);
  EXPECT_FALSE(limiter.try_acquire(t0 + 500ms, &retry_at).has_value());
  EXPECT_EQ(retry_at, t0 + 1100ms);  // the window counts from the completion
  EXPECT_FALSE(limiter.try_acquire(t0 + 1099ms).has_value());
  auto again = limiter.try_acquire(t0 + 1100ms);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(limiter.in_flight(), 2u);
  again->complete(t0 + 1100ms);
  permits[2].complete(t0 + 1100ms);
  EXPECT_EQ(limiter.used(t0 + 1150ms), 3u);  // 200ms + two at 1100ms
  EXPECT_EQ(limiter.used(t0 + 1200ms), 2u);
  EXPECT_EQ(limiter.used(t0 + 2100ms), 0u);
}

TEST(HarvestRateLimiter, PauseAfterA429HoldsEveryone) {
  RateLimiter limiter(RateLimit{100, 1000ms});
  const auto t0 = clock_type::time_point{} + 10s;
  limiter.pause_until(t0 + 2s);
  clock_type::time_point retry_at;
  EXPECT_FALSE(limiter.try_acquire(t0 + 1s, &retry_at).has_value());
  EXPECT_EQ(retry_at, t0 + 2s);
  limiter.pause_until(t0 + 1s);  // an earlier pause does not shorten it
  EXPECT_FALSE(limiter.try_acquire(t0 + 1500ms).has_value());
  EXPECT_TRUE(limiter.try_acquire(t0 + 2s).has_value());
}

TEST(HarvestRateLimiter, DestroyingAPermitCompletesIt) {
  RateLimiter limiter(RateLimit{1, 60'000ms});
  { auto p = limiter.acquire(clock_type::now() + 1s); }
  EXPECT_EQ(limiter.in_flight(), 0u);
  EXPECT_EQ(limiter.used(clock_type::now()), 1u);
}

TEST(HarvestRateLimiter, AcquireGivesUpWithTimeoutWhenTheDeadlineComesFirst) {
  RateLimiter limiter(RateLimit{1, 60'000ms});
  auto held = limiter.acquire(clock_type::now() + 1s);
  held.complete();
  try {
    (void)limiter.acquire(clock_type::now() + 20ms);
    FAIL() << "expected a timeout";
  } catch (const harvest_connect::error& e) {
    EXPECT_EQ(e.kind(), harvest_connect::errc::timeout);
    EXPECT_NE(std::string(e.what()).find("1 requests / 1 min"), std::string::npos) << e.what();
  }
}

TEST(HarvestRateLimiter, RejectsAnEmptyLimit) {
  EXPECT_THROW(RateLimiter(RateLimit{0, 1000ms}), harvest_connect::error);
  EXPECT_THROW(RateLimiter(RateLimit{1, 0ms}), harvest_connect::error);
}

TEST(HarvestRateLimiter, SharedPerAccountAndLimit) {
  auto a = RateLimiter::shared("account-a", RateLimit{100, 15'000ms});
  auto b = RateLimiter::shared("account-a", RateLimit{100, 15'000ms});
  auto c = RateLimiter::shared("account-b", RateLimit{100, 15'000ms});
  auto d = RateLimiter::shared("account-a", RateLimit{100, 1'500ms});
  EXPECT_EQ(a.get(), b.get());
  EXPECT_NE(a.get(), c.get());
  EXPECT_NE(a.get(), d.get());
}

// Many threads: record when each request started and completed; no window of the limiter's
// length may hold more than `limit` start times after the completion that freed their slot.
// With every slot taken by a request still in flight, nobody knows when one frees: a caller
// waits for a completion within its deadline instead of failing at once (this failed the
// eight-thread test below under the sanitizers, when the holders were slow to complete).
TEST(HarvestRateLimiter, WaitsForAnInFlightRequestToComplete) {
  RateLimiter limiter(RateLimit{1, 20ms});
  auto held = limiter.acquire(clock_type::now() + 1s);
  std::atomic<bool> got{false};
  std::thread waiter([&] {
    auto permit = limiter.acquire(clock_type::now() + 30s);
    got = true;
  });
  std::this_thread::sleep_for(100ms);  // the waiter is now blocked behind the held slot
  EXPECT_FALSE(got);
  held.complete(clock_type::now());
  waiter.join();
  EXPECT_TRUE(got);
}

TEST(HarvestRateLimiter, ThreadsNeverExceedTheLimitInAnyWindow) {
  constexpr unsigned limit = 5;
  const auto window = 50ms;
  RateLimiter limiter(RateLimit{limit, window});
  std::mutex m;
  std::vector<std::pair<clock_type::time_point, clock_type::time_point>> spans;  // start, end
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 4; ++i) {
        auto permit = limiter.acquire(clock_type::now() + 30s);
        const auto start = clock_type::now();
        const auto end = clock_type::now();
        permit.complete(end);
        std::lock_guard lock(m);
        spans.emplace_back(start, end);
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ(spans.size(), 32u);
  // For every request, the requests whose [start, end + window) overlaps its start number at most `limit`.
  for (const auto& [s, e] : spans) {
    const auto overlapping = std::count_if(spans.begin(), spans.end(), [&](const auto& o) {
      return o.first <= s && s < o.second + window;
    });
    EXPECT_LE(overlapping, static_cast<long>(limit));
  }
}

// The retry policy: which failures are retried for which methods, the backoff, Retry-After.
#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "harvest_connect/harvest/retry_policy.hpp"

using namespace std::chrono_literals;
using namespace harvest_connect::harvest;

TEST(HarvestRetryPolicy, IdempotentMethods) {
  for (auto m : {"GET", "get", "HEAD", "PUT", "DELETE"}) EXPECT_TRUE(is_idempotent(m)) << m;
  for (auto m : {"POST", "PATCH", "post", ""}) EXPECT_FALSE(is_idempotent(m)) << m;
}

TEST(HarvestRetryPolicy, ServerErrorsAndDropsRetriedForIdempotentMethodsOnly) {
  RetryPolicy policy;
  for (int status : {0, 500, 502, 503, 504}) {
    EXPECT_TRUE(decide_retry(policy, "GET", status, std::nullopt, 1, 60s, 0.5).retry) << status;
    EXPECT_TRUE(decide_retry(policy, "DELETE", status, std::nullopt, 1, 60s, 0.5).retry) << status;
    EXPECT_FALSE(decide_retry(policy, "POST", status, std::nullopt, 1, 60s, 0.5).retry) << status;
    EXPECT_FALSE(decide_retry(policy, "PATCH", status, std::nullopt, 1, 60s, 0.5).retry) << status;
  }
}

TEST(HarvestRetryPolicy, ClientErrorsAreNotRetried) {
  RetryPolicy policy;
  for (int status : {200, 400, 401, 403, 404, 422}) {
    const auto d = decide_retry(policy, "GET", status, std::nullopt, 1, 60s, 0.5);
    EXPECT_FALSE(d.retry) << status;
    EXPECT_TRUE(d.reason.empty());
  }
}

TEST(HarvestRetryPolicy, TooManyRequestsWaitsRetryAfterForAnyMethod) {
  RetryPolicy policy;
  auto d = decide_retry(policy, "POST", 429, 3.0, 1, 60s, 0.9);
  EXPECT_TRUE(d.retry);
  EXPECT_EQ(d.delay, 3000ms);
  d = decide_retry(policy, "GET", 429, 0.25, 9, 60s, 0.0);  // not bounded by max_attempts (5)
  EXPECT_TRUE(d.retry);
  EXPECT_EQ(d.delay, 250ms);
  d = decide_retry(policy, "GET", 429, 30.0, 1, 10s, 0.0);  // would pass the deadline
  EXPECT_FALSE(d.retry);
  EXPECT_EQ(d.reason, "deadline");
}

TEST(HarvestRetryPolicy, AttemptsAreBounded) {
  RetryPolicy policy;
  policy.max_attempts = 3;
  EXPECT_TRUE(decide_retry(policy, "GET", 500, std::nullopt, 2, 60s, 0.5).retry);
  const auto d = decide_retry(policy, "GET", 500, std::nullopt, 3, 60s, 0.5);
  EXPECT_FALSE(d.retry);
  EXPECT_EQ(d.reason, "attempts");
}

TEST(HarvestRetryPolicy, ExponentialBackoffWithEqualJitter) {
  RetryPolicy policy;
  policy.initial_backoff = 100ms;
  policy.max_backoff = 1000ms;
  EXPECT_EQ(backoff(policy, 1, 0.0), 50ms);
  EXPECT_EQ(backoff(policy, 1, 1.0), 100ms);
  EXPECT_EQ(backoff(policy, 2, 0.0), 100ms);
  EXPECT_EQ(backoff(policy, 3, 1.0), 400ms);
  EXPECT_EQ(backoff(policy, 10, 1.0), 1000ms);  // capped
  EXPECT_EQ(backoff(policy, 10, 0.0), 500ms);
}

TEST(HarvestRetryPolicy, A503RetryAfterIsAMinimumWait) {
  RetryPolicy policy;
  const auto d = decide_retry(policy, "GET", 503, 2.0, 1, 60s, 0.0);
  EXPECT_TRUE(d.retry);
  EXPECT_EQ(d.delay, 2000ms);
}

TEST(HarvestRetryPolicy, ParsesRetryAfter) {
  EXPECT_EQ(parse_retry_after("15"), 15.0);
  EXPECT_EQ(parse_retry_after(" 1.5 "), 1.5);
  EXPECT_EQ(parse_retry_after(""), std::nullopt);
  EXPECT_EQ(parse_retry_after("soon"), std::nullopt);
  EXPECT_EQ(parse_retry_after("15s"), std::nullopt);
  const auto now = std::chrono::system_clock::from_time_t(784111777);  // Sun, 06 Nov 1994 08:49:37 GMT
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:47 GMT", now), 10.0);
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:00 GMT", now), 0.0);  // in the past
}

// Issue 12 §2: a server controls Retry-After; no value of it may overflow the conversion to
// milliseconds (UBSan saw one at the multiplication) or turn into a negative wait.
TEST(HarvestRetryPolicy, AHugeRetryAfterIsBoundedToADayAndEndsAtTheDeadline) {
  EXPECT_EQ(parse_retry_after("10000000000000000"), 86400.0);
  EXPECT_EQ(parse_retry_after("1" + std::string(400, '0')), 86400.0);  // beyond a double
  EXPECT_EQ(parse_retry_after("86400"), 86400.0);
  const auto now = std::chrono::system_clock::from_time_t(784111777);
  EXPECT_EQ(parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now), 86400.0);

  RetryPolicy policy;
  for (double huge : {1e16, 1e300, std::numeric_limits<double>::infinity()}) {
    for (int status : {429, 503}) {
      const auto d = decide_retry(policy, "GET", status, huge, 1, 60s, 0.5);
      EXPECT_FALSE(d.retry) << status << " " << huge;
      EXPECT_EQ(d.reason, "deadline");
      if (status == 429) EXPECT_EQ(d.delay, std::chrono::milliseconds(86'400'000));
    }
  }
  // A day fits in a deadline that is longer still: then it is waited, not refused.
  policy.deadline = std::chrono::hours(48);
  const auto d = decide_retry(policy, "GET", 429, 1e16, 1, std::chrono::hours(48), 0.5);
  EXPECT_TRUE(d.retry);
  EXPECT_EQ(d.delay, std::chrono::milliseconds(86'400'000));
}

TEST(HarvestRetryPolicy, A429WithoutRetryAfterWaitsTheRateWindowOfThePath) {
  RetryPolicy policy;
  auto d = decide_retry(policy, "GET", 429, std::nullopt, 1, 60s, 0.5);
  EXPECT_TRUE(d.retry);
  EXPECT_EQ(d.delay, 15s);  // Harvest's general window
  d = decide_retry(policy, "GET", 429, std::nullopt, 1, 120s, 0.5, reports_rate_limit.window);
  EXPECT_FALSE(d.retry);
  EXPECT_EQ(d.reason, "deadline");
  EXPECT_EQ(d.delay, std::chrono::minutes(15));
}

TEST(HarvestRetryPolicy, RateLimitedAttemptsAreBounded) {
  RetryPolicy policy;
  policy.max_rate_limited_attempts = 4;
  EXPECT_TRUE(decide_retry(policy, "GET", 429, 0.0, 3, 60s, 0.5).retry);
  const auto d = decide_retry(policy, "GET", 429, 0.0, 4, 60s, 0.5);
  EXPECT_FALSE(d.retry);
  EXPECT_EQ(d.reason, "attempts");
}

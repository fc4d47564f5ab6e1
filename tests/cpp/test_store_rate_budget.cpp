// The shared rate-budget ledger (schema v4): leases up to the limit, settlement to the
// completion-time window, expiry of a crashed process's lease, the shared pause, budgets
// kept apart by account and limit, and the clamping of hostile edits.
#include <atomic>
#include <chrono>
#include <limits>
#include <thread>

#include "harvest_connect/crypto/encoding.hpp"
#include "store_test_support.hpp"

using namespace store_test;
using hc::store::RateBudgetId;
using hc::store::RateLeaseRequest;
using hc::store::RateLeaseSettlement;

namespace {

const RateBudgetId budget{"account-digest", 10, 2000};

RateLeaseRequest want(std::int64_t n, std::int64_t hold_ms = 5000, std::vector<RateLeaseSettlement> settle = {}) {
  RateLeaseRequest r;
  r.holder = "process-1";
  r.want = n;
  r.hold_ms = hold_ms;
  r.settle = std::move(settle);
  return r;
}

std::int64_t scalar(const fs::path& db, const std::string& query) {
  sqlite3* h = nullptr;
  EXPECT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(h, query.c_str(), -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(h);
  std::int64_t out = -1;
  if (sqlite3_step(st) == SQLITE_ROW) out = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(h);
  return out;
}

}  // namespace

class StoreRateBudget : public StoreTest {};

TEST_F(StoreRateBudget, LeasesUpToTheLimitThenSaysWhenToLookAgain) {
  auto s = open(key);
  const std::int64_t t0 = 1'700'000'000'000;
  auto a = s.lease_rate_slots(budget, want(4), t0);
  EXPECT_GT(a.id, 0);
  EXPECT_EQ(a.slots, 4);
  auto b = s.lease_rate_slots(budget, want(4), t0 + 1);
  EXPECT_EQ(b.slots, 4);
  auto c = s.lease_rate_slots(budget, want(4), t0 + 2);
  EXPECT_EQ(c.slots, 2);  // only what is left
  auto d = s.lease_rate_slots(budget, want(1), t0 + 3);
  EXPECT_EQ(d.slots, 0);
  EXPECT_EQ(d.id, 0);
  EXPECT_FALSE(d.paused);
  EXPECT_EQ(d.retry_at, t0 + 5000);  // the first lease's hold
  EXPECT_EQ(s.rate_budget_usage(budget, t0 + 3).used, 10);
  EXPECT_EQ(s.rate_budget_usage(budget, t0 + 3).leases, 3);
}

TEST_F(StoreRateBudget, ASettledLeaseHoldsWhatItSpentUntilTheLastCompletionPlusTheWindow) {
  auto s = open(key);
  const std::int64_t t0 = 1'700'000'000'000;
  auto a = s.lease_rate_slots(budget, want(10), t0);
  ASSERT_EQ(a.slots, 10);
  // 3 spent, the last answered at t0 + 300; 7 come back at once.
  s.settle_rate_leases(budget, "process-1", std::vector<RateLeaseSettlement>{{a.id, 3, t0 + 300 + 2000}}, t0 + 400);
  EXPECT_EQ(s.rate_budget_usage(budget, t0 + 400).used, 3);
  auto b = s.lease_rate_slots(budget, want(10), t0 + 400);
  EXPECT_EQ(b.slots, 7);
  auto none = s.lease_rate_slots(budget, want(1), t0 + 500);
  EXPECT_EQ(none.slots, 0);
  EXPECT_EQ(none.retry_at, t0 + 2300);
  // One window after the last completion, and not a millisecond before, the 3 are free.
  EXPECT_EQ(s.lease_rate_slots(budget, want(3), t0 + 2299).slots, 0);
  EXPECT_EQ(s.lease_rate_slots(budget, want(3), t0 + 2300).slots, 3);
}

TEST_F(StoreRateBudget, SettlementsRideOnTheNextLeaseAndAnUnusedLeaseGoesBackWhole) {
  auto s = open(key);
  const std::int64_t t0 = 1'700'000'000'000;
  auto a = s.lease_rate_slots(budget, want(5), t0);
  auto b = s.lease_rate_slots(budget, want(5), t0);
  ASSERT_EQ(a.slots + b.slots, 10);
  auto c = s.lease_rate_slots(budget, want(10, 5000, {{a.id, 0, 0}, {b.id, 2, t0 + 2100}}), t0 + 200);
  EXPECT_EQ(c.slots, 8);
  EXPECT_EQ(scalar(path, "SELECT COUNT(*) FROM rate_leases"), 2);
}

TEST_F(StoreRateBudget, ACrashedProcessesLeaseFreesAtTheEndOfItsHold) {
  const std::int64_t t0 = 1'700'000'000'000;
  {
    auto crashed = open(key);
    ASSERT_EQ(crashed.lease_rate_slots(budget, want(10, 4000), t0).slots, 10);
    // The process dies here: the lease is never settled.
  }
  auto s = open(key);
  auto waiting = s.lease_rate_slots(budget, want(1), t0 + 3999);
  EXPECT_EQ(waiting.slots, 0);
  EXPECT_EQ(waiting.retry_at, t0 + 4000);
  EXPECT_EQ(s.lease_rate_slots(budget, want(10), t0 + 4000).slots, 10);
  EXPECT_EQ(scalar(path, "SELECT COUNT(*) FROM rate_leases"), 1);  // the dead lease was purged
}

TEST_F(StoreRateBudget, APauseStopsEveryLeaseUntilItEnds) {
  auto s = open(key);
  auto other_process = open(key);
  const std::int64_t t0 = 1'700'000'000'000;
  other_process.pause_rate_budget(budget, t0 + 30'000, t0);
  s.pause_rate_budget(budget, t0 + 10'000, t0 + 1);  // an earlier end never shortens a pause
  auto r = s.lease_rate_slots(budget, want(1), t0 + 29'999);
  EXPECT_TRUE(r.paused);
  EXPECT_EQ(r.slots, 0);
  EXPECT_EQ(r.retry_at, t0 + 30'000);
  EXPECT_EQ(s.rate_budget_usage(budget, t0).paused_until, t0 + 30'000);
  EXPECT_EQ(s.lease_rate_slots(budget, want(1), t0 + 30'000).slots, 1);
}

TEST_F(StoreRateBudget, BudgetsAreKeptApartByAccountAndLimitAndNamedByAKeyedDigest) {
  auto s = open(key);
  const std::int64_t t0 = 1'700'000'000'000;
  ASSERT_EQ(s.lease_rate_slots(budget, want(10), t0).slots, 10);
  EXPECT_EQ(s.lease_rate_slots({"other-account", 10, 2000}, want(10), t0).slots, 10);
  EXPECT_EQ(s.lease_rate_slots({"account-digest/reports", 10, 2000}, want(10), t0).slots, 10);
  EXPECT_EQ(s.lease_rate_slots({"account-digest", 20, 2000}, want(20), t0).slots, 20);
  // The account key itself is nowhere in the file (a digest of an account ID would be
  // invertible by trying every ID; the budget's name is keyed by the store's data key).
  EXPECT_EQ(read_bytes(path).find("account-digest"), std::string::npos);
  EXPECT_EQ(scalar(path, "SELECT COUNT(*) FROM rate_budgets WHERE length(budget) = 64"), 4);
}

TEST_F(StoreRateBudget, RefusesRequestsThatCouldBreakTheBudget) {
  auto s = open(key);
  expect_error(hc::errc::validation_failed, [&] { (void)s.lease_rate_slots(budget, want(0), 1); });
  expect_error(hc::errc::validation_failed, [&] { (void)s.lease_rate_slots(budget, want(11), 1); });
  expect_error(hc::errc::validation_failed, [&] { (void)s.lease_rate_slots(budget, want(1, 1999), 1); });
  expect_error(hc::errc::validation_failed, [&] { (void)s.lease_rate_slots({"a", 0, 2000}, want(1), 1); });
  expect_error(hc::errc::validation_failed, [&] { (void)s.lease_rate_slots({"a", 10, 0}, want(1), 1); });
  auto nobody = want(1);
  nobody.holder.clear();
  expect_error(hc::errc::validation_failed, [&] { (void)s.lease_rate_slots(budget, nobody, 1); });
}

TEST_F(StoreRateBudget, ALateSettlementNeverChangesAnotherHoldersLeaseThatReusedTheId) {
  auto s = open(key);
  const std::int64_t t0 = 1'700'000'000'000;
  auto old = s.lease_rate_slots(budget, want(4, 3000), t0);
  ASSERT_EQ(old.slots, 4);
  // The lease ends before its holder settles it (a request in flight for longer than the
  // hold); another process's lease is granted and may take the purged row's id.
  auto other = want(10, 3000);
  other.holder = "process-2";
  auto fresh = s.lease_rate_slots(budget, other, t0 + 3000);
  ASSERT_EQ(fresh.slots, 10);
  EXPECT_EQ(fresh.id, old.id);  // SQLite reuses the largest rowid once it is gone
  // The late settlement of the first holder's lease changes nothing of the second's.
  s.settle_rate_leases(budget, "process-1", std::vector<RateLeaseSettlement>{{old.id, 0, 0}}, t0 + 3001);
  EXPECT_EQ(s.rate_budget_usage(budget, t0 + 3001).used, 10);
}

// Tampering (docs/security.md): rate rows are not authenticated; every value read is
// clamped, so that an edit neither blocks for longer than a bounded time nor makes room.
TEST_F(StoreRateBudget, AHostileCountMakesNoRoomAndBlocksNoLongerThanItsHold) {
  const std::int64_t t0 = 1'700'000'000'000;
  {
    auto s = open(key);
    ASSERT_EQ(s.lease_rate_slots(budget, want(5, 4000), t0).slots, 5);
  }
  // A negative count would "free" 100 slots; it counts as 0 of the 5 it held and no less.
  sql(path, "INSERT INTO rate_leases(budget, holder, slots, ends_at) SELECT budget, holder, -100, ends_at FROM rate_leases");
  auto s = open(key);
  EXPECT_EQ(s.lease_rate_slots(budget, want(10, 4000), t0 + 1).slots, 5);
  // A huge count blocks the whole budget, but only until its lease ends.
  sql(path, "UPDATE rate_leases SET slots = 1000000000");
  EXPECT_EQ(s.rate_budget_usage(budget, t0 + 2).used, 10);
  EXPECT_EQ(s.lease_rate_slots(budget, want(1), t0 + 2).slots, 0);
  EXPECT_EQ(s.lease_rate_slots(budget, want(10), t0 + 4001).slots, 10);
}

TEST_F(StoreRateBudget, AHostileEndOrPauseInTheFarFutureIsCutToABoundedWait) {
  const std::int64_t t0 = 1'700'000'000'000;
  {
    auto s = open(key);
    ASSERT_EQ(s.lease_rate_slots(budget, want(10, 4000), t0).slots, 10);
    s.pause_rate_budget(budget, t0 + 1000, t0);
  }
  const auto max = std::to_string(std::numeric_limits<std::int64_t>::max());
  sql(path, "UPDATE rate_leases SET ends_at = " + max);
  auto s = open(key);
  // Read at t0 + 2000 the lease would hold forever: it is cut to now + the hold.
  auto r = s.lease_rate_slots(budget, want(1, 4000), t0 + 2000);
  EXPECT_EQ(r.slots, 0);
  EXPECT_EQ(r.retry_at, t0 + 6000);
  EXPECT_EQ(s.lease_rate_slots(budget, want(1, 4000), t0 + 6000).slots, 1);

  sql(path, "UPDATE rate_budgets SET paused_until = " + max);
  auto paused = s.lease_rate_slots(budget, want(1, 4000), t0 + 7000);
  EXPECT_TRUE(paused.paused);
  EXPECT_EQ(paused.retry_at, t0 + 7000 + hc::store::max_rate_pause_ms);  // at most a day, as Retry-After
  // Cut once and kept: a later look does not push the end further.
  auto later = s.lease_rate_slots(budget, want(1, 4000), t0 + 8000);
  EXPECT_EQ(later.retry_at, t0 + 7000 + hc::store::max_rate_pause_ms);
  EXPECT_EQ(s.lease_rate_slots(budget, want(1, 4000), t0 + 7000 + hc::store::max_rate_pause_ms).slots, 1);
}

// A lease that waited for the store's lock (another process's transaction) starts its hold
// when it got the lock, not when it began to wait: the clock is read under the lock. Read
// before (as the time passed by value is), a wait longer than the grace would have freed the
// lease's slots while the requests it let through still counted at Harvest.
TEST_F(StoreRateBudget, TheClockIsReadOnceTheStoresLockIsHeld) {
  auto s = open(key);
  const std::int64_t t0 = 1'700'000'000'000;
  sqlite3* other = nullptr;  // another process's write transaction
  ASSERT_EQ(sqlite3_open(path.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  std::atomic<bool> started{false}, released{false}, read_while_held{false};
  hc::store::RateLease got;
  std::thread leasing([&] {
    started = true;
    got = s.lease_rate_slots(budget, want(2), [&] {
      if (!released) read_while_held = true;
      return t0 + 7000;
    });
  });
  while (!started) std::this_thread::yield();
  // Let the lease reach the lock before it is released (a shorter wait only makes the test
  // less likely to catch a clock read too early; it cannot make it fail wrongly).
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  released = true;
  ASSERT_EQ(sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  leasing.join();
  sqlite3_close(other);
  EXPECT_FALSE(read_while_held);
  EXPECT_EQ(got.now, t0 + 7000);
  EXPECT_EQ(got.slots, 2);
  EXPECT_EQ(scalar(path, "SELECT ends_at FROM rate_leases"), t0 + 7000 + 5000);
}

#pragma once
// The shared rate-limit ledger (schema version 4): one budget per Harvest account and limit,
// kept in the store so that every process using the store — on one machine with SQLite, on
// several hosts with a server database — spends one budget together. harvest::
// StoreRateLimiter is its user; docs/api-calls.md explains the design.
//
// A process *leases* a few slots at a time (one short write transaction), spends them
// locally, and *settles* each lease once its requests have completed: the lease then holds
// exactly the slots it spent until its last completion + the window (the completion-time
// rule of harvest/rate_limiter.hpp). Until it is settled, a lease holds all its slots until
// `now + hold_ms`, so the slots of a process that died are free again after that.
// A 429 seen by one process pauses the budget for everyone (pause_rate_budget).
//
// Times are wall-clock Unix milliseconds (steady clocks are not shared between processes):
// hosts sharing a store need synchronised clocks (NTP). Nothing here is secret: budgets are
// named by an HMAC of the account key under a key derived from the store's data key (an
// unkeyed digest of a small account ID could be inverted by trying them all). The rows are
// not authenticated: every value read is clamped instead (docs/security.md), so that a
// hostile edit can neither block a process for longer than a bounded time nor make it send
// faster than its own in-process limiter allows.

#include <cstdint>
#include <string>
#include <vector>

namespace harvest_connect::store {

// Which budget: the account (a non-secret key, e.g. harvest::ClientConfig::account_key,
// plus the limit's name such as "/reports") and the limit. Processes configured with
// different limits for one account keep separate budgets.
struct RateBudgetId {
  std::string account_key;
  std::int64_t limit = 0;      // requests per window, >= 1
  std::int64_t window_ms = 0;  // >= 1
};

// A finished lease of this process: `used` slots spent (0: give it back whole), held until
// `ends_at` (wall ms: the last completion + the window).
struct RateLeaseSettlement {
  std::int64_t lease = 0;
  std::int64_t used = 0;
  std::int64_t ends_at = 0;
};

struct RateLeaseRequest {
  // Who leases: a random id per process and budget (harvest::StoreRateLimiter). Settlements
  // name it too, so that a settlement that comes after its lease expired and another lease
  // took its id can never change that one.
  std::string holder;
  std::int64_t want = 1;     // slots wanted, 1..limit; fewer may be granted
  std::int64_t hold_ms = 0;  // until settled, the lease holds its slots until now + hold_ms (>= window)
  // Leases of this process settled in the same transaction, before the new one is granted.
  std::vector<RateLeaseSettlement> settle;
};

struct RateLease {
  std::int64_t id = 0;     // 0: nothing granted
  std::int64_t slots = 0;  // granted, 0..want
  std::int64_t now = 0;    // the wall time (ms) the ledger used
  // Nothing granted: when to look again (wall ms): the budget's pause, or the end of the
  // earliest lease that holds slots.
  std::int64_t retry_at = 0;
  bool paused = false;     // nothing granted because a 429 paused the budget
};

// What a budget holds at a time (tests, diagnostics).
struct RateBudgetUsage {
  std::int64_t used = 0;          // slots held, 0..limit
  std::int64_t leases = 0;        // lease rows that hold them
  std::int64_t paused_until = 0;  // wall ms; <= now: not paused
};

// The longest pause a budget keeps, as a Retry-After is bounded (harvest::max_retry_after):
// a pause read further ahead (a hostile edit, or a clock set back) is cut to now + this.
inline constexpr std::int64_t max_rate_pause_ms = 86'400'000;

}  // namespace harvest_connect::store

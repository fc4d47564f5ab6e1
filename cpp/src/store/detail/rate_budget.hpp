#pragma once
// The rate-budget ledger's SQL (schema version 4; harvest_connect/store/rate_budget.hpp).
// Store's public methods take the lock and open the immediate transaction; these functions
// run inside it. Only portable SQL (`?` placeholders, INSERT ... ON CONFLICT ... DO UPDATE,
// RETURNING, CASE): the same statements serve SQLite and PostgreSQL.
//
// Every lease transaction starts with an upsert of the budget's row in rate_budgets: in
// SQLite the immediate transaction already holds the write lock; under PostgreSQL's READ
// COMMITTED the upsert takes the budget row's lock, so that two hosts' lease transactions
// of one budget run one after the other (a sum read by both, then two inserts, would grant
// the same free slots twice).

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "harvest_connect/crypto/secret.hpp"
#include "harvest_connect/store/rate_budget.hpp"
#include "store/detail/database.hpp"

namespace harvest_connect::store::detail {

// A budget as stored: `key` names it in the tables (rate_budget_key).
struct StoredBudget {
  std::string key;
  std::int64_t limit = 0;
  std::int64_t window_ms = 0;
};

// Hex HMAC-SHA256 of the budget (account key, limit, window) under a key derived from the
// data key; errc::validation_failed for a limit or window that is not positive.
[[nodiscard]] StoredBudget stored_budget(const crypto::Secret& data_key, const RateBudgetId& id);

[[nodiscard]] RateLease lease_rate_slots(Database& db, const StoredBudget& budget, const RateLeaseRequest& request,
                                         std::int64_t now_ms);
void settle_rate_leases(Database& db, const StoredBudget& budget, std::string_view holder,
                        std::span<const RateLeaseSettlement> settlements, std::int64_t now_ms);
// Pauses the budget until `until_ms` (cut to now + max_rate_pause_ms); an earlier pause
// never shortens a later one.
void pause_rate_budget(Database& db, const StoredBudget& budget, std::int64_t until_ms, std::int64_t now_ms);
[[nodiscard]] RateBudgetUsage rate_budget_usage(Database& db, const StoredBudget& budget, std::int64_t now_ms);

}  // namespace harvest_connect::store::detail

#include "store/detail/rate_budget.hpp"

#include <algorithm>
#include <limits>

#include "harvest_connect/crypto/encoding.hpp"
#include "harvest_connect/crypto/mac.hpp"
#include "harvest_connect/error.hpp"

namespace harvest_connect::store::detail {
namespace {

constexpr std::string_view key_label = "harvest-connect rate budget v1";

// now + span without overflowing (a far-future value read from a row stays comparable).
std::int64_t plus(std::int64_t now, std::int64_t span) {
  if (span > 0 && now > std::numeric_limits<std::int64_t>::max() - span) return std::numeric_limits<std::int64_t>::max();
  return now + span;
}

// Takes the budget row's lock (PostgreSQL) and reads its pause, cut to a day from now: a
// pause written further ahead (by hand, or by a host whose clock ran ahead) is rewritten,
// so that it ends within a day rather than being cut afresh at every look.
// The upsert changes nothing when the row exists (its WHERE is false), so that a look at a
// full budget writes no page in SQLite; PostgreSQL locks the conflicting row all the same.
std::int64_t lock_budget(Database& db, const StoredBudget& b, std::int64_t now) {
  db.prepare(
        "INSERT INTO rate_budgets(budget, paused_until) VALUES(?, 0) "
        "ON CONFLICT(budget) DO UPDATE SET paused_until = rate_budgets.paused_until WHERE 1 = 0")
      .bind(1, b.key)
      .run();
  Statement s = db.prepare("SELECT paused_until FROM rate_budgets WHERE budget = ?");
  s.bind(1, b.key);
  std::int64_t paused_until = s.step() ? s.int64(0) : 0;
  s.run();
  const std::int64_t most = plus(now, max_rate_pause_ms);
  if (paused_until > most) {
    db.prepare("UPDATE rate_budgets SET paused_until = ? WHERE budget = ?").bind(1, most).bind(2, b.key).run();
    paused_until = most;
  }
  return paused_until;
}

// Drops the leases that ended, and cuts any lease that ends later than an honest writer
// could have set (now + the longest hold) down to that: it then frees within one hold.
void tidy_leases(Database& db, const StoredBudget& b, std::int64_t now, std::int64_t longest_hold) {
  db.prepare("DELETE FROM rate_leases WHERE budget = ? AND ends_at <= ?").bind(1, b.key).bind(2, now).run();
  const std::int64_t latest = plus(now, longest_hold);
  db.prepare("UPDATE rate_leases SET ends_at = ? WHERE budget = ? AND ends_at > ?")
      .bind(1, latest)
      .bind(2, b.key)
      .bind(3, latest)
      .run();
}

struct Held {
  std::int64_t used = 0;
  std::int64_t leases = 0;
  std::int64_t earliest_end = 0;
};

// The slots held at `now`, each row's count read within [0, limit] and the total cut to the
// limit: a negative count cannot make room, a huge one blocks no longer than its lease.
Held held(Database& db, const StoredBudget& b, std::int64_t now) {
  Statement s = db.prepare(
      "SELECT CAST(COALESCE(SUM(CASE WHEN slots < 0 THEN 0 WHEN slots > ? THEN ? ELSE slots END), 0) AS BIGINT), "
      "COUNT(*), CAST(COALESCE(MIN(ends_at), 0) AS BIGINT) FROM rate_leases WHERE budget = ? AND ends_at > ?");
  s.bind(1, b.limit).bind(2, b.limit).bind(3, b.key).bind(4, now);
  Held out;
  if (s.step()) {
    out.used = std::min(s.int64(0), b.limit);
    out.leases = s.int64(1);
    out.earliest_end = s.int64(2);
  }
  return out;
}

void check_holder(std::string_view holder) {
  if (holder.empty() || holder.size() > 64)
    throw error(errc::validation_failed, "rate budget: a lease's holder must be 1 to 64 characters");
}

// A lease that ended meanwhile was purged; its id may belong to another lease by now, which
// the holder keeps this settlement away from.
void settle(Database& db, const StoredBudget& b, std::string_view holder, const RateLeaseSettlement& s,
            std::int64_t now) {
  const std::int64_t used = std::clamp<std::int64_t>(s.used, 0, b.limit);
  if (used == 0 || s.ends_at <= now) {
    db.prepare("DELETE FROM rate_leases WHERE id = ? AND budget = ? AND holder = ?")
        .bind(1, s.lease)
        .bind(2, b.key)
        .bind(3, holder)
        .run();
    return;
  }
  db.prepare("UPDATE rate_leases SET slots = ?, ends_at = ? WHERE id = ? AND budget = ? AND holder = ?")
      .bind(1, used)
      .bind(2, s.ends_at)
      .bind(3, s.lease)
      .bind(4, b.key)
      .bind(5, holder)
      .run();
}

}  // namespace

StoredBudget stored_budget(const crypto::Secret& data_key, const RateBudgetId& id) {
  if (id.limit <= 0 || id.window_ms <= 0)
    throw error(errc::validation_failed, "rate budget: the limit and the window must be positive");
  const crypto::Secret key = crypto::hkdf_sha256(data_key, {}, key_label, crypto::hmac_sha256_size);
  std::string message = id.account_key;
  message += '\0';
  message += std::to_string(id.limit);
  message += '/';
  message += std::to_string(id.window_ms);
  const crypto::Hmac mac = crypto::hmac_sha256(
      key, crypto::bytes_view(reinterpret_cast<const unsigned char*>(message.data()), message.size()));
  return {crypto::hex_encode(mac), id.limit, id.window_ms};
}

RateLease lease_rate_slots(Database& db, const StoredBudget& b, const RateLeaseRequest& r, std::int64_t now) {
  if (r.want < 1 || r.want > b.limit)
    throw error(errc::validation_failed, "rate budget: a lease asks for 1 to " + std::to_string(b.limit) + " slots");
  if (r.hold_ms < b.window_ms)
    throw error(errc::validation_failed, "rate budget: a lease must hold its slots for at least the window");
  check_holder(r.holder);
  RateLease out;
  out.now = now;
  const std::int64_t paused_until = lock_budget(db, b, now);
  for (const auto& s : r.settle) settle(db, b, r.holder, s, now);
  tidy_leases(db, b, now, r.hold_ms);
  if (paused_until > now) {
    out.paused = true;
    out.retry_at = paused_until;
    return out;
  }
  const Held h = held(db, b, now);
  const std::int64_t free = b.limit - h.used;
  if (free <= 0) {
    out.retry_at = h.earliest_end;
    return out;
  }
  out.slots = std::min(r.want, free);
  Statement s = db.prepare("INSERT INTO rate_leases(budget, holder, slots, ends_at) VALUES(?, ?, ?, ?) RETURNING id");
  s.bind(1, b.key).bind(2, r.holder).bind(3, out.slots).bind(4, plus(now, r.hold_ms));
  if (!s.step()) throw error(errc::store_error, "rate budget: the new lease was not stored");
  out.id = s.int64(0);
  s.run();
  return out;
}

void settle_rate_leases(Database& db, const StoredBudget& b, std::string_view holder,
                        std::span<const RateLeaseSettlement> settlements, std::int64_t now) {
  check_holder(holder);
  for (const auto& s : settlements) settle(db, b, holder, s, now);
}

void pause_rate_budget(Database& db, const StoredBudget& b, std::int64_t until, std::int64_t now) {
  until = std::min(until, plus(now, max_rate_pause_ms));
  (void)lock_budget(db, b, now);
  db.prepare("UPDATE rate_budgets SET paused_until = ? WHERE budget = ? AND paused_until < ?")
      .bind(1, until)
      .bind(2, b.key)
      .bind(3, until)
      .run();
}

RateBudgetUsage rate_budget_usage(Database& db, const StoredBudget& b, std::int64_t now) {
  RateBudgetUsage out;
  const Held h = held(db, b, now);
  out.used = h.used;
  out.leases = h.leases;
  Statement s = db.prepare("SELECT paused_until FROM rate_budgets WHERE budget = ?");
  s.bind(1, b.key);
  if (s.step()) out.paused_until = std::min(s.int64(0), plus(now, max_rate_pause_ms));
  return out;
}

}  // namespace harvest_connect::store::detail

#pragma once
// The pull_states table (schema version 3; harvest_connect/store/pull_state.hpp). Store's
// public methods take the lock, open the transaction and find the connection's row; these
// functions do the rest inside that transaction. `check` is Store's row check: it throws
// errc::decryption_failed for a row whose authenticator does not verify, before anything
// from the row is used or written back.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harvest_connect/crypto/secret.hpp"
#include "harvest_connect/store/pull_state.hpp"
#include "store/detail/database.hpp"

namespace harvest_connect::store::detail {

struct PullStateAccess {
  Database& db;
  const crypto::Secret& row_key;
  const std::string& store_id;
  std::function<void(std::int64_t rowid, std::string_view name, std::string_view uid)> check;
};

[[nodiscard]] std::optional<PullState> find_pull_state(const PullStateAccess& a, std::int64_t connection_rowid,
                                                       std::string_view name);
[[nodiscard]] std::vector<PullState> list_pull_states(const PullStateAccess& a, std::int64_t connection_rowid);
// Inserts or replaces the state `state.name`; errc::validation_failed when that name holds a
// state of another path (a mark of one endpoint must never filter another).
void write_pull_state(const PullStateAccess& a, std::int64_t connection_rowid, const PullState& state,
                      std::int64_t now);
// Whether there was one. Works on a tampered row too, so that it can be started afresh.
bool remove_pull_state(Database& db, std::int64_t connection_rowid, std::string_view name);

// "id:updated_at" pairs, comma-separated (the `recent` column); parsing is strict.
[[nodiscard]] std::string encode_recent(const std::vector<PullRecord>& recent);
[[nodiscard]] std::vector<PullRecord> decode_recent(std::string_view text);

}  // namespace harvest_connect::store::detail

#pragma once
// Row authenticators. Sealed values (crypto/sealed_field.hpp) protect secrets, but the plain
// columns beside them decide where secrets are sent (token_url, id_url, api_url...) and
// which record is which (name, the linked client). So every row of oauth_clients,
// connections, pending_authorizations and pull_states carries
//
//   row_mac = HMAC-SHA256(row-MAC key, message)
//
// under a key derived from the data key with HKDF-SHA256 (info "harvest-connect row mac
// v1"), over the length-prefixed message (4-byte big-endian length, then the bytes):
//
//   "harvest-connect row v1" ‖ store id ‖ table ‖ count ‖ for each column: name ‖ value
//
// with every column of the row but `id` (SQLite's rowid, which only links rows) and
// `row_mac` itself, in schema order. A value is a type tag then its canonical bytes:
// 0 NULL; 1 INTEGER (8 bytes big-endian); 2 TEXT (length-prefixed); 3 BLOB (SHA-256 of the
// bytes: sealed values are authenticated already, the digest pins which one); 4 REAL
// (SQLite's text form). A link to another row is replaced by that row's uid (random, never
// reused): connections.oauth_client_id by the client's uid, pending_authorizations.
// connection_id and pull_states.connection_id by the connection's uid, so pointing a row
// at another record changes the message. row_version (in the message) goes up by one on
// every write.

#include <cstdint>
#include <string_view>
#include <vector>

#include "harvest_connect/crypto/secret.hpp"
#include "store/detail/database.hpp"

namespace harvest_connect::store::detail {

struct AuthenticatedColumn {
  const char* column;      // as in the schema
  const char* expression;  // what the SELECT reads for it (table alias `t`)
};

struct AuthenticatedTable {
  const char* table;
  const char* display;      // "connection" etc., for messages
  const char* name_column;  // how a person names the record ("uid" where there is no name)
  std::vector<AuthenticatedColumn> columns;
};

[[nodiscard]] const std::vector<AuthenticatedTable>& authenticated_tables();
[[nodiscard]] const AuthenticatedTable& authenticated_table(std::string_view table);

[[nodiscard]] crypto::Secret derive_row_mac_key(const crypto::Secret& data_key);

// Increments row_version of row `rowid` and writes its row_mac. Call after every write to
// the row, inside the write's transaction.
void authenticate_row(Database& db, const AuthenticatedTable& table, const crypto::Secret& mac_key,
                      std::string_view store_id, std::int64_t rowid);

// Whether row `rowid`'s row_mac verifies (false for a missing or NULL row_mac).
[[nodiscard]] bool row_is_authentic(Database& db, const AuthenticatedTable& table, const crypto::Secret& mac_key,
                                    std::string_view store_id, std::int64_t rowid);

}  // namespace harvest_connect::store::detail

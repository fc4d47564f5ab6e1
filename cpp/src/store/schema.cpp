#include "store/detail/schema.hpp"

namespace harvest_connect::store::detail {
namespace {

// Version 1. Sealed columns (BLOB) hold crypto/sealed_field.hpp values bound to
// (store id, table, uid, column): uid is random and never reused, so renaming a record
// keeps its values and a value copied to another row fails to open. Names compare
// case-insensitively (ASCII) through COLLATE NOCASE. Tokens live in the connection's row:
// deleting a connection deletes them.
constexpr const char* v1 = R"sql(
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value BLOB NOT NULL
);
CREATE TABLE oauth_clients (
  id                 INTEGER PRIMARY KEY,
  uid                TEXT NOT NULL UNIQUE,
  name               TEXT NOT NULL UNIQUE COLLATE NOCASE,
  provider           TEXT NOT NULL CHECK (provider IN ('harvest', 'custom')),
  client_id          TEXT NOT NULL,
  client_secret      BLOB NOT NULL,
  authorize_url      TEXT,
  token_url          TEXT,
  revoke_url         TEXT,
  redirect_uri       TEXT,
  scope              TEXT,
  pkce               INTEGER NOT NULL,
  client_credentials TEXT NOT NULL CHECK (client_credentials IN ('body', 'basic')),
  created_at         INTEGER NOT NULL,
  updated_at         INTEGER NOT NULL
);
CREATE TABLE connections (
  id                    INTEGER PRIMARY KEY,
  uid                   TEXT NOT NULL UNIQUE,
  name                  TEXT NOT NULL UNIQUE COLLATE NOCASE,
  type                  TEXT NOT NULL CHECK (type = 'harvest'),
  oauth_client_id       INTEGER REFERENCES oauth_clients(id) ON DELETE RESTRICT,
  personal_access_token BLOB,
  account_id            BLOB NOT NULL,
  user_agent            TEXT,
  api_url               TEXT NOT NULL,
  id_url                TEXT NOT NULL,
  status                TEXT NOT NULL CHECK (status IN ('not_authorized', 'authorized', 'offline')),
  access_token          BLOB,
  refresh_token         BLOB,
  token_expires_at      INTEGER,
  last_error            TEXT,
  created_at            INTEGER NOT NULL,
  updated_at            INTEGER NOT NULL,
  CHECK ((oauth_client_id IS NULL) <> (personal_access_token IS NULL))
);
CREATE INDEX connections_by_client ON connections(oauth_client_id);
CREATE TABLE pending_authorizations (
  id            INTEGER PRIMARY KEY,
  uid           TEXT NOT NULL UNIQUE,
  connection_id INTEGER NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
  state_hash    BLOB NOT NULL UNIQUE,
  code_verifier BLOB,
  redirect_uri  TEXT NOT NULL,
  created_at    INTEGER NOT NULL,
  expires_at    INTEGER NOT NULL
);
)sql";

// Version 2: every row carries row_version (up by one on every write) and row_mac, an HMAC
// over the whole row (store/detail/row_mac.hpp). Store::open writes the MACs of existing
// rows in the migration's transaction (it holds the key then), and rewraps the data key so
// that a store lowered back to version 1 no longer opens as one (migrations.cpp, wrap_context).
constexpr const char* v2 = R"sql(
ALTER TABLE oauth_clients ADD COLUMN row_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE oauth_clients ADD COLUMN row_mac BLOB;
ALTER TABLE connections ADD COLUMN row_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE connections ADD COLUMN row_mac BLOB;
ALTER TABLE pending_authorizations ADD COLUMN row_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE pending_authorizations ADD COLUMN row_mac BLOB;
)sql";

// Version 3: the states of incremental pulls (store/pull_state.hpp), one per connection and
// state name, deleted with their connection. Not sealed (ids and times), authenticated by
// row_mac like every row. `recent` lists "id:updated_at" pairs, comma-separated.
constexpr const char* v3 = R"sql(
CREATE TABLE pull_states (
  id            INTEGER PRIMARY KEY,
  uid           TEXT NOT NULL UNIQUE,
  connection_id INTEGER NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
  name          TEXT NOT NULL COLLATE NOCASE,
  path          TEXT NOT NULL,
  mark          INTEGER NOT NULL,
  recent        TEXT NOT NULL,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  row_version   INTEGER NOT NULL DEFAULT 0,
  row_mac       BLOB,
  UNIQUE (connection_id, name)
);
)sql";

// Version 4: the shared rate budget (store/rate_budget.hpp, store/detail/rate_budget.hpp).
// A budget is named by a keyed digest of the account key and the limit; times are wall-clock
// Unix milliseconds. Not authenticated: every value read is clamped (docs/security.md).
// rate_budgets holds the pause after a 429 and is the row every lease transaction locks.
constexpr const char* v4 = R"sql(
CREATE TABLE rate_budgets (
  budget       TEXT PRIMARY KEY,
  paused_until INTEGER NOT NULL
);
CREATE TABLE rate_leases (
  id      INTEGER PRIMARY KEY,
  budget  TEXT NOT NULL,
  holder  TEXT NOT NULL,
  slots   INTEGER NOT NULL,
  ends_at INTEGER NOT NULL
);
CREATE INDEX rate_leases_by_budget ON rate_leases(budget, ends_at);
)sql";

constexpr const char* all[] = {v1, v2, v3, v4};

}  // namespace

std::span<const char* const> migrations() { return all; }

}  // namespace harvest_connect::store::detail

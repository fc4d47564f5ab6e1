#pragma once
// Bringing a store's schema to this library's version: a new store gets every migration
// (store/detail/schema.hpp holds their SQL), an existing one the migrations past its
// schema version (Database::schema_version()), in one immediate transaction. Also the rule that ties the wrapping of
// the data key to the schema version, so that a store whose version was lowered (to have
// rows changed outside harvest-connect authenticated by a migration) does not open.

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "harvest_connect/crypto/envelope.hpp"
#include "harvest_connect/crypto/master_key.hpp"
#include "store/detail/database.hpp"

namespace harvest_connect::store::detail {

// From this version on every row carries an authenticator (store/detail/row_mac.hpp).
inline constexpr int first_authenticated_version = 2;

// The associated data under which the master key wraps the data key of a store at
// `schema_version`. From first_authenticated_version on it differs from version 1's.
[[nodiscard]] std::string wrap_context(std::string_view store_id, int schema_version);

// Creates the latest schema in a new, empty database, inside the caller's immediate
// transaction. Returns the schema version it created.
int create_schema(Database& db);

// Throws store_error when a store's version is newer than this library understands.
void check_schema_supported(int version, std::string_view location);

// The data key of an existing store at `version`. A data key that does not open under the
// version's wrap context but does under an authenticated version's is reported as tampering
// (errc::decryption_failed naming the store), never migrated.
[[nodiscard]] crypto::DataKey unwrap_store_data_key(const crypto::MasterKey& master, crypto::bytes_view wrapped,
                                                    std::string_view store_id, int version,
                                                    std::string_view location);

// The steps of an upgrade that need the open store's keys.
struct UpgradeSteps {
  // Rows written before authenticators existed are trusted as they are, once: authenticate
  // them all and rewrap the data key under the latest version's wrap context.
  std::function<void()> authenticate_existing_rows;
};

// Brings an existing store found at `version` to latest_schema_version() in one immediate
// transaction (another process may have migrated it meanwhile: the version is read again
// inside it). Returns whether a transaction ran.
bool upgrade_schema(Database& db, int version, const UpgradeSteps& steps);

}  // namespace harvest_connect::store::detail

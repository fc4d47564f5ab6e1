#include "store/detail/migrations.hpp"

#include <cstddef>

#include "harvest_connect/error.hpp"
#include "store/detail/postgres_schema.hpp"
#include "store/detail/schema.hpp"

namespace harvest_connect::store::detail {
namespace {

// PostgreSQL's steps reach SQLite's latest version: a version added to store/schema.cpp
// needs its PostgreSQL form in store/postgres_schema.cpp.
void check_postgres_schema_complete() {
  int reached = 0;
  for (const PostgresStep& step : postgres_schema())
    if (step.version <= latest_schema_version()) reached = step.version;
  if (reached != latest_schema_version())
    throw error(errc::internal_error, "the PostgreSQL schema stops at version " + std::to_string(reached) +
                                          ", SQLite's at " + std::to_string(latest_schema_version()));
}

}  // namespace

// A store whose user_version was lowered to 1 to have its rows re-authenticated by the
// migration does not open as a v1 store (Store::open says it was tampered with).
std::string wrap_context(std::string_view store_id, int schema_version) {
  std::string out(store_id);
  if (schema_version >= first_authenticated_version) out += "/rows-authenticated";
  return out;
}

int create_schema(Database& db) {
  if (db.kind() == BackendKind::postgres) {
    check_postgres_schema_complete();
    for (const PostgresStep& step : postgres_schema())
      if (step.version <= latest_schema_version()) db.exec(step.sql);
    db.set_schema_version(latest_schema_version());
    return latest_schema_version();
  }
  auto all = migrations();
  for (const char* sql : all) db.exec(sql);
  db.set_schema_version(static_cast<int>(all.size()));
  return static_cast<int>(all.size());
}

void check_schema_supported(int version, std::string_view location) {
  if (version > latest_schema_version())
    throw error(errc::store_error, "the store " + std::string(location) + " has schema version " + std::to_string(version) +
                                       ", newer than this harvest-connect understands (" +
                                       std::to_string(latest_schema_version()) + "); upgrade harvest-connect");
}

crypto::DataKey unwrap_store_data_key(const crypto::MasterKey& master, crypto::bytes_view wrapped,
                                      std::string_view store_id, int version, std::string_view location) {
  try {
    return crypto::unwrap_data_key(master, wrapped, wrap_context(store_id, version));
  } catch (const error& e) {
    // The key is right (else key_mismatch) but the data key was wrapped for authenticated
    // rows: someone lowered the schema version so that the migration would authenticate
    // rows they changed. Refuse rather than migrate.
    if (e.kind() != errc::decryption_failed || version >= first_authenticated_version) throw;
    bool lowered = true;
    try {
      (void)crypto::unwrap_data_key(master, wrapped, wrap_context(store_id, first_authenticated_version));
    } catch (const error&) {
      lowered = false;
    }
    if (!lowered) throw;
    throw error(errc::decryption_failed,
                "integrity check failed: the store " + std::string(location) + " says it has schema version " +
                    std::to_string(version) +
                    " but its data key belongs to a newer store with authenticated rows: the file was changed "
                    "outside harvest-connect. Nothing was read or written; restore the store from a backup");
  }
}

bool upgrade_schema(Database& db, int version, const UpgradeSteps& steps) {
  if (version >= latest_schema_version()) return false;
  Transaction tx(db, Transaction::Kind::immediate);
  const int current = db.schema_version();
  if (db.kind() == BackendKind::postgres) {
    check_postgres_schema_complete();
    for (const PostgresStep& step : postgres_schema())
      if (step.version > current && step.version <= latest_schema_version()) db.exec(step.sql);
  } else {
    auto all = migrations();
    for (std::size_t i = static_cast<std::size_t>(current); i < all.size(); ++i) db.exec(all[i]);
  }
  db.set_schema_version(latest_schema_version());
  if (current < first_authenticated_version) steps.authenticate_existing_rows();
  tx.commit();
  return true;
}

}  // namespace harvest_connect::store::detail

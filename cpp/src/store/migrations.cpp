#include "store/detail/migrations.hpp"

#include <cstddef>

#include "harvest_connect/error.hpp"
#include "store/detail/schema.hpp"

namespace harvest_connect::store::detail {
namespace {

void set_user_version(Database& db, std::size_t version) {
  db.exec(("PRAGMA user_version = " + std::to_string(version)).c_str());
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
  auto all = migrations();
  for (const char* sql : all) db.exec(sql);
  set_user_version(db, all.size());
  return static_cast<int>(all.size());
}

void check_schema_supported(int version, const std::filesystem::path& path) {
  if (version > latest_schema_version())
    throw error(errc::store_error, "the store " + path.string() + " has schema version " + std::to_string(version) +
                                       ", newer than this harvest-connect understands (" +
                                       std::to_string(latest_schema_version()) + "); upgrade harvest-connect");
}

crypto::DataKey unwrap_store_data_key(const crypto::MasterKey& master, crypto::bytes_view wrapped,
                                      std::string_view store_id, int version, const std::filesystem::path& path) {
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
                "integrity check failed: the store " + path.string() + " says it has schema version " +
                    std::to_string(version) +
                    " but its data key belongs to a newer store with authenticated rows: the file was changed "
                    "outside harvest-connect. Nothing was read or written; restore the store from a backup");
  }
}

bool upgrade_schema(Database& db, int version, const UpgradeSteps& steps) {
  if (version >= latest_schema_version()) return false;
  Transaction tx(db, Transaction::Kind::immediate);
  const int current = static_cast<int>(db.pragma_int("user_version"));
  auto all = migrations();
  for (std::size_t i = static_cast<std::size_t>(current); i < all.size(); ++i) db.exec(all[i]);
  set_user_version(db, all.size());
  if (current < first_authenticated_version) steps.authenticate_existing_rows();
  tx.commit();
  return true;
}

}  // namespace harvest_connect::store::detail

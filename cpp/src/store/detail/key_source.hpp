#pragma once
// Where a store's master key comes from (DESIGN.md, "Encryption at rest"): the first source
// that is set wins — an explicit key; a passphrase (scrypt, its parameters and salt kept in
// the store); an explicit key file; HARVEST_CONNECT_KEY; HARVEST_CONNECT_KEY_FILE; the
// default key file, created 0600 only for a new store (an existing store never gets a fresh
// key file by accident).

#include <optional>
#include <vector>

#include "harvest_connect/crypto/master_key.hpp"
#include "harvest_connect/crypto/scrypt.hpp"
#include "harvest_connect/store/options.hpp"

namespace harvest_connect::store::detail {

// A passphrase store's scrypt parameters and salt, as kept in its meta table.
struct Kdf {
  std::vector<unsigned char> salt;
  crypto::ScryptParams params;
};

struct ResolvedKey {
  crypto::MasterKey key;
  std::optional<Kdf> kdf;  // set when the key came from a passphrase
};

// The master key for a store being created (`new_store`) or opened; `stored_kdf` is the
// existing store's passphrase parameters, if it has any. Throws key_mismatch when the
// source given cannot be the store's (a passphrase for a key store, or the reverse).
[[nodiscard]] ResolvedKey resolve_key(const OpenOptions& options, bool new_store, const std::optional<Kdf>& stored_kdf);

}  // namespace harvest_connect::store::detail

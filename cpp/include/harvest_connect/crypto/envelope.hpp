#pragma once
// Envelope encryption: each store has a random 256-bit data key (DEK) that seals its
// fields; the master key (KEK) wraps the DEK. Rotating the master key rewraps the DEK only.
// A wrapped DEK uses the sealed-field format, with the master key's id and the place
// (store id, "store", "data_key", "dek") as associated data.

#include <string_view>
#include <vector>

#include "harvest_connect/crypto/master_key.hpp"
#include "harvest_connect/crypto/secret.hpp"
#include "harvest_connect/crypto/aes_gcm.hpp"

namespace harvest_connect::crypto {

struct DataKey {
  Secret key;
  KeyId id{};
  [[nodiscard]] static DataKey generate();
};

[[nodiscard]] std::vector<unsigned char> wrap_data_key(const MasterKey& master, const DataKey& data_key,
                                                       std::string_view store_id);
// errc::key_mismatch (naming the expected and the given key ids) when the wrapped DEK names
// another master key; errc::decryption_failed when it names this key but does not verify.
[[nodiscard]] DataKey unwrap_data_key(const MasterKey& master, bytes_view wrapped, std::string_view store_id);
// The id of the master key that wrapped it (hex), or "" when malformed.
[[nodiscard]] std::string wrapping_key_id(bytes_view wrapped);
[[nodiscard]] std::vector<unsigned char> rewrap_data_key(const MasterKey& old_master, const MasterKey& new_master,
                                                         bytes_view wrapped, std::string_view store_id);

}  // namespace harvest_connect::crypto

#pragma once
// The sealed-field format of every secret at rest:
//
//   version(1) ‖ key_id(4) ‖ nonce(12) ‖ ciphertext ‖ tag(16)
//
// sealed with AES-256-GCM under the store's data key, with associated data that binds the
// value to its place: length-prefixed (4-byte big-endian length, then the bytes)
//
//   format version ‖ key id ‖ store id ‖ table ‖ record id ‖ field
//
// so a sealed value copied to another store, row or column fails to open.

#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "harvest_connect/crypto/aes_gcm.hpp"
#include "harvest_connect/crypto/master_key.hpp"
#include "harvest_connect/crypto/secret.hpp"

namespace harvest_connect::crypto {

inline constexpr unsigned char sealed_format_version = 1;
inline constexpr std::size_t sealed_header_size = 1 + key_id_size + gcm_nonce_size;
inline constexpr std::size_t sealed_overhead = sealed_header_size + gcm_tag_size;

// Where a sealed value lives; none of it is secret.
struct FieldContext {
  std::string store_id;
  std::string table;
  std::string record_id;
  std::string field;
};

[[nodiscard]] std::vector<unsigned char> associated_data(unsigned char version, const KeyId& key_id,
                                                         const FieldContext& where);

[[nodiscard]] std::vector<unsigned char> seal_field(const Secret& key, const KeyId& key_id,
                                                    const FieldContext& where, bytes_view plaintext);
// With a caller-chosen nonce, for known-answer tests only: never reuse a nonce under a key.
[[nodiscard]] std::vector<unsigned char> seal_field_with_nonce(const Secret& key, const KeyId& key_id,
                                                               const FieldContext& where, bytes_view nonce,
                                                               bytes_view plaintext);

// The key id a sealed value names, or nullopt when it is too short or of another version.
[[nodiscard]] std::optional<KeyId> sealed_key_id(bytes_view sealed);

// Opens a sealed value. errc::decryption_failed when it is malformed, names another key, or
// fails to authenticate (tampered, or moved from another place).
[[nodiscard]] Secret open_field(const Secret& key, const KeyId& key_id, const FieldContext& where,
                                bytes_view sealed, std::error_code& ec);
// As above, throwing an error whose message names the table, record and field.
[[nodiscard]] Secret open_field(const Secret& key, const KeyId& key_id, const FieldContext& where,
                                bytes_view sealed);

}  // namespace harvest_connect::crypto

#pragma once
// The master key (key-encryption key) of a store, and key ids. A key id is the first four
// bytes of SHA-256 over a domain label and the key: it names a key in messages and in
// sealed values without revealing anything usable about it.

#include <array>
#include <string>
#include <string_view>

#include "harvest_connect/crypto/secret.hpp"

namespace harvest_connect::crypto {

inline constexpr std::size_t key_id_size = 4;
using KeyId = std::array<unsigned char, key_id_size>;

[[nodiscard]] KeyId key_id_of(const Secret& key);
[[nodiscard]] std::string key_id_hex(const KeyId& id);

class MasterKey {
 public:
  // Takes 32 bytes of key material (errc::key_error otherwise).
  explicit MasterKey(Secret bytes);
  [[nodiscard]] static MasterKey generate();
  // Strict base64 of exactly 32 bytes; surrounding whitespace (a key file's newline) is
  // ignored. The error never repeats the text it was given.
  [[nodiscard]] static MasterKey from_base64(std::string_view text);

  [[nodiscard]] Secret to_base64() const;
  [[nodiscard]] const KeyId& id_bytes() const noexcept { return id_; }
  // Eight hex digits, safe to print.
  [[nodiscard]] std::string id() const { return key_id_hex(id_); }
  [[nodiscard]] const Secret& bytes() const noexcept { return bytes_; }

 private:
  Secret bytes_;
  KeyId id_{};
};

}  // namespace harvest_connect::crypto

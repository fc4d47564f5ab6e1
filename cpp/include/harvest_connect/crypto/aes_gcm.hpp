#pragma once
// AES-GCM over OpenSSL EVP with 96-bit nonces and 128-bit tags only. The store uses
// AES-256 (seal()/open() enforce a 32-byte key); the 128- and 192-bit key sizes exist so
// that the primitive can be checked against every Wycheproof vector.

#include <cstddef>
#include <span>
#include <system_error>
#include <vector>

#include "harvest_connect/crypto/secret.hpp"

namespace harvest_connect::crypto {

inline constexpr std::size_t aes256_key_size = 32;
inline constexpr std::size_t gcm_nonce_size = 12;
inline constexpr std::size_t gcm_tag_size = 16;

using bytes_view = std::span<const unsigned char>;

// Encrypts with an explicit nonce; returns ciphertext ‖ tag. Throws errc::unsupported for
// a key that is not 16, 24 or 32 bytes or a nonce that is not 12 bytes. Never reuse a
// nonce under one key: seal() draws a fresh one.
[[nodiscard]] std::vector<unsigned char> aes_gcm_encrypt(const Secret& key, bytes_view nonce, bytes_view aad,
                                                         bytes_view plaintext);

// Decrypts ciphertext ‖ tag. The plaintext is released only after the tag verified; on a
// failed tag `ec` is errc::decryption_failed and the result is empty.
[[nodiscard]] Secret aes_gcm_decrypt(const Secret& key, bytes_view nonce, bytes_view aad,
                                     bytes_view ciphertext_and_tag, std::error_code& ec);
// As above, throwing harvest_connect::error.
[[nodiscard]] Secret aes_gcm_decrypt(const Secret& key, bytes_view nonce, bytes_view aad,
                                     bytes_view ciphertext_and_tag);

// AES-256-GCM with a fresh random nonce: returns nonce ‖ ciphertext ‖ tag.
[[nodiscard]] std::vector<unsigned char> seal(const Secret& key, bytes_view aad, bytes_view plaintext);
// Opens nonce ‖ ciphertext ‖ tag from seal(); errc::decryption_failed when it does not verify.
[[nodiscard]] Secret open(const Secret& key, bytes_view aad, bytes_view sealed, std::error_code& ec);
[[nodiscard]] Secret open(const Secret& key, bytes_view aad, bytes_view sealed);

}  // namespace harvest_connect::crypto

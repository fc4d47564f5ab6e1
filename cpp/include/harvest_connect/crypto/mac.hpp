#pragma once
// HMAC-SHA256 (RFC 2104 / FIPS 198-1) and HKDF-SHA256 (RFC 5869), through OpenSSL's EVP_MAC
// and EVP_KDF. The store uses HKDF to derive a row-authentication key from its data key and
// HMAC to authenticate each row (store/store.hpp); nothing here is store-specific.

#include <array>
#include <cstddef>
#include <string_view>

#include "harvest_connect/crypto/aes_gcm.hpp"
#include "harvest_connect/crypto/secret.hpp"

namespace harvest_connect::crypto {

inline constexpr std::size_t hmac_sha256_size = 32;
// RFC 5869 §2.3: at most 255 blocks of the hash's output.
inline constexpr std::size_t hkdf_sha256_max_size = 255 * 32;

using Hmac = std::array<unsigned char, hmac_sha256_size>;

// HMAC-SHA256 of `message` under `key` (any length, including empty).
[[nodiscard]] Hmac hmac_sha256(const Secret& key, bytes_view message);
// Compares `tag` with the HMAC of `message` in constant time; false for a tag of another size.
[[nodiscard]] bool hmac_sha256_verify(const Secret& key, bytes_view message, bytes_view tag);

// HKDF-SHA256 (extract then expand) of `size` bytes. errc::unsupported when `size` is 0 or
// more than hkdf_sha256_max_size; nothing partial is returned.
[[nodiscard]] Secret hkdf_sha256(const Secret& input_key, bytes_view salt, std::string_view info, std::size_t size);
[[nodiscard]] Secret hkdf_sha256(const Secret& input_key, bytes_view salt, bytes_view info, std::size_t size);

}  // namespace harvest_connect::crypto

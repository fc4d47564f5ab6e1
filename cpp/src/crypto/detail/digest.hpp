#pragma once
// SHA-256 through OpenSSL's EVP, the one digest the library computes outside HMAC/HKDF:
// key ids, PKCE challenges, the hashes of stored `state` values and of sealed columns in row
// authenticators, and cache keys that must not hold a secret. Several parts are hashed as
// their concatenation (callers put their own separators between them).

#include <array>
#include <cstddef>
#include <initializer_list>
#include <span>
#include <string_view>

namespace harvest_connect::crypto::detail {

inline constexpr std::size_t sha256_size = 32;
using Sha256 = std::array<unsigned char, sha256_size>;

// errc::internal_error when OpenSSL fails (out of memory); nothing partial is returned.
[[nodiscard]] Sha256 sha256(std::initializer_list<std::span<const unsigned char>> parts);
[[nodiscard]] Sha256 sha256(std::span<const unsigned char> data);
[[nodiscard]] Sha256 sha256(std::string_view text);

// A view of text as bytes, for a part of sha256().
[[nodiscard]] inline std::span<const unsigned char> as_bytes(std::string_view text) noexcept {
  return {reinterpret_cast<const unsigned char*>(text.data()), text.size()};
}

}  // namespace harvest_connect::crypto::detail

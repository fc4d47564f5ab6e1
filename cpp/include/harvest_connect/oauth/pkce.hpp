#pragma once
// PKCE (RFC 7636) with the S256 method: a code verifier of 32 random bytes, base64url
// without padding (43 characters), and its challenge BASE64URL(SHA-256(verifier)).
// The verifier is a secret: it goes to the token endpoint only, never into a URL.

#include <cstddef>
#include <string>
#include <string_view>

#include "harvest_connect/crypto/secret.hpp"

namespace harvest_connect::oauth {

// Random bytes behind a verifier, and the verifier's length once encoded.
inline constexpr std::size_t pkce_verifier_entropy_size = 32;
inline constexpr std::size_t pkce_verifier_length = 43;
inline constexpr const char* pkce_method = "S256";

struct Pkce {
  crypto::Secret verifier;  // 43 base64url characters
  std::string challenge;    // BASE64URL(SHA-256(verifier)), not secret
};

// A fresh verifier and its challenge.
[[nodiscard]] Pkce make_pkce();
// The S256 challenge of a verifier. Throws errc::validation_failed when the verifier is not
// 43–128 characters of [A-Za-z0-9-._~] (RFC 7636 §4.1).
[[nodiscard]] std::string code_challenge_s256(const crypto::Secret& verifier);

}  // namespace harvest_connect::oauth

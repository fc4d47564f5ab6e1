#pragma once
// The OAuth `state` parameter: 32 random bytes, base64url without padding (43 characters),
// used once, compared in constant time. It binds a redirect to the request that caused it
// (RFC 6749 §10.12, RFC 9700 §4.7), so it is a secret until the flow ends.

#include <cstddef>

#include "harvest_connect/crypto/secret.hpp"

namespace harvest_connect::oauth {

inline constexpr std::size_t state_entropy_size = 32;
inline constexpr std::size_t state_length = 43;

// A fresh state value (the base64url text, as it goes into the URL).
[[nodiscard]] crypto::Secret make_state();
// Constant time in the contents (CRYPTO_memcmp); different lengths are simply unequal.
[[nodiscard]] bool states_equal(const crypto::Secret& expected, const crypto::Secret& received) noexcept;

}  // namespace harvest_connect::oauth

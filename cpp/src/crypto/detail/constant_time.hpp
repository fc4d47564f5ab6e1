#pragma once
// Comparing secrets (OAuth `state`, PKCE verifiers, client secrets, tokens, MAC tags) in
// time that does not depend on where they first differ (CRYPTO_memcmp), so that an attacker
// who can time answers cannot guess them byte by byte. Values of different lengths are
// simply unequal: the length of such a value is not secret.

#include <span>
#include <string_view>

namespace harvest_connect::crypto::detail {

[[nodiscard]] bool constant_time_equal(std::span<const unsigned char> a, std::span<const unsigned char> b) noexcept;
[[nodiscard]] bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

}  // namespace harvest_connect::crypto::detail

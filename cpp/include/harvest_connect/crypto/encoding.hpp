#pragma once
// Base64 (RFC 4648, strict), base64url without padding (for PKCE), and lower-case hex,
// through OpenSSL's encoder. Decoding refuses anything that is not canonical.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harvest_connect/crypto/aes_gcm.hpp"
#include "harvest_connect/crypto/secret.hpp"

namespace harvest_connect::crypto {

[[nodiscard]] std::string base64_encode(bytes_view data);
// Same, into a Secret, for encoding key material.
[[nodiscard]] Secret base64_encode_secret(const Secret& data);
// Strict decode: padded, standard alphabet, no whitespace. nullopt when malformed.
[[nodiscard]] std::optional<std::vector<unsigned char>> base64_decode(std::string_view text);
// Strict decode into a Secret (wiped on every path); nullopt when malformed.
[[nodiscard]] std::optional<Secret> base64_decode_secret(std::string_view text);
// RFC 4648 §5 alphabet, no padding (RFC 7636 uses it for code challenges).
[[nodiscard]] std::string base64url_encode(bytes_view data);
[[nodiscard]] std::string hex_encode(bytes_view data);
[[nodiscard]] std::optional<std::vector<unsigned char>> hex_decode(std::string_view text);

}  // namespace harvest_connect::crypto

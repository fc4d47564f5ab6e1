#pragma once
// The token endpoint's answer (RFC 6749 §5.1, §5.2), parsed strictly.
//
// Success (HTTP 200): a JSON object with a non-empty string `access_token`, `token_type`
// "bearer" (any case), `expires_in` a positive integer when present (any value above
// max_token_lifetime, even beyond 64 bits, counts as max_token_lifetime), and `refresh_token`
// (required after a code exchange, optional after a refresh: then the old one is kept).
// Anything else is errc::token_error. An RFC 6749 error body ({"error", "error_description"})
// becomes errc::token_error carrying the server's error code (error::server_error()) and its
// description in the message. Bodies over max_token_response_size are refused unread.
// No message ever repeats a token: the server's error code and description pass through
// `scrubber` (the request's and the connection's secrets, model/scrubber.hpp) first.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "harvest_connect/crypto/secret.hpp"
#include "harvest_connect/model/scrubber.hpp"

namespace harvest_connect::oauth {

inline constexpr std::size_t max_token_response_size = 64 * 1024;
// The longest access token lifetime believed (Harvest's are 14 days): a year.
inline constexpr std::chrono::seconds max_token_lifetime{366LL * 24 * 3600};

enum class GrantType { authorization_code, refresh_token };

struct TokenResponse {
  crypto::Secret access_token;
  std::optional<crypto::Secret> refresh_token;
  std::optional<std::int64_t> expires_in;  // seconds, in [1, max_token_lifetime]
  std::optional<crypto::Secret> scope;     // may hold account IDs
};

[[nodiscard]] TokenResponse parse_token_response(int http_status, std::string_view body, GrantType grant,
                                                const model::Scrubber& scrubber = {});

}  // namespace harvest_connect::oauth

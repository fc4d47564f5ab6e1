#pragma once
// What a 401 from the Harvest API most likely means, in words the user can act on.
//
// Harvest answers a missing or wrong Harvest-Account-Id header with 401 invalid_token, the
// same answer as for an expired or revoked token. The client can tell them apart by what it
// already knows: a token that was refreshed a moment ago (or a personal access token that
// the identity service accepts) is fine, so the account ID is the likely cause.

#include <string>
#include <string_view>

namespace harvest_connect::harvest {

enum class UnauthorizedCause {
  token,           // the access token is expired, revoked or malformed: authorize again
  account_header,  // the token is fine; the Harvest-Account-Id (the connection's account ID) is wrong
  unknown,         // either of the two: the message names both
};

struct UnauthorizedContext {
  bool account_header_sent = true;
  // The request was repeated with a freshly refreshed token and was refused again.
  bool fresh_token_refused = false;
  bool personal_access_token = false;
  // A refresh was attempted and the token endpoint refused it (invalid_grant).
  bool refresh_refused = false;
};

[[nodiscard]] UnauthorizedCause diagnose_unauthorized(const UnauthorizedContext& context) noexcept;

// The message for a 401 (no secret: built from the cause and the server's error code only).
// `server_error` is the body's "error" field when there was one, e.g. "invalid_token".
[[nodiscard]] std::string unauthorized_message(const UnauthorizedContext& context, std::string_view server_error);

}  // namespace harvest_connect::harvest

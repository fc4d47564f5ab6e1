#pragma once
// The redirect back from the provider (RFC 6749 §4.1.2): parsing it, and the checks that
// decide whether it completes this authorization request.
//
// Checks, in order: the exact redirect path (and for a pasted absolute URL the same scheme,
// host and port); a state that is present and equal to ours (constant time); no `error`
// (`access_denied` means the user declined); a code. Every failure is
// errc::authorization_failed with a message that says what to do and holds no secret.

#include <optional>
#include <string>
#include <string_view>

#include "harvest_connect/crypto/secret.hpp"

namespace harvest_connect::oauth {

struct CallbackParams {
  bool absolute = false;  // an absolute URL (pasted) rather than an origin-form target
  std::string url_without_query;  // scheme://host:port/path (absolute) or /path; no secret
  std::string path;               // decoded path
  std::optional<crypto::Secret> code;
  std::optional<crypto::Secret> state;
  std::optional<std::string> error;              // printable ASCII, capped
  std::optional<std::string> error_description;  // printable ASCII, capped
  std::optional<crypto::Secret> scope;           // holds account IDs
};

// Parses an origin-form target ("/callback?code=...") or an absolute URL. A parameter given
// twice, or a target that is not a URL, is errc::authorization_failed.
[[nodiscard]] CallbackParams parse_callback(std::string_view target_or_url);

// Whether the redirect arrived at the redirect URI's path (for an absolute URL also its
// scheme, host and port).
[[nodiscard]] bool callback_matches_redirect(const CallbackParams& callback, std::string_view redirect_uri);

struct AuthorizationGrant {
  crypto::Secret code;
  std::optional<crypto::Secret> scope;  // as granted, when the provider said
};

// All the checks above; returns the code and the granted scope.
[[nodiscard]] AuthorizationGrant check_callback(const CallbackParams& callback, std::string_view redirect_uri,
                                                const crypto::Secret& expected_state);

// The check of an `error` answer alone (for callers that matched the state already).
[[noreturn]] void throw_authorization_error(const CallbackParams& callback);

}  // namespace harvest_connect::oauth

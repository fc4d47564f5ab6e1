#pragma once
// The authorization request (RFC 6749 §4.1.1): the URL the user's browser opens at the
// provider, with a fresh state and, unless turned off, a PKCE S256 challenge (RFC 7636).
//
// The URL holds the state, so it is kept in a Secret: it is shown to the user (or handed to
// the browser) and never logged. The PKCE verifier never goes into it.

#include <optional>
#include <string>

#include "harvest_connect/crypto/secret.hpp"

namespace harvest_connect::oauth {

struct AuthorizationParams {
  std::string authorize_url;  // absolute; an existing query is kept
  std::string client_id;
  std::string redirect_uri;   // sent as is, and again at the token endpoint
  std::optional<std::string> scope;  // space-separated; omitted when empty
  bool pkce = true;
};

struct AuthorizationRequest {
  crypto::Secret url;  // holds the state: for the user's browser only
  crypto::Secret state;
  std::optional<crypto::Secret> code_verifier;  // absent when PKCE is off
  std::string redirect_uri;
};

// A request with a fresh state (and verifier). Throws errc::validation_failed when the
// authorize URL or redirect URI is not an absolute http(s) URL.
[[nodiscard]] AuthorizationRequest make_authorization_request(const AuthorizationParams& params);

// The URL for a given state and challenge (no challenge: no PKCE parameters).
[[nodiscard]] crypto::Secret build_authorization_url(const AuthorizationParams& params, const crypto::Secret& state,
                                                     const std::optional<std::string>& code_challenge);

}  // namespace harvest_connect::oauth

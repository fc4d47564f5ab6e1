#pragma once
// The token endpoint request (RFC 6749 §4.1.3, §6): a form-encoded POST body for the code
// exchange or a refresh, with the client's credentials in the body (Harvest's way) or as
// HTTP Basic (RFC 6749 §2.3.1, form-encoded before base64). The body and an Authorization
// header hold secrets, so the body is a Secret and the request is never logged.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "harvest_connect/crypto/secret.hpp"

namespace harvest_connect::oauth {

enum class ClientAuth { body, basic };

struct ClientConfig {
  std::string token_url;
  std::string client_id;
  crypto::Secret client_secret;
  ClientAuth auth = ClientAuth::body;
};

struct TokenRequest {
  std::string url;
  // Content-Type and Accept; Authorization: Basic ... when the client uses HTTP Basic.
  std::vector<std::pair<std::string, crypto::Secret>> headers;
  crypto::Secret body;  // application/x-www-form-urlencoded
};

// grant_type=authorization_code with the code, the same redirect_uri as the authorization
// request, and the PKCE verifier when there was one.
[[nodiscard]] TokenRequest code_exchange_request(const ClientConfig& client, const crypto::Secret& code,
                                                 std::string_view redirect_uri,
                                                 const std::optional<crypto::Secret>& code_verifier);
// grant_type=refresh_token.
[[nodiscard]] TokenRequest refresh_request(const ClientConfig& client, const crypto::Secret& refresh_token);

// RFC 7009 revocation: token=...&token_type_hint=..., with the client's credentials; the
// ClientConfig's token_url is the revocation URL here.
[[nodiscard]] TokenRequest revocation_request(const ClientConfig& client, const crypto::Secret& token,
                                              std::string_view token_type_hint);

// application/x-www-form-urlencoded encoding of one value (unreserved characters kept,
// everything else percent-encoded), into a Secret.
[[nodiscard]] crypto::Secret form_encode(std::string_view value);

}  // namespace harvest_connect::oauth

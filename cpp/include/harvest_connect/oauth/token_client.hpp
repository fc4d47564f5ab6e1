#pragma once
// Sends token requests (oauth/token_request.hpp) and revocations (RFC 7009) over the HTTPS
// client, without following redirects, with the answer capped at max_token_response_size.
// Failures are errc::token_error (an HTTP error, an OAuth error body, a malformed or
// oversized answer) or the client's own network, TLS and timeout errors. Messages, bodies
// and error codes of the errors thrown pass through a model::Scrubber that knows the
// request's secrets (every form field but grant_type, redirect_uri, client_id and
// token_type_hint; the client secret of an HTTP Basic header) and `connection_secrets`: they
// never hold a secret in any encoding, nor a control character, even if the server echoes one.

#include <string>

#include "harvest_connect/crypto/secret.hpp"
#include "harvest_connect/http/client.hpp"
#include "harvest_connect/model/scrubber.hpp"
#include "harvest_connect/oauth/token_request.hpp"
#include "harvest_connect/oauth/token_response.hpp"

namespace harvest_connect::oauth {

// Client options fit for a token endpoint: no redirects, a small body cap.
[[nodiscard]] http::ClientOptions token_client_options(http::ClientOptions base = {});

[[nodiscard]] TokenResponse request_token(http::Client& client, const TokenRequest& request, GrantType grant,
                                          const std::string& user_agent,
                                          const model::Scrubber& connection_secrets = {});

// RFC 7009 revocation of one token (token_type_hint "refresh_token" or "access_token").
// Throws errc::token_error when the endpoint answers other than 200.
void revoke_token(http::Client& client, const ClientConfig& oauth_client, const std::string& revoke_url,
                  const crypto::Secret& token, const char* token_type_hint, const std::string& user_agent);

}  // namespace harvest_connect::oauth

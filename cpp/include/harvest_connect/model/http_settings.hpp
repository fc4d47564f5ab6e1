#pragma once
// The "HTTP settings" view of a connection: its fully resolved settings in the vocabulary
// of a universal OAuth 2.0 HTTP connector (base URI, headers, authorize/token URLs, scope,
// ping), for users who want to see or reproduce exactly what is sent. Secret values are
// replaced by model::redacted.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "harvest_connect/model/connection.hpp"
#include "harvest_connect/model/oauth_client.hpp"

namespace harvest_connect::model {

struct HttpSettings {
  std::string name;
  std::string base_uri;
  std::string auth_type;  // "oauth2" or "token"
  std::vector<std::pair<std::string, std::string>> headers;
  // OAuth 2.0 (auth_type "oauth2") only:
  std::optional<std::string> grant_type;  // "authorization_code"
  std::optional<std::string> authorize_url;
  std::optional<std::string> token_url;
  std::optional<std::string> revoke_url;
  std::optional<std::string> redirect_uri;
  std::optional<std::string> scope;
  std::optional<std::string> client_id;
  std::optional<std::string> client_secret;               // always redacted
  std::optional<std::string> client_credentials_location;  // "body" or "basic"
  std::optional<bool> pkce;
  std::string ping_method = "GET";
  std::string ping_relative_uri;
};

// `client` is the connection's OAuth client (nullptr for a personal access token).
[[nodiscard]] HttpSettings http_settings(const Connection& connection, const OAuthClient* client);

}  // namespace harvest_connect::model

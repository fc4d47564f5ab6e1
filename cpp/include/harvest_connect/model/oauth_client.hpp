#pragma once
// An OAuth 2.0 client (an app registered once at the provider, reused by many connections).
// The client secret is sealed in the store and never part of this value: OAuthClient holds
// the non-secret fields only, so it can be printed, logged and returned freely.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "harvest_connect/crypto/secret.hpp"

namespace harvest_connect::model {

// "harvest" fills Harvest's endpoints (from the connection's id_url); "custom" must give them.
enum class Provider { harvest, custom };
// Where the token request carries client_id/client_secret: Harvest's examples use the body;
// HTTP Basic (RFC 6749 §2.3.1) is there for other providers.
enum class ClientCredentials { body, basic };

[[nodiscard]] std::string_view to_string(Provider p) noexcept;
[[nodiscard]] std::string_view to_string(ClientCredentials c) noexcept;
// errc::validation_failed naming the field when the text is not one of the values.
[[nodiscard]] Provider provider_from_string(std::string_view text);
[[nodiscard]] ClientCredentials client_credentials_from_string(std::string_view text);

struct OAuthClient {
  // Stable internal id (random, never reused); sealed values are bound to it, not to the name.
  std::string id;
  std::string name;
  Provider provider = Provider::harvest;
  std::string client_id;
  // For provider "harvest" these are empty unless overridden, and resolve against the
  // connection's id_url (see resolved_authorize_url()).
  std::optional<std::string> authorize_url;
  std::optional<std::string> token_url;
  std::optional<std::string> revoke_url;
  // The Redirect URL registered with the app; empty: a loopback URL chosen at authorization.
  std::optional<std::string> redirect_uri;
  std::optional<std::string> scope;
  bool pkce = true;
  ClientCredentials client_credentials = ClientCredentials::body;
  std::int64_t created_at = 0;  // Unix seconds, UTC
  std::int64_t updated_at = 0;

  // The endpoints in force for a connection whose identity service is `id_url`.
  [[nodiscard]] std::string resolved_authorize_url(std::string_view id_url) const;
  [[nodiscard]] std::string resolved_token_url(std::string_view id_url) const;
};

// What create_oauth_client takes. Strings are validated and normalised by the store.
struct NewOAuthClient {
  std::string name;
  std::string client_id;
  crypto::Secret client_secret;
  Provider provider = Provider::harvest;
  std::optional<std::string> authorize_url;
  std::optional<std::string> token_url;
  std::optional<std::string> revoke_url;
  std::optional<std::string> redirect_uri;
  std::optional<std::string> scope;
  bool pkce = true;
  ClientCredentials client_credentials = ClientCredentials::body;
};

// What update_oauth_client takes: only the fields that are set change. An optional URL or
// scope given as "" is cleared. The stored client secret is kept unless a new one is given.
struct OAuthClientChanges {
  std::optional<std::string> name;
  std::optional<std::string> client_id;
  std::optional<crypto::Secret> client_secret;
  std::optional<Provider> provider;
  std::optional<std::string> authorize_url;
  std::optional<std::string> token_url;
  std::optional<std::string> revoke_url;
  std::optional<std::string> redirect_uri;
  std::optional<std::string> scope;
  std::optional<bool> pkce;
  std::optional<ClientCredentials> client_credentials;
};

}  // namespace harvest_connect::model

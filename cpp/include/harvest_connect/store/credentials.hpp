#pragma once
// The decrypted secrets of a connection, for the engine's own use (oauth/, harvest/). This
// is the only way secrets leave the store, it is C++ only (never bound to Python), and
// every value is a crypto::Secret that wipes itself.

#include <cstdint>
#include <optional>

#include "harvest_connect/crypto/secret.hpp"
#include "harvest_connect/model/connection.hpp"
#include "harvest_connect/model/oauth_client.hpp"

namespace harvest_connect::store {

struct ConnectionCredentials {
  model::Connection connection;
  std::optional<model::OAuthClient> oauth_client;  // auth == oauth
  crypto::Secret account_id;
  std::optional<crypto::Secret> client_secret;          // auth == oauth
  std::optional<crypto::Secret> personal_access_token;  // auth == personal_access_token
  std::optional<crypto::Secret> access_token;
  std::optional<crypto::Secret> refresh_token;
};

// What Store::with_token_lock shows the refresher: the tokens as committed right now
// (another process may have refreshed them since this one last looked).
struct TokenState {
  std::optional<crypto::Secret> access_token;
  std::optional<crypto::Secret> refresh_token;
  std::optional<std::int64_t> expires_at;
  model::ConnectionStatus status = model::ConnectionStatus::not_authorized;
};

// New tokens to commit. A missing refresh token keeps the stored one (Harvest does not say
// whether refresh tokens rotate: keep the newest one returned).
struct TokenUpdate {
  crypto::Secret access_token;
  std::optional<crypto::Secret> refresh_token;
  std::optional<std::int64_t> expires_at;
};

}  // namespace harvest_connect::store

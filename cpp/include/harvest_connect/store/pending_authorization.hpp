#pragma once
// An authorization request in flight: created when the browser is sent to the provider,
// taken (once) when the redirect comes back. The state is stored only as its SHA-256 (it
// is looked up, never read back); the PKCE verifier is sealed. They expire after 10 minutes.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "harvest_connect/crypto/secret.hpp"

namespace harvest_connect::store {

inline constexpr std::chrono::seconds pending_authorization_lifetime{600};

struct PendingAuthorization {
  std::string connection;  // the connection's name
  std::optional<crypto::Secret> code_verifier;  // absent when PKCE is off
  std::string redirect_uri;
  std::int64_t created_at = 0;
  std::int64_t expires_at = 0;
};

}  // namespace harvest_connect::store

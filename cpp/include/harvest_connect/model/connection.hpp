#pragma once
// A named connection to one Harvest account: an OAuth client (or a personal access token),
// the account ID, the User-Agent and the base URLs. Like OAuthClient, the value holds the
// non-secret fields only; the account ID and tokens stay sealed in the store.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "harvest_connect/crypto/secret.hpp"

namespace harvest_connect::model {

enum class ConnectionStatus { not_authorized, authorized, offline };
// How the connection authenticates: through an OAuth client's tokens, or a personal access
// token (Harvest ID → Developers), which has scope "all" and no refresh.
enum class AuthMethod { oauth, personal_access_token };

[[nodiscard]] std::string_view to_string(ConnectionStatus s) noexcept;
[[nodiscard]] std::string_view to_string(AuthMethod m) noexcept;
[[nodiscard]] ConnectionStatus connection_status_from_string(std::string_view text);

struct Connection {
  std::string id;  // stable internal id, as OAuthClient::id
  std::string name;
  std::string type = "harvest";
  AuthMethod auth = AuthMethod::oauth;
  // The OAuth client's name (auth == oauth), empty for a personal access token.
  std::string oauth_client;
  // As the user set it; empty means default_user_agent() at the time of each request.
  std::optional<std::string> user_agent;
  std::string api_url;
  std::string id_url;
  ConnectionStatus status = ConnectionStatus::not_authorized;
  bool has_access_token = false;
  bool has_refresh_token = false;
  std::optional<std::int64_t> token_expires_at;  // Unix seconds, UTC
  std::optional<std::string> last_error;         // never holds a secret
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;

  // user_agent, or default_user_agent().
  [[nodiscard]] std::string effective_user_agent() const;
};

// Harvest wants "AppName (contact email or URL)". With HARVEST_CONNECT_CONTACT set (an email
// or URL of the person running the code) this is "harvest-connect/VERSION (CONTACT)";
// otherwise "harvest-connect/VERSION (+https://pypi.org/project/harvest-connect/)", which
// names the library but not you: set a contact (docs/python.md says how).
[[nodiscard]] std::string default_user_agent();

struct NewConnection {
  std::string name;
  std::string oauth_client;  // an existing OAuth client's name
  crypto::Secret account_id;
  std::optional<std::string> user_agent;
  std::optional<std::string> api_url;  // default: Harvest's
  std::optional<std::string> id_url;   // default: Harvest's
};

struct NewTokenConnection {
  std::string name;
  crypto::Secret access_token;  // the personal access token
  crypto::Secret account_id;
  std::optional<std::string> user_agent;
  std::optional<std::string> api_url;
  std::optional<std::string> id_url;
};

// update_connection: the account ID must be entered again (as the form asks), the rest
// changes only when set. user_agent "" goes back to the default. Changing the account ID,
// the OAuth client or the identity URL forgets the tokens (authorize again).
struct ConnectionChanges {
  crypto::Secret account_id;
  std::optional<std::string> name;
  std::optional<std::string> oauth_client;
  std::optional<crypto::Secret> access_token;  // a new personal access token
  std::optional<std::string> user_agent;
  std::optional<std::string> api_url;
  std::optional<std::string> id_url;
};

}  // namespace harvest_connect::model

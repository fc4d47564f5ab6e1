#include "harvest_connect/model/http_settings.hpp"

#include "harvest_connect/model/harvest.hpp"
#include "harvest_connect/model/redacted.hpp"

namespace harvest_connect::model {

HttpSettings http_settings(const Connection& connection, const OAuthClient* client) {
  HttpSettings s;
  s.name = connection.name;
  s.base_uri = connection.api_url;
  s.auth_type = client ? "oauth2" : "token";
  s.headers = {{"Authorization", std::string("Bearer ") + redacted},
               {"Harvest-Account-Id", redacted},
               {"User-Agent", connection.effective_user_agent()},
               {"Accept", "application/json"}};
  if (client) {
    s.grant_type = "authorization_code";
    s.authorize_url = client->resolved_authorize_url(connection.id_url);
    s.token_url = client->resolved_token_url(connection.id_url);
    s.revoke_url = client->revoke_url;
    s.redirect_uri = client->redirect_uri;
    s.scope = client->scope;
    s.client_id = client->client_id;
    s.client_secret = redacted;
    s.client_credentials_location = std::string(to_string(client->client_credentials));
    s.pkce = client->pkce;
  }
  s.ping_relative_uri = harvest::ping_path;
  return s;
}

}  // namespace harvest_connect::model

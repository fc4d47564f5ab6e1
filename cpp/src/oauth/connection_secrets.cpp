#include "harvest_connect/oauth/connection_secrets.hpp"

namespace harvest_connect::oauth {

model::Scrubber connection_secrets(const store::ConnectionCredentials& credentials) {
  model::Scrubber scrubber;
  scrubber.add(credentials.account_id);
  if (credentials.client_secret) {
    const std::string client_id = credentials.oauth_client ? credentials.oauth_client->client_id : std::string();
    scrubber.add_basic_credentials(client_id, *credentials.client_secret);
  }
  scrubber.add(credentials.personal_access_token);
  scrubber.add(credentials.access_token);
  scrubber.add(credentials.refresh_token);
  return scrubber;
}

}  // namespace harvest_connect::oauth

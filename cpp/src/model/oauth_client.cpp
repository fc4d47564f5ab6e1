#include "harvest_connect/model/oauth_client.hpp"

#include "harvest_connect/error.hpp"
#include "harvest_connect/model/harvest.hpp"

namespace harvest_connect::model {

std::string_view to_string(Provider p) noexcept { return p == Provider::harvest ? "harvest" : "custom"; }
std::string_view to_string(ClientCredentials c) noexcept { return c == ClientCredentials::body ? "body" : "basic"; }

Provider provider_from_string(std::string_view text) {
  if (text == "harvest") return Provider::harvest;
  if (text == "custom") return Provider::custom;
  throw error(errc::validation_failed, "provider: must be 'harvest' (Harvest's endpoints filled in) or 'custom'");
}

ClientCredentials client_credentials_from_string(std::string_view text) {
  if (text == "body") return ClientCredentials::body;
  if (text == "basic") return ClientCredentials::basic;
  throw error(errc::validation_failed,
              "client_credentials: must be 'body' (Harvest's way) or 'basic' (an HTTP Basic header)");
}

std::string OAuthClient::resolved_authorize_url(std::string_view id_url) const {
  if (authorize_url) return *authorize_url;
  return std::string(id_url) + harvest::authorize_path;
}

std::string OAuthClient::resolved_token_url(std::string_view id_url) const {
  if (token_url) return *token_url;
  return std::string(id_url) + harvest::token_path;
}

}  // namespace harvest_connect::model

#include "harvest_connect/harvest/connection_client.hpp"

#include "harvest_connect/error.hpp"
#include "harvest_connect/harvest/http_transport.hpp"
#include "harvest_connect/harvest/store_token_source.hpp"
#include "harvest_connect/oauth/connection_secrets.hpp"
#include "harvest_connect/oauth/token_client.hpp"
#include "harvest_connect/oauth/token_request.hpp"

namespace harvest_connect::harvest {

namespace {

StoreTokenSource::Refresher make_refresher(const store::ConnectionCredentials& creds, const ConnectOptions& options) {
  const auto& client = *creds.oauth_client;
  oauth::ClientConfig config;
  config.token_url = client.resolved_token_url(creds.connection.id_url);
  config.client_id = client.client_id;
  config.client_secret = creds.client_secret ? *creds.client_secret : crypto::Secret{};
  config.auth = client.client_credentials == model::ClientCredentials::basic ? oauth::ClientAuth::basic
                                                                              : oauth::ClientAuth::body;
  auto http_client = std::make_shared<http::Client>(oauth::token_client_options(options.http));
  const std::string user_agent = creds.connection.effective_user_agent();
  return [config = std::move(config), http_client, user_agent,
          secrets = oauth::connection_secrets(creds)](const crypto::Secret& refresh_token) {
    oauth::TokenResponse answer = oauth::request_token(*http_client, oauth::refresh_request(config, refresh_token),
                                                       oauth::GrantType::refresh_token, user_agent, secrets);
    store::TokenUpdate update;
    update.access_token = std::move(answer.access_token);
    update.refresh_token = std::move(answer.refresh_token);  // none: the store keeps the old one
    if (answer.expires_in) update.expires_at = unix_now() + *answer.expires_in;
    return update;
  };
}

}  // namespace

HarvestClient open_client(std::shared_ptr<store::Store> store, std::string_view name, const ConnectOptions& options) {
  if (!store) throw error(errc::validation_failed, "open_client: no store");
  store::ConnectionCredentials creds = store->credentials(name);
  const model::Connection& connection = creds.connection;

  std::shared_ptr<TokenSource> tokens;
  if (connection.auth == model::AuthMethod::personal_access_token) {
    const auto& pat = creds.personal_access_token ? creds.personal_access_token : creds.access_token;
    if (!pat || pat->empty()) {
      throw error(errc::token_error, "the connection '" + connection.name + "' has no personal access token; edit it "
                                     "and enter the token again");
    }
    tokens = std::make_shared<StaticTokenSource>(*pat, true);
  } else {
    if (!creds.oauth_client) {
      throw error(errc::validation_failed, "the connection '" + connection.name + "' has no OAuth client; edit it");
    }
    tokens = std::make_shared<StoreTokenSource>(store, connection.name, make_refresher(creds, options),
                                                options.refresh_leeway);
  }

  ClientConfig config;
  config.api_url = connection.api_url;
  config.id_url = connection.id_url;
  config.secrets = oauth::connection_secrets(creds);
  config.account_id = std::move(creds.account_id);
  config.user_agent = connection.effective_user_agent();
  config.rate_store = store;  // one rate budget with every process using the store
  return HarvestClient(std::move(config), make_http_transport(shared_http_client(options.http)), std::move(tokens),
                       options.client);
}

TestResult test_connection(std::shared_ptr<store::Store> store, std::string_view name, const ConnectOptions& options) {
  const model::Connection before = store->connection(name);
  TestResult result;
  try {
    result = ping(open_client(store, name, options));
  } catch (const error& e) {
    // open_client failed: the store's own words, but last_error is printed, so no controls.
    result.ok = false;
    result.status_code = e.http_status();
    result.kind = errc_name(e.kind());
    result.message = model::strip_control(e.what());
  }
  if (result.ok) {
    store->set_status(name, model::ConnectionStatus::authorized, std::nullopt);
    return result;
  }
  const bool never_authorized = before.auth == model::AuthMethod::oauth && !before.has_access_token &&
                                before.status == model::ConnectionStatus::not_authorized;
  if (!never_authorized) {
    // The refresher may have recorded a more precise reason (invalid_grant) already.
    store->set_status(name, model::ConnectionStatus::offline, result.message);
  }
  return result;
}

}  // namespace harvest_connect::harvest

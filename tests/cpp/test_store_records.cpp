// Store: creating, reading, editing and deleting OAuth clients and connections.
#include "store_test_support.hpp"

using namespace store_test;
namespace m = harvest_connect::model;
using hc::errc;

using StoreRecords = OverBackends<>;
INSTANTIATE_TEST_SUITE_P(Backends, StoreRecords, both_backends, backend_name);

TEST_P(StoreRecords, CreateAndReadAnOAuthClientWithoutItsSecret) {
  auto s = open(key);
  auto c = s.create_oauth_client(client("Harvest App"));
  EXPECT_EQ(c.name, "Harvest App");
  EXPECT_EQ(c.provider, m::Provider::harvest);
  EXPECT_EQ(c.client_id, "client-id-1");
  EXPECT_TRUE(c.pkce);
  EXPECT_EQ(c.id.size(), 32u);
  EXPECT_EQ(s.oauth_client("harvest app").id, c.id);  // case-insensitive lookup
  ASSERT_EQ(s.oauth_clients().size(), 1u);
  expect_error(errc::not_found, [&] { (void)s.oauth_client("nope"); });
}

TEST_P(StoreRecords, DuplicateNamesAreRefusedIgnoringCase) {
  auto s = open(key);
  s.create_oauth_client(client("app"));
  auto e = expect_error(errc::duplicate_name, [&] { s.create_oauth_client(client("APP")); });
  EXPECT_TRUE(std::string(e.what()).starts_with("name: "));
  s.create_connection(connection("Acme", "app", "123"));
  expect_error(errc::duplicate_name, [&] { s.create_connection(connection("acme", "app", "123")); });
  s.create_connection(connection("Other", "app", "123"));
  expect_error(errc::duplicate_name, [&] {
    m::ConnectionChanges ch;
    ch.account_id = Secret::from_string("123");
    ch.name = "ACME";
    s.update_connection("Other", std::move(ch));
  });
}

TEST_P(StoreRecords, UnknownClientAndBadFieldsAreValidationErrorsNamingTheField) {
  auto s = open(key);
  auto e = expect_error(errc::validation_failed, [&] { s.create_connection(connection("acme", "missing", "1")); });
  EXPECT_TRUE(std::string(e.what()).starts_with("oauth_client: ")) << e.what();
  s.create_oauth_client(client("app"));
  e = expect_error(errc::validation_failed, [&] { s.create_connection(connection("acme", "app", "12x")); });
  EXPECT_TRUE(std::string(e.what()).starts_with("account_id: "));
  auto bad = connection("acme", "app", "1");
  bad.api_url = "http://api.example.com/v2";
  e = expect_error(errc::validation_failed, [&] { s.create_connection(std::move(bad)); });
  EXPECT_TRUE(std::string(e.what()).starts_with("api_url: "));
  e = expect_error(errc::validation_failed, [&] { s.create_oauth_client(client("x", "")); });
  EXPECT_TRUE(std::string(e.what()).starts_with("client_secret: "));
  EXPECT_TRUE(s.connections().empty());
}

TEST_P(StoreRecords, ConnectionDefaultsToHarvestAndNotAuthorized) {
  auto s = open(key);
  s.create_oauth_client(client("app"));
  auto c = s.create_connection(connection("acme", "app", "123456"));
  EXPECT_EQ(c.type, "harvest");
  EXPECT_EQ(c.oauth_client, "app");
  EXPECT_EQ(c.api_url, "https://api.harvestapp.com/v2");
  EXPECT_EQ(c.id_url, "https://id.getharvest.com");
  EXPECT_EQ(c.status, m::ConnectionStatus::not_authorized);
  EXPECT_FALSE(c.has_access_token);
  EXPECT_FALSE(c.user_agent.has_value());
  auto cred = s.credentials("acme");
  EXPECT_EQ(cred.account_id.reveal_string(), "123456");
  EXPECT_EQ(cred.client_secret->reveal_string(), "client-secret-value-1");
  EXPECT_EQ(cred.oauth_client->name, "app");
}

TEST_P(StoreRecords, TokenConnection) {
  auto s = open(key);
  m::NewTokenConnection t;
  t.name = "pat";
  t.access_token = Secret::from_string("pat-token-value");
  t.account_id = Secret::from_string("42");
  t.user_agent = "Acme (ops@acme.test)";
  auto c = s.create_token_connection(std::move(t));
  EXPECT_EQ(c.auth, m::AuthMethod::personal_access_token);
  EXPECT_EQ(c.status, m::ConnectionStatus::authorized);
  EXPECT_EQ(s.credentials("pat").personal_access_token->reveal_string(), "pat-token-value");
  EXPECT_EQ(s.http_settings("pat").auth_type, "token");
}

TEST_P(StoreRecords, EditingAClientKeepsItsSecretUnlessANewOneIsGiven) {
  auto s = open(key);
  s.create_oauth_client(client("app"));
  s.create_connection(connection("acme", "app", "1"));
  m::OAuthClientChanges ch;
  ch.name = "renamed";
  ch.scope = "harvest:1";
  auto c = s.update_oauth_client("app", std::move(ch));
  EXPECT_EQ(c.name, "renamed");
  EXPECT_EQ(c.scope, "harvest:1");
  EXPECT_EQ(s.credentials("acme").client_secret->reveal_string(), "client-secret-value-1");
  EXPECT_EQ(s.connection("acme").oauth_client, "renamed");
  m::OAuthClientChanges ch2;
  ch2.client_secret = Secret::from_string("second-secret");
  ch2.scope = "";
  c = s.update_oauth_client("renamed", std::move(ch2));
  EXPECT_FALSE(c.scope.has_value());
  EXPECT_EQ(s.credentials("acme").client_secret->reveal_string(), "second-secret");
  m::OAuthClientChanges ch3;
  ch3.provider = m::Provider::custom;
  expect_error(errc::validation_failed, [&] { s.update_oauth_client("renamed", std::move(ch3)); });
}

TEST_P(StoreRecords, EditingAConnectionNeedsTheAccountIdAndForgetsTokensWhenItChanges) {
  auto s = open(key);
  s.create_oauth_client(client("app"));
  s.create_connection(connection("acme", "app", "111"));
  s.save_tokens("acme", {Secret::from_string("access-1"), Secret::from_string("refresh-1"), 1234});
  EXPECT_EQ(s.connection("acme").status, m::ConnectionStatus::authorized);

  m::ConnectionChanges same;
  same.account_id = Secret::from_string("111");
  same.user_agent = "Acme (ops@acme.test)";
  auto c = s.update_connection("acme", std::move(same));
  EXPECT_TRUE(c.has_access_token);
  EXPECT_EQ(c.user_agent, "Acme (ops@acme.test)");

  m::ConnectionChanges other;
  other.account_id = Secret::from_string("222");
  c = s.update_connection("acme", std::move(other));
  EXPECT_FALSE(c.has_access_token);
  EXPECT_EQ(c.status, m::ConnectionStatus::not_authorized);
  EXPECT_EQ(s.credentials("acme").account_id.reveal_string(), "222");

  m::ConnectionChanges missing;
  auto e = expect_error(errc::validation_failed, [&] { s.update_connection("acme", std::move(missing)); });
  EXPECT_TRUE(std::string(e.what()).starts_with("account_id: "));
}

TEST_P(StoreRecords, DeletingAClientInUseIsRefusedNamingTheConnections) {
  auto s = open(key);
  s.create_oauth_client(client("app"));
  s.create_connection(connection("acme", "app", "1"));
  s.create_connection(connection("beta", "app", "2"));
  auto e = expect_error(errc::validation_failed, [&] { s.delete_oauth_client("app"); });
  EXPECT_NE(std::string(e.what()).find("'acme', 'beta'"), std::string::npos) << e.what();
  s.delete_connection("acme");
  s.delete_connection("BETA");
  s.delete_oauth_client("app");
  EXPECT_TRUE(s.oauth_clients().empty());
  expect_error(errc::not_found, [&] { s.delete_connection("acme"); });
}

TEST_P(StoreRecords, TokensSavedClearedAndRefreshedUnderTheLock) {
  auto s = open(key);
  s.create_oauth_client(client("app"));
  s.create_connection(connection("acme", "app", "1"));
  s.save_tokens("acme", {Secret::from_string("access-1"), Secret::from_string("refresh-1"), 100});
  // A refresh without a new refresh token keeps the old one.
  s.with_token_lock("acme", [](const hc::store::TokenState& st) -> std::optional<hc::store::TokenUpdate> {
    EXPECT_EQ(st.access_token->reveal_string(), "access-1");
    EXPECT_EQ(st.expires_at, 100);
    return hc::store::TokenUpdate{Secret::from_string("access-2"), std::nullopt, 200};
  });
  auto cred = s.credentials("acme");
  EXPECT_EQ(cred.access_token->reveal_string(), "access-2");
  EXPECT_EQ(cred.refresh_token->reveal_string(), "refresh-1");
  EXPECT_EQ(cred.connection.token_expires_at, 200);
  // An exception inside rolls back.
  EXPECT_THROW(s.with_token_lock("acme", [](const hc::store::TokenState&) -> std::optional<hc::store::TokenUpdate> {
    throw std::runtime_error("refresh failed");
  }), std::runtime_error);
  EXPECT_EQ(s.credentials("acme").access_token->reveal_string(), "access-2");
  s.set_status("acme", m::ConnectionStatus::offline, "ping answered 503");
  EXPECT_EQ(s.connection("acme").last_error, "ping answered 503");
  s.clear_tokens("acme");
  auto c = s.connection("acme");
  EXPECT_FALSE(c.has_access_token);
  EXPECT_FALSE(c.has_refresh_token);
  EXPECT_EQ(c.status, m::ConnectionStatus::not_authorized);
}

TEST_P(StoreRecords, PendingAuthorizationsAreSingleUseAndExpire) {
  auto s = open(key);
  s.create_oauth_client(client("app"));
  s.create_connection(connection("acme", "app", "1"));
  const Secret state = Secret::from_string("0123456789abcdef0123456789abcdef");
  const Secret verifier = Secret::from_string("verifier-verifier-verifier-verifier-verifier");
  s.create_pending_authorization("acme", state, verifier, "http://127.0.0.1:8765/callback");
  EXPECT_FALSE(s.take_pending_authorization(Secret::from_string("wrong-state-wrong-state-wrong-st")));
  auto p = s.take_pending_authorization(state);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->connection, "acme");
  EXPECT_EQ(p->code_verifier->reveal_string(), verifier.reveal_string());
  EXPECT_EQ(p->expires_at - p->created_at, 600);
  EXPECT_FALSE(s.take_pending_authorization(state));  // single use

  s.create_pending_authorization("acme", state, std::nullopt, "http://127.0.0.1:8765/callback");
  store_sql("UPDATE pending_authorizations SET expires_at = 1");
  EXPECT_FALSE(s.take_pending_authorization(state));  // expired
}

TEST_P(StoreRecords, ClosedStoreRefusesCalls) {
  auto s = open(key);
  s.close();
  EXPECT_TRUE(s.closed());
  expect_error(errc::store_error, [&] { (void)s.connections(); });
  s.close();
}

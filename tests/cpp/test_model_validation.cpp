// Model validation: every rule names its field and never echoes a secret.
#include <gtest/gtest.h>

#include "harvest_connect/error.hpp"
#include "harvest_connect/model/connection.hpp"
#include "harvest_connect/model/http_settings.hpp"
#include "harvest_connect/model/redacted.hpp"
#include "harvest_connect/model/validation.hpp"

namespace hc = harvest_connect;
namespace m = harvest_connect::model;
using hc::crypto::Secret;

namespace {

// Runs f, expects errc::validation_failed, returns the message.
template <class F>
std::string validation_message(F&& f) {
  try {
    f();
  } catch (const hc::error& e) {
    EXPECT_EQ(e.kind(), hc::errc::validation_failed);
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return {};
}

m::NewOAuthClient good_client() {
  m::NewOAuthClient c;
  c.name = "harvest-app";
  c.client_id = "abc123";
  c.client_secret = Secret::from_string("s3cr3t-value");
  return c;
}

}  // namespace

TEST(ModelValidation, NameIsRequiredTrimmedAndBounded) {
  EXPECT_EQ(m::validate_name("name", "  acme  "), "acme");
  EXPECT_TRUE(validation_message([] { (void)m::validate_name("name", "   "); }).starts_with("name: is required"));
  EXPECT_TRUE(validation_message([] { (void)m::validate_name("name", "a\nb"); }).starts_with("name: "));
  EXPECT_TRUE(validation_message([] { (void)m::validate_name("name", std::string(101, 'x')); }).starts_with("name: "));
}

TEST(ModelValidation, AccountIdMustBeDigits) {
  m::validate_account_id(Secret::from_string("123456"));
  EXPECT_EQ(validation_message([] { m::validate_account_id(Secret::from_string("12a456")); }),
            "account_id: must be digits only (the Harvest account ID, e.g. 123456)");
  EXPECT_TRUE(validation_message([] { m::validate_account_id(Secret()); }).starts_with("account_id: is required"));
  const std::string msg = validation_message([] { m::validate_account_id(Secret::from_string("98765x4321")); });
  EXPECT_EQ(msg.find("98765x4321"), std::string::npos);
}

TEST(ModelValidation, EmptySecretIsRefusedByName) {
  EXPECT_TRUE(validation_message([] { m::validate_secret("client_secret", Secret()); }).starts_with("client_secret: "));
  EXPECT_TRUE(validation_message([] { m::validate_secret("access_token", Secret::from_string("tok\n")); })
                  .starts_with("access_token: "));
}

TEST(ModelValidation, UrlsMustBeHttpsExceptLoopback) {
  EXPECT_EQ(m::validate_url("token_url", "https://id.example.com/token"), "https://id.example.com/token");
  EXPECT_EQ(m::validate_url("api_url", "http://127.0.0.1:8080/v2/", true), "http://127.0.0.1:8080/v2");
  EXPECT_EQ(m::validate_url("api_url", "http://[::1]:9/v2", true), "http://[::1]:9/v2");
  EXPECT_EQ(m::validate_url("api_url", "http://LocalHost:9", true), "http://localhost:9");
  EXPECT_NO_THROW((void)m::validate_url("id_url", "http://127.5.6.7", true));
  for (const char* bad : {"http://example.com/x", "http://128.0.0.1/", "http://localhost.evil.com/", "ftp://x/",
                          "not a url", "/relative", "https://user:pw@example.com/", "https://example.com/#frag", ""}) {
    const std::string msg = validation_message([&] { (void)m::validate_url("token_url", bad); });
    EXPECT_TRUE(msg.starts_with("token_url: ")) << bad << " -> " << msg;
  }
  EXPECT_TRUE(validation_message([] { (void)m::validate_url("api_url", "https://x.com/v2?a=b", true) ; })
                  .starts_with("api_url: must not contain a query"));
}

TEST(ModelValidation, UserAgentNeedsAppAndContact) {
  m::validate_user_agent("MyApp (me@example.com)");
  m::validate_user_agent("MyApp/1.0 (+https://example.com/contact)");
  for (const char* bad : {"", "MyApp", "MyApp (nobody)", "(me@example.com)", "My\nApp (me@example.com)"})
    EXPECT_TRUE(validation_message([&] { m::validate_user_agent(bad); }).starts_with("user_agent: ")) << bad;
}

TEST(ModelValidation, DefaultUserAgentUsesTheContactVariable) {
  ::unsetenv("HARVEST_CONNECT_CONTACT");
  EXPECT_NE(m::default_user_agent().find("(+https://"), std::string::npos);
  ::setenv("HARVEST_CONNECT_CONTACT", "ops@example.com", 1);
  EXPECT_NE(m::default_user_agent().find("(ops@example.com)"), std::string::npos);
  ::unsetenv("HARVEST_CONNECT_CONTACT");
  m::validate_user_agent(m::default_user_agent());
}

TEST(ModelValidation, HarvestScopes) {
  EXPECT_EQ(m::validate_scope("harvest:123+forecast:all", m::Provider::harvest), "harvest:123 forecast:all");
  EXPECT_EQ(m::validate_scope("all", m::Provider::harvest), "all");
  EXPECT_TRUE(validation_message([] { (void)m::validate_scope("read write", m::Provider::harvest); })
                  .starts_with("scope: "));
  EXPECT_EQ(m::validate_scope("read write", m::Provider::custom), "read write");
}

TEST(ModelValidation, ClientRecord) {
  auto c = good_client();
  m::validate(c);
  c = good_client();
  c.client_id = "";
  EXPECT_TRUE(validation_message([&] { m::validate(c); }).starts_with("client_id: "));
  c = good_client();
  c.client_secret = Secret();
  EXPECT_TRUE(validation_message([&] { m::validate(c); }).starts_with("client_secret: "));
  c = good_client();
  c.provider = m::Provider::custom;
  EXPECT_TRUE(validation_message([&] { m::validate(c); }).starts_with("authorize_url: is required"));
  c.authorize_url = "https://p.example.com/auth";
  EXPECT_TRUE(validation_message([&] { m::validate(c); }).starts_with("token_url: is required"));
  c.token_url = "https://p.example.com/token";
  m::validate(c);
  c.redirect_uri = "http://example.com/cb";
  EXPECT_TRUE(validation_message([&] { m::validate(c); }).starts_with("redirect_uri: "));
  EXPECT_THROW((void)m::provider_from_string("github"), hc::error);
  EXPECT_THROW((void)m::client_credentials_from_string("header"), hc::error);
}

TEST(ModelHttpSettings, ResolvesHarvestPresetAndMasksSecrets) {
  m::OAuthClient client;
  client.name = "app";
  client.client_id = "cid";
  m::Connection conn;
  conn.name = "acme";
  conn.api_url = "https://api.harvestapp.com/v2";
  conn.id_url = "https://id.getharvest.com";
  conn.user_agent = "Acme (ops@acme.test)";
  auto s = m::http_settings(conn, &client);
  EXPECT_EQ(s.base_uri, "https://api.harvestapp.com/v2");
  EXPECT_EQ(s.authorize_url, "https://id.getharvest.com/oauth2/authorize");
  EXPECT_EQ(s.token_url, "https://id.getharvest.com/api/v2/oauth2/token");
  EXPECT_EQ(s.client_secret, std::string(m::redacted));
  EXPECT_EQ(s.client_credentials_location, "body");
  EXPECT_EQ(s.ping_relative_uri, "/users/me");
  bool saw_account = false;
  for (auto& [k, v] : s.headers) {
    if (k == "Harvest-Account-Id") {
      saw_account = true;
      EXPECT_EQ(v, m::redacted);
    }
    if (k == "User-Agent") EXPECT_EQ(v, "Acme (ops@acme.test)");
  }
  EXPECT_TRUE(saw_account);
  conn.id_url = "http://127.0.0.1:4000";
  EXPECT_EQ(m::http_settings(conn, &client).token_url, "http://127.0.0.1:4000/api/v2/oauth2/token");
  auto pat = m::http_settings(conn, nullptr);
  EXPECT_EQ(pat.auth_type, "token");
  EXPECT_FALSE(pat.token_url.has_value());
}

// The authorization URL: every parameter, scope only when set, PKCE only when on, an
// existing query kept, bad URLs refused without repeating them.
#include <gtest/gtest.h>

#include <boost/url.hpp>
#include <map>

#include "harvest_connect/error.hpp"
#include "harvest_connect/oauth/authorization_request.hpp"
#include "harvest_connect/oauth/pkce.hpp"

namespace hc = harvest_connect;
namespace oauth = harvest_connect::oauth;

namespace {

std::multimap<std::string, std::string> query_of(const hc::crypto::Secret& url) {
  auto parsed = boost::urls::parse_uri(url.reveal_string());
  EXPECT_TRUE(parsed);
  std::multimap<std::string, std::string> out;
  for (auto p : parsed->params()) out.emplace(p.key, p.value);
  return out;
}

oauth::AuthorizationParams harvest_params() {
  return {"https://id.getharvest.com/oauth2/authorize", "abc123", "http://127.0.0.1:8765/callback", std::nullopt,
          true};
}

}  // namespace

TEST(OAuthAuthorizationRequest, HasEveryParameter) {
  auto params = harvest_params();
  params.scope = "harvest:123 forecast:456";
  auto request = oauth::make_authorization_request(params);
  auto q = query_of(request.url);
  EXPECT_EQ(q.count("client_id"), 1u);
  EXPECT_EQ(q.find("client_id")->second, "abc123");
  EXPECT_EQ(q.find("response_type")->second, "code");
  EXPECT_EQ(q.find("redirect_uri")->second, "http://127.0.0.1:8765/callback");
  EXPECT_EQ(q.find("scope")->second, "harvest:123 forecast:456");
  EXPECT_EQ(q.find("state")->second, request.state.reveal_string());
  EXPECT_EQ(q.find("code_challenge")->second, oauth::code_challenge_s256(*request.code_verifier));
  EXPECT_EQ(q.find("code_challenge_method")->second, "S256");
  EXPECT_EQ(request.redirect_uri, params.redirect_uri);
  std::string url(request.url.reveal_string());
  EXPECT_TRUE(url.starts_with("https://id.getharvest.com/oauth2/authorize?"));
}

TEST(OAuthAuthorizationRequest, NoScopeNoPkceWhenOff) {
  auto params = harvest_params();
  params.pkce = false;
  auto request = oauth::make_authorization_request(params);
  EXPECT_FALSE(request.code_verifier);
  auto q = query_of(request.url);
  EXPECT_EQ(q.count("scope"), 0u);
  EXPECT_EQ(q.count("code_challenge"), 0u);
  EXPECT_EQ(q.count("code_challenge_method"), 0u);
  EXPECT_EQ(q.count("state"), 1u);
}

TEST(OAuthAuthorizationRequest, KeepsAnExistingQueryAndReplacesOurParameters) {
  auto params = harvest_params();
  params.authorize_url = "https://idp.example.com/authorize?tenant=x&state=old";
  auto request = oauth::make_authorization_request(params);
  auto q = query_of(request.url);
  EXPECT_EQ(q.find("tenant")->second, "x");
  EXPECT_EQ(q.count("state"), 1u);
  EXPECT_EQ(q.find("state")->second, request.state.reveal_string());
}

TEST(OAuthAuthorizationRequest, EncodesValues) {
  auto params = harvest_params();
  params.client_id = "a&b=c";
  params.redirect_uri = "http://127.0.0.1:8765/cb?x=1";
  auto request = oauth::make_authorization_request(params);
  auto q = query_of(request.url);
  EXPECT_EQ(q.find("client_id")->second, "a&b=c");
  EXPECT_EQ(q.find("redirect_uri")->second, "http://127.0.0.1:8765/cb?x=1");
}

TEST(OAuthAuthorizationRequest, RefusesBadUrls) {
  for (const char* bad : {"", "id.getharvest.com/oauth2/authorize", "ftp://x/authorize", "https://x/a#frag",
                          "https://user:pw@x/a"}) {
    auto params = harvest_params();
    params.authorize_url = bad;
    try {
      (void)oauth::make_authorization_request(params);
      ADD_FAILURE() << bad;
    } catch (const hc::error& e) {
      EXPECT_EQ(e.kind(), hc::errc::validation_failed);
      EXPECT_TRUE(std::string(e.what()).starts_with("authorize_url:")) << e.what();
      if (*bad) EXPECT_EQ(std::string(e.what()).find(bad), std::string::npos);
    }
  }
  auto params = harvest_params();
  params.redirect_uri = "not a url";
  EXPECT_THROW((void)oauth::make_authorization_request(params), hc::error);
}

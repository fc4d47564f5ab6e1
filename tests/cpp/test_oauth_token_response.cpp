// Strict parsing of token responses: shapes, RFC 6749 error bodies, size cap, no secret in
// any message.
#include <gtest/gtest.h>

#include "harvest_connect/error.hpp"
#include "harvest_connect/oauth/token_response.hpp"

namespace hc = harvest_connect;
namespace oauth = harvest_connect::oauth;
using oauth::GrantType;

namespace {

hc::error fails(int status, const std::string& body, GrantType grant = GrantType::authorization_code) {
  try {
    (void)oauth::parse_token_response(status, body, grant);
  } catch (const hc::error& e) {
    EXPECT_EQ(e.kind(), hc::errc::token_error);
    std::string what = e.what();
    EXPECT_EQ(what.find("SECRET"), std::string::npos) << what;
    EXPECT_TRUE(e.body().empty());
    return e;
  }
  ADD_FAILURE() << "accepted " << body;
  return hc::error(hc::errc::internal_error, "");
}

}  // namespace

TEST(OAuthTokenResponse, ParsesHarvestsAnswer) {
  auto r = oauth::parse_token_response(
      200, R"({"access_token":"SECRET-A","refresh_token":"SECRET-R","token_type":"bearer","expires_in":1209599})",
      GrantType::authorization_code);
  EXPECT_EQ(r.access_token.reveal_string(), "SECRET-A");
  EXPECT_EQ(r.refresh_token->reveal_string(), "SECRET-R");
  EXPECT_EQ(*r.expires_in, 1209599);
  EXPECT_FALSE(r.scope);
}

TEST(OAuthTokenResponse, TokenTypeIsCaseInsensitive) {
  auto r = oauth::parse_token_response(200, R"({"access_token":"A","refresh_token":"R","token_type":"Bearer"})",
                                       GrantType::authorization_code);
  EXPECT_FALSE(r.expires_in);
  fails(200, R"({"access_token":"SECRET","refresh_token":"R","token_type":"mac"})");
  fails(200, R"({"access_token":"SECRET","refresh_token":"R"})");
}

TEST(OAuthTokenResponse, RefreshTokenOptionalOnRefreshOnly) {
  const char* body = R"({"access_token":"SECRET-A","token_type":"bearer","expires_in":10})";
  auto r = oauth::parse_token_response(200, body, GrantType::refresh_token);
  EXPECT_FALSE(r.refresh_token);
  fails(200, body, GrantType::authorization_code);
}

TEST(OAuthTokenResponse, MalformedAnswers) {
  for (const char* bad : {
           "", "SECRET", "[]", "null", R"({"access_token":"SECRET",)",
           R"({"access_token":"","refresh_token":"R","token_type":"bearer"})",
           R"({"access_token":5,"refresh_token":"R","token_type":"bearer"})",
           R"({"access_token":"SECRET","refresh_token":"R","token_type":"bearer","expires_in":0})",
           R"({"access_token":"SECRET","refresh_token":"R","token_type":"bearer","expires_in":-5})",
           R"({"access_token":"SECRET","refresh_token":"R","token_type":"bearer","expires_in":1.5})",
           R"({"access_token":"SECRET","refresh_token":"R","token_type":"bearer","expires_in":"3600"})",
           R"({"access_token":"SECRET","refresh_token":"","token_type":"bearer"})",
           R"({"access_token":"SECRET","refresh_token":7,"token_type":"bearer"})",
           R"({"access_token":"SECRET","refresh_token":"R","token_type":"bearer"} trailing)",
       })
    fails(200, bad);
}

// Issue 12 §2: the server controls expires_in; a lifetime beyond a year (even beyond 64 bits)
// counts as a year, so that `now + expires_in` cannot overflow and stored expiries stay dates.
TEST(OAuthTokenResponse, AHugeExpiresInIsClampedToAYear) {
  const std::int64_t year = oauth::max_token_lifetime.count();
  EXPECT_GE(year, 365LL * 24 * 3600);
  EXPECT_LE(year, 366LL * 24 * 3600);
  for (const char* huge : {"9223372036854775807", "18446744073709551615", "260000000000", "31622401"}) {
    const std::string body =
        std::string(R"({"access_token":"A","refresh_token":"R","token_type":"bearer","expires_in":)") + huge + "}";
    const auto r = oauth::parse_token_response(200, body, GrantType::authorization_code);
    ASSERT_TRUE(r.expires_in) << huge;
    EXPECT_EQ(*r.expires_in, year) << huge;
  }
  const auto r = oauth::parse_token_response(
      200, R"({"access_token":"A","refresh_token":"R","token_type":"bearer","expires_in":1209600})",
      GrantType::authorization_code);
  EXPECT_EQ(*r.expires_in, 1209600);  // ordinary lifetimes are kept as they are
}

TEST(OAuthTokenResponse, ErrorBodiesCarryTheServerCode) {
  auto e = fails(400, R"({"error":"invalid_grant","error_description":"The provided access grant is invalid"})");
  EXPECT_EQ(e.server_error(), "invalid_grant");
  EXPECT_EQ(e.http_status(), 400);
  EXPECT_NE(std::string(e.what()).find("invalid_grant"), std::string::npos);
  EXPECT_NE(std::string(e.what()).find("The provided access grant is invalid"), std::string::npos);
  EXPECT_NE(std::string(e.what()).find("authorize again"), std::string::npos);

  e = fails(401, R"({"error":"invalid_client"})");
  EXPECT_EQ(e.server_error(), "invalid_client");
  e = fails(400, R"({"error":"unsupported_grant_type"})");
  EXPECT_EQ(e.server_error(), "unsupported_grant_type");
  // An error body with 200 is still an error.
  e = fails(200, R"({"error":"invalid_grant"})");
  EXPECT_EQ(e.server_error(), "invalid_grant");
  // Not JSON, or no error code: the status only.
  e = fails(502, "<html>SECRET bad gateway</html>");
  EXPECT_EQ(e.server_error(), "");
  EXPECT_NE(std::string(e.what()).find("HTTP 502"), std::string::npos);
  // Control characters in a description do not reach the message.
  e = fails(400, R"({"error":"invalid_grant\n","error_description":"x\u0000y\r\nz"})");
  EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
}

TEST(OAuthTokenResponse, OversizedAnswersAreRefused) {
  std::string big = R"({"access_token":"SECRET","refresh_token":"R","token_type":"bearer","pad":")" +
                    std::string(oauth::max_token_response_size, 'x') + "\"}";
  auto e = fails(200, big);
  EXPECT_NE(std::string(e.what()).find("larger than"), std::string::npos);
  std::string deep(100, '[');
  fails(200, deep + std::string(100, ']'));
}

// The token request body: form encoding, credentials in the body or as HTTP Basic, the
// same redirect_uri and the PKCE verifier.
#include <gtest/gtest.h>

#include "harvest_connect/crypto/encoding.hpp"
#include "harvest_connect/oauth/token_request.hpp"

namespace hc = harvest_connect;
namespace oauth = harvest_connect::oauth;
using hc::crypto::Secret;

namespace {
oauth::ClientConfig client(oauth::ClientAuth auth) {
  return {"https://id.getharvest.com/api/v2/oauth2/token", "client id", Secret::from_string("s3cr&t=+"), auth};
}
std::string header(const oauth::TokenRequest& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return std::string(v.reveal_string());
  return {};
}
}  // namespace

TEST(OAuthTokenRequest, CodeExchangeWithCredentialsInTheBody) {
  auto r = oauth::code_exchange_request(client(oauth::ClientAuth::body), Secret::from_string("co de"),
                                        "http://127.0.0.1:8765/callback", Secret::from_string("verifier~1"));
  EXPECT_EQ(r.url, "https://id.getharvest.com/api/v2/oauth2/token");
  EXPECT_EQ(r.body.reveal_string(),
            "grant_type=authorization_code&code=co%20de&redirect_uri=http%3A%2F%2F127.0.0.1%3A8765%2Fcallback"
            "&code_verifier=verifier~1&client_id=client%20id&client_secret=s3cr%26t%3D%2B");
  EXPECT_EQ(header(r, "Content-Type"), "application/x-www-form-urlencoded");
  EXPECT_EQ(header(r, "Authorization"), "");
}

TEST(OAuthTokenRequest, BasicCredentials) {
  auto r = oauth::code_exchange_request(client(oauth::ClientAuth::basic), Secret::from_string("c"),
                                        "http://127.0.0.1/cb", std::nullopt);
  EXPECT_EQ(r.body.reveal_string(), "grant_type=authorization_code&code=c&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcb");
  std::string expected = "client%20id:s3cr%26t%3D%2B";
  EXPECT_EQ(header(r, "Authorization"),
            "Basic " + hc::crypto::base64_encode({reinterpret_cast<const unsigned char*>(expected.data()),
                                                  expected.size()}));
}

TEST(OAuthTokenRequest, Refresh) {
  auto r = oauth::refresh_request(client(oauth::ClientAuth::body), Secret::from_string("R/1"));
  EXPECT_EQ(r.body.reveal_string(),
            "grant_type=refresh_token&refresh_token=R%2F1&client_id=client%20id&client_secret=s3cr%26t%3D%2B");
}

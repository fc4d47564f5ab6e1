// PKCE S256 (RFC 7636): the Appendix B known answer (kept as a data file), verifier shape,
// and that the verifier never appears in the authorization URL.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <set>
#include <sstream>

#include "harvest_connect/crypto/encoding.hpp"
#include "harvest_connect/error.hpp"
#include "harvest_connect/oauth/authorization_request.hpp"
#include "harvest_connect/oauth/pkce.hpp"

namespace hc = harvest_connect;
namespace oauth = harvest_connect::oauth;

namespace {

boost::json::object load_vector() {
  std::ifstream in(std::string(HARVEST_CONNECT_TEST_DATA_DIR) + "/oauth/rfc7636_appendix_b.json");
  std::stringstream text;
  text << in.rdbuf();
  return boost::json::parse(text.str()).as_object();
}

}  // namespace

TEST(OAuthPkce, Rfc7636AppendixBKnownAnswer) {
  auto v = load_vector();
  std::vector<unsigned char> octets;
  for (const auto& o : v["octets"].as_array()) octets.push_back(static_cast<unsigned char>(o.as_int64()));
  std::string verifier(v["code_verifier"].as_string());
  EXPECT_EQ(hc::crypto::base64url_encode(octets), verifier);
  EXPECT_EQ(oauth::code_challenge_s256(hc::crypto::Secret::from_string(verifier)),
            std::string(v["code_challenge"].as_string()));
}

TEST(OAuthPkce, VerifierIs43Base64UrlCharactersAndFresh) {
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    oauth::Pkce p = oauth::make_pkce();
    ASSERT_EQ(p.verifier.size(), oauth::pkce_verifier_length);
    for (char c : p.verifier.reveal_string())
      EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') << c;
    EXPECT_EQ(p.challenge, oauth::code_challenge_s256(p.verifier));
    EXPECT_EQ(p.challenge.size(), 43u);
    seen.insert(std::string(p.verifier.reveal_string()));
  }
  EXPECT_EQ(seen.size(), 50u);
}

TEST(OAuthPkce, RejectsMalformedVerifiers) {
  EXPECT_THROW((void)oauth::code_challenge_s256(hc::crypto::Secret::from_string("short")), hc::error);
  EXPECT_THROW((void)oauth::code_challenge_s256(hc::crypto::Secret::from_string(std::string(129, 'a'))), hc::error);
  EXPECT_THROW((void)oauth::code_challenge_s256(hc::crypto::Secret::from_string(std::string(42, 'a') + "+")),
               hc::error);
  EXPECT_NO_THROW((void)oauth::code_challenge_s256(hc::crypto::Secret::from_string(std::string(128, '~'))));
}

TEST(OAuthPkce, VerifierNeverInTheAuthorizationUrl) {
  oauth::AuthorizationParams params{"https://id.example.com/oauth2/authorize", "client-1",
                                    "http://127.0.0.1:8765/callback", std::nullopt, true};
  for (int i = 0; i < 20; ++i) {
    auto request = oauth::make_authorization_request(params);
    ASSERT_TRUE(request.code_verifier);
    std::string url(request.url.reveal_string());
    std::string verifier(request.code_verifier->reveal_string());
    EXPECT_EQ(url.find(verifier), std::string::npos);
    EXPECT_EQ(url.find(verifier.substr(0, 20)), std::string::npos);
    EXPECT_NE(url.find("code_challenge=" + oauth::code_challenge_s256(*request.code_verifier)), std::string::npos);
  }
}

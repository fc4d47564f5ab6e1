// The OAuth state: 32 random bytes in base64url, compared in constant time.
#include <gtest/gtest.h>

#include <set>

#include "harvest_connect/oauth/state.hpp"

namespace hc = harvest_connect;
namespace oauth = harvest_connect::oauth;

TEST(OAuthState, Is43Base64UrlCharactersAndFresh) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    auto s = oauth::make_state();
    ASSERT_EQ(s.size(), oauth::state_length);
    for (char c : s.reveal_string()) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_');
    seen.insert(std::string(s.reveal_string()));
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(OAuthState, ComparesExactly) {
  auto s = oauth::make_state();
  EXPECT_TRUE(oauth::states_equal(s, hc::crypto::Secret(s)));
  std::string other(s.reveal_string());
  other[10] = other[10] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(oauth::states_equal(s, hc::crypto::Secret::from_string(other)));
  EXPECT_FALSE(oauth::states_equal(s, hc::crypto::Secret::from_string(std::string(s.reveal_string()).substr(0, 42))));
  EXPECT_FALSE(oauth::states_equal(s, hc::crypto::Secret()));
  EXPECT_FALSE(oauth::states_equal(hc::crypto::Secret(), hc::crypto::Secret()));  // empty never matches
}

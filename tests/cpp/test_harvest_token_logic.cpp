// Token expiry (refresh ahead of expiry) and the 401 explanation.
#include <gtest/gtest.h>

#include <limits>

#include "harvest_connect/harvest/token_expiry.hpp"
#include "harvest_connect/harvest/unauthorized.hpp"

using namespace harvest_connect::harvest;

TEST(HarvestTokenExpiry, RefreshesWithinTheLeeway) {
  const std::int64_t now = 1'700'000'000;
  EXPECT_FALSE(expires_soon(now + 3600, now));
  EXPECT_FALSE(expires_soon(now + 301, now));
  EXPECT_TRUE(expires_soon(now + 300, now));
  EXPECT_TRUE(expires_soon(now - 10, now));
  EXPECT_FALSE(expires_soon(std::nullopt, now));  // unknown: only after a 401
  EXPECT_TRUE(expires_soon(now + 50, now, std::chrono::seconds(60)));
}

// Stores written before expires_in was bounded may hold any 64-bit expiry (an overflowed
// `now + expires_in` included): every one is compared without overflow (UBSan checks).
TEST(HarvestTokenExpiry, AnyStoredExpiryIsComparedWithoutOverflow) {
  const std::int64_t now = 1'700'000'000;
  constexpr auto lo = std::numeric_limits<std::int64_t>::min();
  constexpr auto hi = std::numeric_limits<std::int64_t>::max();
  EXPECT_TRUE(expires_soon(lo, now));
  EXPECT_TRUE(expires_soon(lo + 1, now));
  EXPECT_FALSE(expires_soon(hi, now));
  EXPECT_TRUE(expires_soon(lo, hi));
  EXPECT_TRUE(expires_soon(hi, hi));
  EXPECT_FALSE(expires_soon(hi, lo));
}

TEST(HarvestUnauthorized, DiagnosesTheCause) {
  EXPECT_EQ(diagnose_unauthorized({.account_header_sent = false}), UnauthorizedCause::account_header);
  EXPECT_EQ(diagnose_unauthorized({.fresh_token_refused = true}), UnauthorizedCause::account_header);
  EXPECT_EQ(diagnose_unauthorized({.refresh_refused = true}), UnauthorizedCause::token);
  EXPECT_EQ(diagnose_unauthorized({}), UnauthorizedCause::unknown);
}

TEST(HarvestUnauthorized, MessagesSayWhatToDo) {
  auto m = unauthorized_message({.fresh_token_refused = true}, "invalid_token");
  EXPECT_NE(m.find("401 invalid_token"), std::string::npos) << m;
  EXPECT_NE(m.find("Harvest-Account-Id"), std::string::npos) << m;
  EXPECT_NE(m.find("account ID"), std::string::npos) << m;
  m = unauthorized_message({.refresh_refused = true}, "invalid_token");
  EXPECT_NE(m.find("authorize the connection again"), std::string::npos) << m;
  m = unauthorized_message({.personal_access_token = true}, "invalid_token");
  EXPECT_NE(m.find("personal access token"), std::string::npos) << m;
  EXPECT_NE(m.find("Harvest-Account-Id"), std::string::npos) << m;
  m = unauthorized_message({.account_header_sent = false}, "");
  EXPECT_NE(m.find("missing"), std::string::npos) << m;
  // The server's error code is echoed only as a plain token.
  m = unauthorized_message({}, "bad\"<script>");
  EXPECT_EQ(m.find('<'), std::string::npos) << m;
}

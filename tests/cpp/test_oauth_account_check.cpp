// The account check: harvest:ID must name the connection's account; all / harvest:all need
// the accounts list; messages give counts, never IDs.
#include <gtest/gtest.h>

#include "harvest_connect/error.hpp"
#include "harvest_connect/oauth/account_check.hpp"

namespace hc = harvest_connect;
namespace oauth = harvest_connect::oauth;
using hc::crypto::Secret;

namespace {
oauth::AccountGrant grant(const char* scope, const char* account = "123456") {
  return oauth::account_grant(oauth::parse_scope(Secret::from_string(scope), Secret::from_string(account)));
}
}  // namespace

TEST(OAuthAccountCheck, SpecificAccounts) {
  EXPECT_EQ(grant("harvest:123456"), oauth::AccountGrant::granted);
  EXPECT_EQ(grant("harvest:1+harvest:123456"), oauth::AccountGrant::granted);
  EXPECT_EQ(grant("forecast:9 harvest:123456"), oauth::AccountGrant::granted);
  EXPECT_EQ(grant("harvest:1234567"), oauth::AccountGrant::not_granted);
  EXPECT_EQ(grant("harvest:12345"), oauth::AccountGrant::not_granted);
  EXPECT_EQ(grant("forecast:123456"), oauth::AccountGrant::not_granted);
  EXPECT_EQ(grant("harvest:abc"), oauth::AccountGrant::not_granted);
  EXPECT_EQ(grant(""), oauth::AccountGrant::not_granted);
}

TEST(OAuthAccountCheck, AllNeedsTheAccountsList) {
  EXPECT_EQ(grant("all"), oauth::AccountGrant::check_accounts);
  EXPECT_EQ(grant("harvest:all"), oauth::AccountGrant::check_accounts);
  EXPECT_EQ(grant("forecast:all"), oauth::AccountGrant::not_granted);
  EXPECT_EQ(grant("forecast:all+harvest:all"), oauth::AccountGrant::check_accounts);
}

TEST(OAuthAccountCheck, DescribesByCountOnly) {
  auto s = oauth::parse_scope(Secret::from_string("harvest:111+harvest:222+forecast:333"), Secret::from_string("9"));
  EXPECT_EQ(s.describe(), "2 Harvest accounts, 1 Forecast account");
  EXPECT_EQ(oauth::parse_scope(Secret::from_string("all"), Secret::from_string("9")).describe(), "all accounts");
  try {
    oauth::throw_account_not_granted(s.describe());
  } catch (const hc::error& e) {
    EXPECT_EQ(e.kind(), hc::errc::authorization_failed);
    std::string what = e.what();
    EXPECT_EQ(what.find("111"), std::string::npos);
    EXPECT_NE(what.find("not among the accounts the user granted"), std::string::npos);
  }
}

TEST(OAuthAccountCheck, AccountsList) {
  const char* body =
      R"({"user":{"id":1,"first_name":"A","last_name":"B","email":"a@example.com"},
          "accounts":[{"id":123456,"name":"Forecast Co","product":"forecast"},
                      {"id":98765,"name":"Harvest Co","product":"harvest"}]})";
  std::size_t n = 0;
  EXPECT_TRUE(oauth::accounts_include(body, Secret::from_string("98765"), &n));
  EXPECT_EQ(n, 1u);
  EXPECT_FALSE(oauth::accounts_include(body, Secret::from_string("123456")));  // Forecast only
  EXPECT_FALSE(oauth::accounts_include(R"({"accounts":[]})", Secret::from_string("1")));
  for (const char* bad : {"", "[]", "{}", R"({"accounts":{}})", R"({"accounts":[1]})", "not json"})
    EXPECT_THROW((void)oauth::accounts_include(bad, Secret::from_string("1")), hc::error) << bad;
}

// The byte scan of a store's files for a connection's secrets in clear (the demo's proof that
// they are sealed): it reports every secret the connection has, finds none in a sound store,
// and does find one that a file holds in clear.
#include <fstream>

#include "harvest_connect/store/secret_scan.hpp"
#include "store_test_support.hpp"

using namespace store_test;

namespace {

class StoreSecretScan : public StoreTest {};

}  // namespace

TEST_F(StoreSecretScan, FindsNoSecretInClearInASoundStore) {
  auto s = open(key);
  s.create_oauth_client(client("app", "client-secret-in-the-store"));
  s.create_connection(connection("acme", "app", "9876543210"));
  const auto findings = hc::store::scan_for_secrets_in_clear(s, "acme");
  ASSERT_EQ(findings.size(), 2u);  // no tokens yet: the account ID and the client secret
  EXPECT_EQ(findings[0].secret, "account ID");
  EXPECT_EQ(findings[1].secret, "client secret");
  for (const auto& f : findings) EXPECT_FALSE(f.found_in_clear) << f.secret;
}

TEST_F(StoreSecretScan, FindsASecretThatAFileOfTheStoreHoldsInClear) {
  auto s = open(key);
  s.create_oauth_client(client("app", "client-secret-in-the-store"));
  s.create_connection(connection("acme", "app", "9876543210"));
  {
    // As if a journal had kept the account ID unsealed.
    std::ofstream journal(s.path().string() + "-journal", std::ios::binary | std::ios::app);
    journal << "....9876543210....";
  }
  const auto findings = hc::store::scan_for_secrets_in_clear(s, "acme");
  ASSERT_EQ(findings.size(), 2u);
  EXPECT_TRUE(findings[0].found_in_clear);
  EXPECT_FALSE(findings[1].found_in_clear);
}

TEST_F(StoreSecretScan, AnUnknownConnectionIsNotFound) {
  auto s = open(key);
  expect_error(hc::errc::not_found, [&] { (void)hc::store::scan_for_secrets_in_clear(s, "nope"); });
}

// The store-backed token source: loads without refreshing, refreshes ahead of expiry and once
// after a 401 (however many threads see the 401), keeps the old refresh token when none is
// returned, adopts another source's refresh, and sets the connection offline on invalid_grant.
#include <atomic>
#include <thread>

#include "harvest_connect/harvest/store_token_source.hpp"
#include "harvest_connect/harvest/token_expiry.hpp"
#include "store_test_support.hpp"

using namespace store_test;
using harvest_connect::harvest::AccessToken;
using harvest_connect::harvest::StoreTokenSource;
using harvest_connect::harvest::unix_now;
namespace store = harvest_connect::store;

namespace {

class HarvestStoreTokenSource : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    key = MasterKey::generate();
    db = std::make_shared<store::Store>(open(key));
    db->create_oauth_client(client("app"));
    db->create_connection(connection("acme", "app", "123456"));
    save("access-1", "refresh-1", unix_now() + 3600);
  }
  void save(const std::string& access, std::optional<std::string> refresh, std::int64_t expires_at) {
    store::TokenUpdate u;
    u.access_token = Secret::from_string(access);
    if (refresh) u.refresh_token = Secret::from_string(*refresh);
    u.expires_at = expires_at;
    db->save_tokens("acme", std::move(u));
  }
  // A refresher like the token endpoint's: counts, rotates (or not), remembers what it got.
  StoreTokenSource::Refresher refresher(bool rotate = true) {
    return [this, rotate](const Secret& refresh_token) {
      std::lock_guard lock(m);
      seen_refresh_tokens.emplace_back(refresh_token.reveal_string());
      const int n = ++refreshes;
      store::TokenUpdate u;
      u.access_token = Secret::from_string("access-" + std::to_string(n + 1));
      if (rotate) u.refresh_token = Secret::from_string("refresh-" + std::to_string(n + 1));
      u.expires_at = unix_now() + 3600;
      return u;
    };
  }
  std::string stored_refresh_token() {
    return std::string(db->credentials("acme").refresh_token->reveal_string());
  }

  MasterKey key = MasterKey::generate();
  std::shared_ptr<store::Store> db;
  std::mutex m;
  int refreshes = 0;
  std::vector<std::string> seen_refresh_tokens;
};

}  // namespace

TEST_F(HarvestStoreTokenSource, LoadsTheStoredTokenWithoutRefreshing) {
  StoreTokenSource source(db, "acme", refresher());
  EXPECT_EQ(source.current().value.reveal_string(), "access-1");
  EXPECT_EQ(source.current().value.reveal_string(), "access-1");
  EXPECT_EQ(refreshes, 0);
}

TEST_F(HarvestStoreTokenSource, RefreshesAheadOfExpiryAndCommitsFirst) {
  save("access-1", std::nullopt, unix_now() + 60);  // within the 5 minute leeway
  StoreTokenSource source(db, "acme", refresher());
  const AccessToken t = source.current();
  EXPECT_EQ(t.value.reveal_string(), "access-2");
  EXPECT_EQ(refreshes, 1);
  EXPECT_EQ(seen_refresh_tokens, std::vector<std::string>{"refresh-1"});
  const auto creds = db->credentials("acme");
  EXPECT_EQ(creds.access_token->reveal_string(), "access-2");
  EXPECT_EQ(creds.refresh_token->reveal_string(), "refresh-2");
  EXPECT_EQ(source.current().value.reveal_string(), "access-2");
  EXPECT_EQ(refreshes, 1);
}

TEST_F(HarvestStoreTokenSource, KeepsTheOldRefreshTokenWhenNoneIsReturned) {
  save("access-1", std::nullopt, unix_now() + 10);
  StoreTokenSource source(db, "acme", refresher(/*rotate=*/false));
  EXPECT_EQ(source.current().value.reveal_string(), "access-2");
  EXPECT_EQ(stored_refresh_token(), "refresh-1");
}

TEST_F(HarvestStoreTokenSource, SixteenThreadsRefusedWithOneTokenCauseOneRefresh) {
  StoreTokenSource source(db, "acme", refresher());
  const AccessToken rejected = source.current();
  std::vector<std::thread> threads;
  std::atomic<int> fresh{0};
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&] {
      auto t = source.refresh_after_unauthorized(rejected);
      if (t && t->value.reveal_string() == "access-2") ++fresh;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(fresh.load(), 16);
  EXPECT_EQ(refreshes, 1);
}

TEST_F(HarvestStoreTokenSource, AdoptsWhatAnotherSourceAlreadyRefreshed) {
  // Two sources over two Store handles of one file, as two processes would have.
  auto other_db = std::make_shared<store::Store>(open(key));
  StoreTokenSource a(db, "acme", refresher());
  StoreTokenSource b(other_db, "acme", refresher());
  const AccessToken rejected_a = a.current();
  const AccessToken rejected_b = b.current();
  EXPECT_EQ(a.refresh_after_unauthorized(rejected_a)->value.reveal_string(), "access-2");
  EXPECT_EQ(b.refresh_after_unauthorized(rejected_b)->value.reveal_string(), "access-2");
  EXPECT_EQ(refreshes, 1);
}

TEST_F(HarvestStoreTokenSource, RotatedRefreshTokensSurviveReopening) {
  {
    StoreTokenSource source(db, "acme", refresher());
    (void)source.refresh_after_unauthorized(source.current());
  }
  db.reset();
  db = std::make_shared<store::Store>(open(key));
  EXPECT_EQ(stored_refresh_token(), "refresh-2");
  StoreTokenSource source(db, "acme", refresher());
  (void)source.refresh_after_unauthorized(source.current());
  EXPECT_EQ(seen_refresh_tokens.back(), "refresh-2");
}

TEST_F(HarvestStoreTokenSource, InvalidGrantSetsTheConnectionOffline) {
  StoreTokenSource source(db, "acme", [](const Secret&) -> store::TokenUpdate {
    throw hc::error(hc::errc::token_error, "refused", 400, {}, "invalid_grant");
  });
  const AccessToken rejected = source.current();
  try {
    (void)source.refresh_after_unauthorized(rejected);
    FAIL();
  } catch (const hc::error& e) {
    EXPECT_EQ(e.kind(), hc::errc::authorization_required);
    EXPECT_EQ(e.server_error(), "invalid_grant");
    EXPECT_NE(std::string(e.what()).find("authorize the connection again"), std::string::npos) << e.what();
  }
  const auto c = db->connection("acme");
  EXPECT_EQ(c.status, hc::model::ConnectionStatus::offline);
  ASSERT_TRUE(c.last_error.has_value());
  EXPECT_NE(c.last_error->find("authorize"), std::string::npos);
  EXPECT_EQ(stored_refresh_token(), "refresh-1");  // rolled back, nothing half-written
}

TEST_F(HarvestStoreTokenSource, NotAuthorizedYetSaysSo) {
  db->create_connection(connection("fresh", "app", "42"));
  StoreTokenSource source(db, "fresh", refresher());
  try {
    (void)source.current();
    FAIL();
  } catch (const hc::error& e) {
    EXPECT_EQ(e.kind(), hc::errc::authorization_required);
    EXPECT_NE(std::string(e.what()).find("not authorized"), std::string::npos) << e.what();
  }
}

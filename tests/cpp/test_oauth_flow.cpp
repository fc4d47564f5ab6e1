// The whole flow against the emulator (plain HTTP on loopback): loopback and paste flows,
// a working token, and failures that leave the connection's tokens exactly as they were.
#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <functional>
#include <future>
#include <memory>
#include <vector>

#include "harvest_connect/error.hpp"
#include "harvest_connect/http/client.hpp"
#include "harvest_connect/oauth/authorization.hpp"
#include "harvest_connect/testing/emulator.hpp"
#include "store_test_support.hpp"

namespace oauth = harvest_connect::oauth;
namespace testing_ns = harvest_connect::testing;
using namespace std::chrono_literals;
using store_test::Secret;
using store_test::MasterKey;
namespace hc = harvest_connect;

namespace {

// What a browser does with a redirect to the loopback receiver: GET it, return the answer.
std::string browse(const std::string& url) {
  harvest_connect::http::Client client;
  return client.get(url).body;
}

class OAuthFlow : public store_test::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    testing_ns::EmulatorOptions options;
    options.tls = false;
    options.data.time_entries = 10;
    emu = std::make_unique<testing_ns::Emulator>(options);
    app = emu->service().register_app("Test", "http://127.0.0.1");
    st = std::make_shared<hc::store::Store>(open(MasterKey::generate()));
    hc::model::NewOAuthClient c;
    c.name = "app";
    c.client_id = app.client_id;
    c.client_secret = Secret::from_string(app.client_secret);
    st->create_oauth_client(std::move(c));
    hc::model::NewConnection n;
    n.name = "acme";
    n.oauth_client = "app";
    n.account_id = Secret::from_string(std::to_string(emu->service().default_account_id()));
    n.id_url = emu->id_url();
    n.api_url = emu->api_url();
    st->create_connection(std::move(n));
  }
  void TearDown() override {
    st.reset();
    emu.reset();
    StoreTest::TearDown();
  }

  // A launcher that approves at the emulator and follows the redirect, like a browser.
  oauth::AuthorizeOptions approving() {
    oauth::AuthorizeOptions o;
    o.timeout = 20s;
    o.launcher = [this](const Secret& url) {
      std::string redirect = emu->service().approve(std::string(url.reveal_string()));
      page = std::async(std::launch::async, [redirect] { return browse(redirect); });
      return true;
    };
    return o;
  }

  std::unique_ptr<testing_ns::Emulator> emu;
  testing_ns::OAuthApp app;
  std::shared_ptr<hc::store::Store> st;
  std::future<std::string> page;
};

}  // namespace

TEST_F(OAuthFlow, LoopbackFlowAuthorizesWithAWorkingToken) {
  auto conn = oauth::authorize(st, "acme", approving());
  EXPECT_EQ(conn.status, hc::model::ConnectionStatus::authorized);
  EXPECT_TRUE(conn.has_access_token && conn.has_refresh_token && conn.token_expires_at);
  EXPECT_NE(page.get().find("Authorization complete"), std::string::npos);

  auto creds = st->credentials("acme");
  hc::http::Client http_client;
  hc::http::Request request;
  request.target = emu->api_url() + "/users/me";
  request.headers.set("Authorization", "Bearer " + std::string(creds.access_token->reveal_string()));
  request.headers.set("Harvest-Account-Id", std::string(creds.account_id.reveal_string()));
  request.headers.set("User-Agent", "harvest-connect tests (tests@example.com)");
  EXPECT_EQ(http_client.send(request).status, 200);
}

TEST_F(OAuthFlow, PasteFlowAndItsFailuresKeepTheTokens) {
  (void)oauth::authorize(st, "acme", approving());
  page.get();
  auto before = st->credentials("acme");

  auto url = oauth::authorization_url(st, "acme");
  std::string redirect = emu->service().approve(std::string(url.reveal_string()));
  // Tampered state: no pending authorization matches.
  std::string tampered = redirect;
  auto pos = tampered.find("state=") + 6;
  tampered[pos] = tampered[pos] == 'A' ? 'B' : 'A';
  EXPECT_THROW((void)oauth::complete_authorization(st, "acme", tampered), hc::error);
  // The real one works once, and not twice.
  (void)oauth::complete_authorization(st, "acme", redirect);
  auto after = st->credentials("acme");
  EXPECT_FALSE(*after.access_token == *before.access_token);
  try {
    (void)oauth::complete_authorization(st, "acme", redirect);
    ADD_FAILURE();
  } catch (const hc::error& e) {
    EXPECT_EQ(e.kind(), hc::errc::authorization_failed);
  }
  auto again = st->credentials("acme");
  EXPECT_TRUE(*again.access_token == *after.access_token);
  EXPECT_TRUE(*again.refresh_token == *after.refresh_token);
}

TEST_F(OAuthFlow, WrongAccountKeepsNoToken) {
  hc::model::ConnectionChanges ch;
  ch.account_id = Secret::from_string("424242");
  st->update_connection("acme", std::move(ch));
  try {
    (void)oauth::authorize(st, "acme", approving());
    ADD_FAILURE();
  } catch (const hc::error& e) {
    EXPECT_EQ(e.kind(), hc::errc::authorization_failed);
    EXPECT_NE(std::string(e.what()).find("not among the accounts"), std::string::npos);
    EXPECT_EQ(std::string(e.what()).find("424242"), std::string::npos);
  }
  EXPECT_NE(page.get().find("Authorization failed"), std::string::npos);
  auto conn = st->connection("acme");
  EXPECT_EQ(conn.status, hc::model::ConnectionStatus::not_authorized);
  EXPECT_FALSE(conn.has_access_token);
}

TEST_F(OAuthFlow, TimeoutAndCancelChangeNothing) {
  oauth::AuthorizeOptions o;
  o.timeout = 300ms;
  try {
    (void)oauth::authorize(st, "acme", o);
    ADD_FAILURE();
  } catch (const hc::error& e) {
    EXPECT_EQ(e.kind(), hc::errc::timeout);
  }
  o.timeout = 20s;
  int polls = 0;
  o.cancelled = [&] { return ++polls > 3; };
  EXPECT_THROW((void)oauth::authorize(st, "acme", o), oauth::AuthorizationCancelled);
  EXPECT_EQ(st->connection("acme").status, hc::model::ConnectionStatus::not_authorized);
}

// Issue 12 §3: any local program or web page can reach the receiver before the provider's
// redirect does. Such a request is answered and ignored; the real redirect still completes.
TEST_F(OAuthFlow, AStrayRequestFirstDoesNotEndTheFlow) {
  oauth::AuthorizeOptions o;
  o.timeout = 20s;
  oauth::LoopbackAuthorization flow(st, "acme", o);
  for (const std::string query : {"?code=forged&state=forged", "?code=forged", "?error=access_denied"}) {
    auto stray = std::async(std::launch::async, [&] { return browse(flow.redirect_uri() + query); });
    // Poll until the stray request has its answer (bounded: 400 polls of 50 ms).
    for (int i = 0; i < 400 && stray.wait_for(0ms) != std::future_status::ready; ++i) {
      ASSERT_FALSE(flow.poll(50ms)) << query;
    }
    ASSERT_EQ(stray.wait_for(0ms), std::future_status::ready) << query;
    EXPECT_NE(stray.get().find("Request ignored"), std::string::npos) << query;
  }
  EXPECT_EQ(st->connection("acme").status, hc::model::ConnectionStatus::not_authorized);

  const std::string redirect = emu->service().approve(std::string(flow.url().reveal_string()));
  auto browser = std::async(std::launch::async, [&] { return browse(redirect); });
  bool done = false;
  for (int i = 0; i < 400 && !done; ++i) done = flow.poll(50ms);
  ASSERT_TRUE(done);
  EXPECT_NE(browser.get().find("Authorization complete"), std::string::npos);
  EXPECT_EQ(st->connection("acme").status, hc::model::ConnectionStatus::authorized);
}

TEST_F(OAuthFlow, DisconnectForgetsTheTokens) {
  (void)oauth::authorize(st, "acme", approving());
  page.get();
  EXPECT_FALSE(oauth::disconnect(st, "acme"));  // no revoke URL: nothing to revoke
  auto conn = st->connection("acme");
  EXPECT_EQ(conn.status, hc::model::ConnectionStatus::not_authorized);
  EXPECT_FALSE(conn.has_access_token);
}

// One ownership convention (issue 13 §1): oauth:: takes the store as harvest:: does, a
// std::shared_ptr<Store>. A loopback authorization keeps it alive for as long as it lives, so
// the caller may let go of its own pointer; a null store is refused, not dereferenced.
TEST_F(OAuthFlow, ALoopbackAuthorizationKeepsItsStoreAlive) {
  oauth::AuthorizeOptions o;
  o.timeout = 20s;
  auto flow = std::make_unique<oauth::LoopbackAuthorization>(st, "acme", o);
  std::weak_ptr<hc::store::Store> watch = st;
  st.reset();
  ASSERT_FALSE(watch.expired());
  flow->complete_pasted(emu->service().approve(std::string(flow->url().reveal_string())));
  EXPECT_EQ(watch.lock()->connection("acme").status, hc::model::ConnectionStatus::authorized);
  flow.reset();
  EXPECT_TRUE(watch.expired());
}

TEST_F(OAuthFlow, ANullStoreIsRefused) {
  const std::shared_ptr<hc::store::Store> none;
  for (auto call : std::vector<std::function<void()>>{
           [&] { (void)oauth::authorization_url(none, "acme"); },
           [&] { (void)oauth::complete_authorization(none, "acme", "http://127.0.0.1/callback?code=c&state=s"); },
           [&] { (void)oauth::disconnect(none, "acme"); },
           [&] { (void)oauth::authorize(none, "acme", {}); },
           [&] { oauth::LoopbackAuthorization flow(none, "acme", {}); }}) {
    try {
      call();
      ADD_FAILURE() << "a null store was accepted";
    } catch (const hc::error& e) {
      EXPECT_EQ(e.kind(), hc::errc::validation_failed);
      EXPECT_NE(std::string(e.what()).find("no store"), std::string::npos);
    }
  }
}

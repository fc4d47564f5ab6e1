// The loopback receiver, driven by a raw socket client: one callback on the exact path,
// other paths 404, requests without the flow's state ignored, a second callback refused, the page's headers, port in use, endpoints.
#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <future>
#include <thread>

#include "harvest_connect/error.hpp"
#include "harvest_connect/oauth/loopback_receiver.hpp"

namespace hc = harvest_connect;
namespace oauth = harvest_connect::oauth;
using namespace std::chrono_literals;

namespace {

// A blocking HTTP/1.0-style GET over loopback; the whole answer as text.
std::string get(std::uint16_t port, const std::string& target) {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::socket socket(ioc);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  std::string request = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  boost::asio::write(socket, boost::asio::buffer(request));
  std::string out;
  boost::system::error_code ec;
  char buf[4096];
  for (;;) {
    std::size_t n = socket.read_some(boost::asio::buffer(buf), ec);
    out.append(buf, n);
    if (ec) break;
  }
  return out;
}

}  // namespace

TEST(OAuthLoopbackReceiver, EndpointFromTheRegisteredRedirect) {
  auto e = oauth::loopback_endpoint("", std::nullopt);
  EXPECT_EQ(e.host, "127.0.0.1");
  EXPECT_EQ(e.port, 0);
  EXPECT_EQ(e.redirect_uri_template, "http://127.0.0.1/callback");
  e = oauth::loopback_endpoint("http://127.0.0.1:8765/cb", std::nullopt);
  EXPECT_EQ(e.port, 8765);
  EXPECT_EQ(e.redirect_uri_template, "http://127.0.0.1:8765/cb");
  e = oauth::loopback_endpoint("http://[::1]:9000/cb", std::nullopt);
  EXPECT_EQ(e.host, "::1");
  EXPECT_EQ(e.port, 9000);
  EXPECT_THROW((void)oauth::loopback_endpoint("https://example.com/cb", std::nullopt), hc::error);
  EXPECT_THROW((void)oauth::loopback_endpoint("https://127.0.0.1/cb", std::nullopt), hc::error);
  EXPECT_THROW((void)oauth::loopback_endpoint("http://127.0.0.1:8765/cb", 8766), hc::error);
}

// Issue 12 §3, RFC 8252 §8.3: `localhost` may resolve to ::1, where another local program
// could listen; the receiver refuses the name and says which address to register instead.
TEST(OAuthLoopbackReceiver, ARegisteredLocalhostRedirectIsRefusedWithTheAddressToUse) {
  for (const char* uri : {"http://localhost:8765/cb", "http://LocalHost:8765/cb", "http://localhost.:8765/cb"}) {
    try {
      (void)oauth::loopback_endpoint(uri, std::nullopt);
      ADD_FAILURE() << uri;
    } catch (const hc::error& e) {
      EXPECT_EQ(e.kind(), hc::errc::validation_failed);
      EXPECT_NE(std::string(e.what()).find("http://127.0.0.1:8765/cb"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("RFC 8252"), std::string::npos) << e.what();
    }
  }
  try {
    (void)oauth::loopback_endpoint("http://localhost", 9000);
    ADD_FAILURE();
  } catch (const hc::error& e) {
    EXPECT_NE(std::string(e.what()).find("http://127.0.0.1/callback"), std::string::npos) << e.what();
  }
}

TEST(OAuthLoopbackReceiver, RequestsWithoutTheFlowsStateAreAnsweredAndIgnored) {
  oauth::LoopbackReceiver receiver(oauth::loopback_endpoint("", std::nullopt));
  // Before the state is known nothing can match.
  auto early = get(receiver.port(), "/callback?code=X&state=REAL-STATE");
  EXPECT_TRUE(early.starts_with("HTTP/1.1 400")) << early;
  receiver.expect_state(hc::crypto::Secret::from_string("REAL-STATE"));
  for (const char* stray : {"/callback?code=EVIL&state=wrong", "/callback?code=EVIL", "/callback",
                            "/callback?code=EVIL&state=REAL-STATE&state=REAL-STATE", "/callback?state=REAL-STAT",
                            "/callback?error=access_denied&state=other"}) {
    auto page = get(receiver.port(), stray);
    EXPECT_TRUE(page.starts_with("HTTP/1.1 400")) << stray << page;
    EXPECT_NE(page.find("Request ignored"), std::string::npos) << stray;
    EXPECT_EQ(page.find("EVIL"), std::string::npos);
    EXPECT_FALSE(receiver.wait(10ms)) << stray;
  }
  auto browser = std::async(std::launch::async,
                            [&] { return get(receiver.port(), "/callback?code=SECRET&state=REAL-STATE"); });
  auto target = receiver.wait(5s);
  ASSERT_TRUE(target);
  EXPECT_EQ(target->reveal_string(), "/callback?code=SECRET&state=REAL-STATE");
  receiver.finish(true);
  EXPECT_TRUE(browser.get().starts_with("HTTP/1.1 200"));
}

TEST(OAuthLoopbackReceiver, OneCallbackOnTheExactPath) {
  oauth::LoopbackReceiver receiver(oauth::loopback_endpoint("", std::nullopt));
  receiver.expect_state(hc::crypto::Secret::from_string("S"));
  ASSERT_NE(receiver.port(), 0);
  EXPECT_EQ(receiver.redirect_uri(), "http://127.0.0.1:" + std::to_string(receiver.port()) + "/callback");
  EXPECT_FALSE(receiver.wait(50ms));

  auto stray = get(receiver.port(), "/favicon.ico");
  EXPECT_TRUE(stray.starts_with("HTTP/1.1 404")) << stray;
  auto stray2 = get(receiver.port(), "/callback/extra?code=x");
  EXPECT_TRUE(stray2.starts_with("HTTP/1.1 404"));
  EXPECT_FALSE(receiver.wait(10ms));

  auto browser = std::async(std::launch::async, [&] { return get(receiver.port(), "/callback?code=SECRET&state=S"); });
  auto target = receiver.wait(5s);
  ASSERT_TRUE(target);
  EXPECT_EQ(target->reveal_string(), "/callback?code=SECRET&state=S");
  // A second callback while the first is being handled is refused.
  auto second = get(receiver.port(), "/callback?code=OTHER&state=S");
  EXPECT_TRUE(second.starts_with("HTTP/1.1 400")) << second;
  EXPECT_FALSE(receiver.wait(10ms));

  receiver.finish(true);
  auto page = browser.get();
  EXPECT_TRUE(page.starts_with("HTTP/1.1 200")) << page;
  EXPECT_NE(page.find("Cache-Control: no-store"), std::string::npos);
  EXPECT_NE(page.find("Referrer-Policy: no-referrer"), std::string::npos);
  EXPECT_NE(page.find("Authorization complete"), std::string::npos);
  EXPECT_EQ(page.find("SECRET"), std::string::npos);
  EXPECT_EQ(page.find("http://"), std::string::npos);  // no external resource, no link
  EXPECT_EQ(page.find("https://"), std::string::npos);
  EXPECT_EQ(page.find("src="), std::string::npos);
  EXPECT_EQ(receiver.requests_seen(), 4u);
}

TEST(OAuthLoopbackReceiver, FailurePageSaysSoInPlainWords) {
  oauth::LoopbackReceiver receiver(oauth::loopback_endpoint("", std::nullopt));
  receiver.expect_state(hc::crypto::Secret::from_string("S"));
  auto browser =
      std::async(std::launch::async, [&] { return get(receiver.port(), "/callback?error=access_denied&state=S"); });
  ASSERT_TRUE(receiver.wait(5s));
  receiver.finish(false, "The user declined <b>.");
  auto page = browser.get();
  EXPECT_TRUE(page.starts_with("HTTP/1.1 400"));
  EXPECT_NE(page.find("Authorization failed"), std::string::npos);
  EXPECT_NE(page.find("The user declined &lt;b&gt;."), std::string::npos);
}

TEST(OAuthLoopbackReceiver, ClosesAfterwards) {
  std::uint16_t port = 0;
  {
    oauth::LoopbackReceiver receiver(oauth::loopback_endpoint("", std::nullopt));
    port = receiver.port();
    receiver.expect_state(hc::crypto::Secret::from_string("S"));
    auto browser = std::async(std::launch::async, [&] { return get(port, "/callback?x=1&state=S"); });
    ASSERT_TRUE(receiver.wait(5s));
    // Destroyed without finish(): the browser still gets a failure page.
    receiver.finish(false);
    EXPECT_NE(browser.get().find("Authorization failed"), std::string::npos);
  }
  EXPECT_THROW((void)get(port, "/callback"), boost::system::system_error);
}

TEST(OAuthLoopbackReceiver, PortInUseNamesThePort) {
  oauth::LoopbackReceiver first(oauth::loopback_endpoint("", std::nullopt));
  std::string redirect = "http://127.0.0.1:" + std::to_string(first.port()) + "/callback";
  try {
    oauth::LoopbackReceiver second(oauth::loopback_endpoint(redirect, std::nullopt));
    ADD_FAILURE();
  } catch (const hc::error& e) {
    EXPECT_EQ(e.kind(), hc::errc::network_error);
    EXPECT_NE(std::string(e.what()).find("port " + std::to_string(first.port())), std::string::npos) << e.what();
  }
}

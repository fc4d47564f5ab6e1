#include <gtest/gtest.h>

#include "harvest_connect/error.hpp"
#include "harvest_connect/http/url.hpp"

using namespace harvest_connect;
using namespace harvest_connect::http;

namespace {
void expect_invalid(std::string_view text) {
  try {
    (void)Url::parse(text);
    ADD_FAILURE() << "accepted: " << text;
  } catch (const error& e) {
    EXPECT_EQ(e.kind(), errc::validation_failed) << text;
  }
}
}  // namespace

TEST(HttpUrl, ParsesAbsoluteUrls) {
  auto u = Url::parse("HTTPS://API.HarvestApp.com/v2/users/me?page=2#frag");
  EXPECT_EQ(u.scheme(), "https");
  EXPECT_TRUE(u.is_https());
  EXPECT_EQ(u.host(), "api.harvestapp.com");
  EXPECT_EQ(u.port(), 443);
  EXPECT_EQ(u.target(), "/v2/users/me?page=2");
  EXPECT_EQ(u.path(), "/v2/users/me");
  EXPECT_EQ(u.authority(), "api.harvestapp.com");
  EXPECT_EQ(u.origin(), "https://api.harvestapp.com");
  EXPECT_EQ(u.redacted(), "https://api.harvestapp.com/v2/users/me");
  EXPECT_EQ(u.str().find('#'), std::string::npos);

  auto v6 = Url::parse("http://[::1]:8080");
  EXPECT_EQ(v6.host(), "::1");
  EXPECT_TRUE(v6.host_is_ip());
  EXPECT_EQ(v6.port(), 8080);
  EXPECT_EQ(v6.target(), "/");
  EXPECT_EQ(v6.authority(), "[::1]:8080");

  auto v4 = Url::parse("http://127.0.0.1:80/x");
  EXPECT_EQ(v4.authority(), "127.0.0.1");
  EXPECT_TRUE(v4.host_is_ip());
}

TEST(HttpUrl, RefusesMalformedOrUnsupported) {
  for (auto text : {"", "not a url", "/relative/path", "example.com/x", "ftp://example.com/", "https://",
                    "https:///path", "https://user:pw@example.com/", "https://example.com:0/",
                    "https://example.com:70000/", "https://exa mple.com/", "https://ex%41mple.com/",
                    "https://example.com/%zz", "https://example.com:/", "https://-bad..name/", "mailto:a@b.c"}) {
    expect_invalid(text);
  }
}

TEST(HttpUrl, MessagesDoNotQuoteTheQuery) {
  try {
    (void)Url::parse("ftp://example.com/?code=SECRETCODE");
    FAIL();
  } catch (const error& e) {
    EXPECT_EQ(std::string(e.what()).find("SECRETCODE"), std::string::npos) << e.what();
  }
}

TEST(HttpUrl, QueryParamsBuildAndRead) {
  auto u = Url::parse("https://example.com/cb?state=a%20b&x=1");
  EXPECT_EQ(u.query_param("state"), "a b");
  EXPECT_FALSE(u.query_param("missing").has_value());
  auto w = u.with_query({{"q", "a b+c&d=e"}, {"ü", "é"}});
  EXPECT_EQ(w.target(), "/cb?state=a%20b&x=1&q=a+b%2Bc%26d%3De&%C3%BC=%C3%A9");
  auto params = w.query_params();
  ASSERT_EQ(params.size(), 4u);
  EXPECT_EQ(params[2], (std::pair<std::string, std::string>{"q", "a b+c&d=e"}));
  EXPECT_EQ(params[3].first, "ü");
  auto r = w.with_query_replaced({{"x", "2"}});
  EXPECT_EQ(r.query_param("x"), "2");
  EXPECT_EQ(r.query_params().size(), 4u);
}

TEST(HttpUrl, Resolves) {
  auto base = Url::parse("https://api.harvestapp.com/v2/");
  EXPECT_EQ(base.resolve("users/me").str(), "https://api.harvestapp.com/v2/users/me");
  EXPECT_EQ(base.resolve("/v2/time_entries?page=2").str(), "https://api.harvestapp.com/v2/time_entries?page=2");
  EXPECT_EQ(base.resolve("https://other.example/x").host(), "other.example");
  EXPECT_EQ(base.resolve("?page=3").str(), "https://api.harvestapp.com/v2/?page=3");
  EXPECT_EQ(Url::parse("https://h/a/b/c").resolve("../d").str(), "https://h/a/d");
  EXPECT_THROW((void)base.resolve("ftp://x/"), error);
}

TEST(HttpUrl, FormEncodeDecodeRoundTrip) {
  Params p{{"grant_type", "authorization_code"}, {"code", "a b/c+d=e&f~g*"}, {"empty", ""}};
  const std::string body = form_encode(p);
  EXPECT_EQ(body, "grant_type=authorization_code&code=a+b%2Fc%2Bd%3De%26f~g%2A&empty=");
  EXPECT_EQ(form_decode(body), p);
  EXPECT_EQ(form_decode("a=1&&b&c=%41+%2B"), (Params{{"a", "1"}, {"b", ""}, {"c", "A +"}}));
  EXPECT_THROW((void)form_decode("a=%G1"), error);
  EXPECT_THROW((void)form_decode("a=%4"), error);
}

TEST(HttpUrl, LoopbackHostsAreIpLiteralsAndExactlyLocalhost) {
  for (auto h : {"localhost", "LOCALHOST", "localhost.", "127.0.0.1", "127.1.2.3", "::1", "[::1]",
                 "::ffff:127.0.0.1"}) {
    EXPECT_TRUE(is_loopback_host(h)) << h;
  }
  // Names under .localhost are loopback only if the resolver makes them so: plain http:// to
  // them is refused on the name alone.
  for (auto h : {"", "example.com", "localhost.example.com", "128.0.0.1", "10.0.0.1", "::2", "0.0.0.0", "::",
                 "mylocalhost", "app.localhost", "evil.localhost.", "a.b.localhost"}) {
    EXPECT_FALSE(is_loopback_host(h)) << h;
  }
}

// Proxy settings: the proxy URL parser (credentials kept out of every message), the NO_PROXY
// matcher (curl's rules: names and their domains, addresses, CIDR, "*"), which requests go
// through which proxy, the environment variables and their precedence.

#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <optional>
#include <string>

#include "harvest_connect/error.hpp"
#include "harvest_connect/http/proxy.hpp"

using namespace harvest_connect;
using namespace harvest_connect::http;

namespace {

// Sets variables for one test and restores them after (ctest runs each test in its own
// process, but a run of the whole binary shares one environment).
class ScopedEnv {
 public:
  ScopedEnv(std::initializer_list<std::pair<const char*, const char*>> vars) {
    for (const char* name : {"https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "no_proxy", "NO_PROXY",
                             "REQUEST_METHOD", "HARVEST_CONNECT_PROXY_LOOPBACK"}) {
      const char* old = std::getenv(name);
      saved_[name] = old ? std::optional<std::string>(old) : std::nullopt;
      ::unsetenv(name);
    }
    for (const auto& [name, value] : vars) ::setenv(name, value, 1);
  }
  ~ScopedEnv() {
    for (const auto& [name, value] : saved_) {
      if (value) {
        ::setenv(name.c_str(), value->c_str(), 1);
      } else {
        ::unsetenv(name.c_str());
      }
    }
  }

 private:
  std::map<std::string, std::optional<std::string>> saved_;
};

}  // namespace

TEST(HttpProxy, ParsesHostPortAndDecodedCredentials) {
  Proxy p = Proxy::parse("http://us%40er:p%3Ass@Proxy.Example:3128/", "HTTPS_PROXY");
  EXPECT_EQ(p.host, "proxy.example");
  EXPECT_EQ(p.port, 3128);
  EXPECT_EQ(p.credentials.reveal_string(), "us@er:p:ss");
  EXPECT_EQ(p.authority(), "proxy.example:3128");
  EXPECT_EQ(p.describe(), "the proxy proxy.example:3128 (HTTPS_PROXY)");

  Proxy bare = Proxy::parse("10.1.2.3:8080");  // no scheme: http://
  EXPECT_EQ(bare.host, "10.1.2.3");
  EXPECT_EQ(bare.port, 8080);
  EXPECT_TRUE(bare.credentials.empty());
  EXPECT_EQ(Proxy::parse("http://proxy").port, 80);
  EXPECT_EQ(Proxy::parse("http://[::1]:3128").authority(), "[::1]:3128");
  EXPECT_EQ(Proxy::parse("http://user@proxy:1").credentials.reveal_string(), "user:");
}

TEST(HttpProxy, UnusableProxyUrlsAreRefusedWithoutRepeatingThem) {
  for (const char* bad : {"https://proxyalice:hunter2secret@proxy:443", "socks5://proxyalice:hunter2secret@proxy:1080",
                          "http://proxyalice:hunter2secret@proxy:0", "http://proxyalice:hunter2secret@proxy:99999",
                          "http://proxyalice:hunter2secret@proxy:3128/path", "http://proxyalice:hunter2secret@proxy:3128/?q=1",
                          "http://proxyalice:hunter2secret@:3128", "http://proxyalice:hunter2secret@proxy:3128#x"}) {
    try {
      (void)Proxy::parse(bad, "HTTPS_PROXY");
      ADD_FAILURE() << "accepted an unusable proxy URL";
    } catch (const error& e) {
      EXPECT_EQ(e.kind(), errc::validation_failed);
      const std::string what = e.what();
      EXPECT_NE(what.find("HTTPS_PROXY"), std::string::npos) << what;
      EXPECT_EQ(what.find("hunter2secret"), std::string::npos) << "the message repeats the password";
      EXPECT_EQ(what.find("proxyalice"), std::string::npos) << "the message repeats the user name";
    }
  }
}

TEST(HttpProxy, NoProxyMatchesNamesAndTheirDomainsOnly) {
  const NoProxy n = NoProxy::parse("example.com, .corp.example ,*.svc.local\tInternal.");
  for (const char* host : {"example.com", "EXAMPLE.com", "www.example.com", "a.b.example.com", "example.com.",
                           "corp.example", "x.corp.example", "svc.local", "a.svc.local", "internal", "x.internal"}) {
    EXPECT_TRUE(n.matches(host)) << host;
  }
  for (const char* host : {"notexample.com", "example.com.evil", "example.co", "xcorp.example", "svc.localx",
                           "api.harvestapp.com", "127.0.0.1"}) {
    EXPECT_FALSE(n.matches(host)) << host;
  }
}

TEST(HttpProxy, NoProxyMatchesAddressesAndNetworks) {
  const NoProxy n = NoProxy::parse("192.0.2.7,10.0.0.0/8,[2001:db8::1],fd00::/8,::ffff:198.51.100.0/120");
  for (const char* host : {"192.0.2.7", "10.200.3.4", "2001:db8::1", "fd12::5", "::ffff:10.0.0.1", "198.51.100.9"}) {
    EXPECT_TRUE(n.matches(host)) << host;
  }
  for (const char* host : {"192.0.2.8", "11.0.0.1", "2001:db8::2", "fe80::1", "example.com"}) {
    EXPECT_FALSE(n.matches(host)) << host;
  }
}

TEST(HttpProxy, NoProxyStarMatchesEverythingAndJunkMatchesNothing) {
  EXPECT_TRUE(NoProxy::parse("*").matches("api.harvestapp.com"));
  EXPECT_TRUE(NoProxy::parse("a.example, *").matches("10.0.0.1"));
  const NoProxy junk = NoProxy::parse("<local>, example.com:443, 10.0.0.0/33, name/8, ., *x, [::1");
  for (const char* host : {"example.com", "10.0.0.1", "name", "local", "x", "::1"}) {
    EXPECT_FALSE(junk.matches(host)) << host;
  }
  EXPECT_TRUE(NoProxy::parse("").empty());
  EXPECT_FALSE(NoProxy::parse("").matches("example.com"));
}

TEST(HttpProxy, RequestsGoThroughTheProxyOfTheirScheme) {
  ProxyConfig c;
  c.https = Proxy::parse("http://secure-proxy:3128", "HTTPS_PROXY");
  c.http = Proxy::parse("http://127.0.0.1:3129", "HTTP_PROXY");
  c.no_proxy = NoProxy::parse("intranet.example");
  ASSERT_NE(c.for_url(Url::parse("https://api.harvestapp.com/v2/users/me")), nullptr);
  EXPECT_EQ(c.for_url(Url::parse("https://api.harvestapp.com/v2"))->host, "secure-proxy");
  EXPECT_EQ(c.for_url(Url::parse("https://intranet.example/")), nullptr);
  EXPECT_EQ(c.for_url(Url::parse("https://wiki.intranet.example/")), nullptr);
  ProxyConfig https_only;
  https_only.https = c.https;
  EXPECT_EQ(https_only.for_url(Url::parse("http://127.0.0.1:8080/")), nullptr);
}

TEST(HttpProxy, LoopbackTargetsAreDirectUnlessProxyLoopbackIsSet) {
  ProxyConfig c;
  c.https = Proxy::parse("http://127.0.0.1:3128");
  c.http = Proxy::parse("http://127.0.0.1:3128");
  for (const char* url : {"https://127.0.0.1:8443/", "https://localhost/", "https://[::1]:9/", "http://127.0.0.1:1/",
                          "http://localhost:8080/"}) {
    EXPECT_EQ(c.for_url(Url::parse(url)), nullptr) << url;
  }
  c.proxy_loopback = true;
  EXPECT_NE(c.for_url(Url::parse("https://127.0.0.1:8443/")), nullptr);
  EXPECT_NE(c.for_url(Url::parse("http://localhost:8080/")), nullptr);
  c.no_proxy = NoProxy::parse("127.0.0.1");  // NO_PROXY still applies
  EXPECT_EQ(c.for_url(Url::parse("https://127.0.0.1:8443/")), nullptr);
  EXPECT_NE(c.for_url(Url::parse("https://localhost:8443/")), nullptr);
}

TEST(HttpProxy, EnvironmentLowerCaseWinsAndEmptyCountsAsUnset) {
  {
    ScopedEnv env{{"https_proxy", "http://lower:1"}, {"HTTPS_PROXY", "http://upper:2"}, {"NO_PROXY", "a.example"}};
    const ProxyConfig c = ProxyConfig::from_environment();
    ASSERT_TRUE(c.https);
    EXPECT_EQ(c.https->host, "lower");
    EXPECT_EQ(c.https->source, "https_proxy");
    EXPECT_FALSE(c.http);
    EXPECT_TRUE(c.no_proxy.matches("b.a.example"));
    EXPECT_FALSE(c.proxy_loopback);
  }
  {
    ScopedEnv env{{"https_proxy", ""}, {"HTTPS_PROXY", "http://upper:2"}, {"HTTP_PROXY", "http://plain:3"},
                  {"HARVEST_CONNECT_PROXY_LOOPBACK", "1"}};
    const ProxyConfig c = ProxyConfig::from_environment();
    ASSERT_TRUE(c.https);
    EXPECT_EQ(c.https->host, "upper");
    ASSERT_TRUE(c.http);
    EXPECT_EQ(c.http->host, "plain");
    EXPECT_TRUE(c.proxy_loopback);
  }
  {
    ScopedEnv env{};
    const ProxyConfig c = ProxyConfig::from_environment();
    EXPECT_FALSE(c.https);
    EXPECT_FALSE(c.http);
    EXPECT_TRUE(c.no_proxy.empty());
  }
}

TEST(HttpProxy, UpperCaseHttpProxyIsIgnoredInACgiRequest) {
  // httpoxy: a request's "Proxy:" header reaches a CGI program as HTTP_PROXY.
  ScopedEnv env{{"REQUEST_METHOD", "GET"}, {"HTTP_PROXY", "http://attacker:80"}};
  EXPECT_FALSE(ProxyConfig::from_environment().http);
  ScopedEnv env2{{"REQUEST_METHOD", "GET"}, {"http_proxy", "http://mine:80"}};
  ASSERT_TRUE(ProxyConfig::from_environment().http);
}

TEST(HttpProxy, AnUnusableProxyVariableIsAValidationErrorNamingTheVariable) {
  ScopedEnv env{{"HTTPS_PROXY", "socks5h://me:hunter2secret@proxy:1080"}};
  try {
    (void)ProxyConfig::from_environment();
    ADD_FAILURE() << "a socks proxy was accepted";
  } catch (const error& e) {
    EXPECT_EQ(e.kind(), errc::validation_failed);
    EXPECT_NE(std::string(e.what()).find("HTTPS_PROXY"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("hunter2secret"), std::string::npos);
  }
}

TEST(HttpProxy, FingerprintDiffersWithEverySettingButHoldsNoCredentials) {
  ProxyConfig base;
  base.https = Proxy::parse("http://proxyalice:hunter2secret@proxy:3128", "HTTPS_PROXY");
  const std::string f = base.fingerprint();
  EXPECT_EQ(f.find("hunter2secret"), std::string::npos) << f;
  EXPECT_EQ(f, base.fingerprint());
  auto differs = [&](ProxyConfig other) { EXPECT_NE(other.fingerprint(), f); };
  ProxyConfig c = base;
  c.https = Proxy::parse("http://user:other@proxy:3128", "HTTPS_PROXY");
  differs(c);
  c = base;
  c.https = Proxy::parse("http://proxyalice:hunter2secret@proxy:3129", "HTTPS_PROXY");
  differs(c);
  c = base;
  c.https.reset();
  differs(c);
  c = base;
  c.http = Proxy::parse("http://127.0.0.1:1");
  differs(c);
  c = base;
  c.no_proxy = NoProxy::parse("example.com");
  differs(c);
  c = base;
  c.proxy_loopback = true;
  differs(c);
}

// The process-wide cache of HTTP clients: a client is shared only by callers whose options are
// all the same, so one caller's settings (plain http allowed, redirects followed, caps,
// timeouts, CAs, proxies) never reach another caller's requests.

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "harvest_connect/harvest/http_transport.hpp"

using namespace harvest_connect;

namespace {

http::ClientOptions base_options() {
  http::ClientOptions o;
  o.proxy_from_environment = false;  // the proxy is set explicitly below
  return o;
}

}  // namespace

TEST(HarvestHttpTransport, SameOptionsShareOneClient) {
  auto a = harvest::shared_http_client(base_options());
  auto b = harvest::shared_http_client(base_options());
  EXPECT_EQ(a.get(), b.get());
}

TEST(HarvestHttpTransport, EveryOptionThatChangesBehaviourGetsItsOwnClient) {
  const std::vector<std::pair<const char*, std::function<void(http::ClientOptions&)>>> changes = {
      {"connect_timeout", [](auto& o) { o.connect_timeout = std::chrono::milliseconds(1234); }},
      {"io_timeout", [](auto& o) { o.io_timeout = std::chrono::milliseconds(1234); }},
      {"request_timeout", [](auto& o) { o.request_timeout = std::chrono::milliseconds(1234); }},
      {"max_header_size", [](auto& o) { o.max_header_size = 1234; }},
      {"max_body_size", [](auto& o) { o.max_body_size = 1234; }},
      {"max_idle_per_host", [](auto& o) { o.max_idle_per_host = 0; }},
      {"max_idle_time", [](auto& o) { o.max_idle_time = std::chrono::milliseconds(1234); }},
      {"use_system_ca", [](auto& o) { o.use_system_ca = false; }},
      {"follow_redirects", [](auto& o) { o.follow_redirects = true; }},
      {"max_redirects", [](auto& o) { o.max_redirects = 1; }},
      {"allow_insecure_http", [](auto& o) { o.allow_insecure_http = true; }},
      {"user_agent", [](auto& o) { o.user_agent = "other"; }},
      {"proxy.https", [](auto& o) { o.proxy.https = http::Proxy::parse("http://127.0.0.1:3128"); }},
      {"proxy.http", [](auto& o) { o.proxy.http = http::Proxy::parse("http://127.0.0.1:3128"); }},
      {"proxy credentials", [](auto& o) { o.proxy.https = http::Proxy::parse("http://u:p@127.0.0.1:3128"); }},
      {"no_proxy", [](auto& o) { o.proxy.no_proxy = http::NoProxy::parse("example.com"); }},
      {"proxy_loopback", [](auto& o) { o.proxy.proxy_loopback = true; }},
  };
  auto base = harvest::shared_http_client(base_options());
  for (const auto& [name, change] : changes) {
    http::ClientOptions o = base_options();
    change(o);
    auto other = harvest::shared_http_client(o);
    EXPECT_NE(other.get(), base.get()) << name << " does not key the shared client";
    // And the client made for those options really has them.
    EXPECT_EQ(other->options().allow_insecure_http, o.allow_insecure_http) << name;
    EXPECT_EQ(other->options().follow_redirects, o.follow_redirects) << name;
    EXPECT_EQ(other->options().max_body_size, o.max_body_size) << name;
    EXPECT_EQ(other->options().proxy.fingerprint(), o.proxy.fingerprint()) << name;
  }
}

TEST(HarvestHttpTransport, TheProxyIsReadFromTheEnvironmentWhenTheClientIsAskedFor) {
  const char* old = std::getenv("HTTPS_PROXY");
  const std::string saved = old ? old : "";
  ::unsetenv("https_proxy");
  http::ClientOptions o;  // proxy_from_environment
  ::setenv("HTTPS_PROXY", "http://127.0.0.1:3128", 1);
  auto proxied = harvest::shared_http_client(o);
  ::unsetenv("HTTPS_PROXY");
  auto direct = harvest::shared_http_client(o);
  EXPECT_NE(proxied.get(), direct.get());
  ASSERT_TRUE(proxied->options().proxy.https);
  EXPECT_EQ(proxied->options().proxy.https->authority(), "127.0.0.1:3128");
  EXPECT_FALSE(direct->options().proxy.https);
  if (old) ::setenv("HTTPS_PROXY", saved.c_str(), 1);
}

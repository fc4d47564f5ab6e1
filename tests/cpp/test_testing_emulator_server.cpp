// The Emulator behind its HTTPS server, driven by the project's own HTTPS client trusting the
// generated CA: the OAuth code flow and a full paging run, end to end over loopback.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include <boost/json.hpp>

#include "harvest_connect/http/client.hpp"
#include "harvest_connect/http/url.hpp"
#include "harvest_connect/testing/emulator.hpp"

namespace {

namespace json = boost::json;
using namespace harvest_connect;

std::string param(const std::string& url, const std::string& key) {
  for (const auto& [k, v] : http::Url::parse(url).query_params())
    if (k == key) return v;
  return {};
}

TEST(EmulatorServer, HttpsCodeFlowAndPagingEndToEnd) {
  harvest_connect::testing::EmulatorOptions options;
  options.data.time_entries = 4500;
  harvest_connect::testing::Emulator emulator(options);
  ASSERT_TRUE(std::filesystem::exists(emulator.ca_file()));
  EXPECT_EQ(emulator.api_url(), emulator.id_url() + "/v2");

  http::ClientOptions client_options;
  client_options.use_system_ca = false;
  client_options.ca_file = emulator.ca_file();
  http::Client client(client_options);

  auto app = emulator.service().register_app("E2E", "http://127.0.0.1:8765/cb");
  const auto redirected = emulator.service().approve(emulator.id_url() + "/oauth2/authorize?client_id=" + app.client_id +
                                                     "&response_type=code&state=s");
  auto token = client.post_form(emulator.id_url() + "/api/v2/oauth2/token",
                                {{"grant_type", "authorization_code"},
                                 {"code", param(redirected, "code")},
                                 {"client_id", app.client_id},
                                 {"client_secret", app.client_secret}});
  ASSERT_EQ(token.status, 200) << token.body;
  const std::string access(json::parse(token.body).at("access_token").as_string());

  http::Headers headers;
  headers.set("Authorization", "Bearer " + access);
  headers.set("Harvest-Account-Id", std::to_string(emulator.service().default_account_id()));
  headers.set("User-Agent", "EmulatorServer test (tests@example.com)");
  std::string next = emulator.api_url() + "/time_entries?per_page=1000";
  std::set<std::int64_t> ids;
  while (!next.empty()) {
    auto r = client.get(next, headers);
    ASSERT_EQ(r.status, 200) << r.body;
    auto body = json::parse(r.body).as_object();
    for (auto& e : body["time_entries"].as_array()) ids.insert(e.at("id").as_int64());
    auto& link = body["links"].at("next");
    next = link.is_null() ? "" : std::string(link.as_string());
  }
  EXPECT_EQ(ids.size(), 4500u);
  EXPECT_GE(client.stats().connections_reused, 4u) << "keep-alive works against the emulator";

  emulator.stop();
}

TEST(EmulatorServer, CaFileIsRemovedWithTheEmulator) {
  std::string ca;
  {
    harvest_connect::testing::Emulator emulator(harvest_connect::testing::EmulatorOptions{});
    ca = emulator.ca_file();
    EXPECT_TRUE(std::filesystem::exists(ca));
  }
  EXPECT_FALSE(std::filesystem::exists(ca));
  harvest_connect::testing::EmulatorOptions plain;
  plain.tls = false;
  harvest_connect::testing::Emulator http_only(plain);
  EXPECT_EQ(http_only.ca_file(), "");
  EXPECT_EQ(http_only.id_url().rfind("http://127.0.0.1:", 0), 0u);
}

}  // namespace

// The emulator's request handler, called directly (no socket): OAuth code flow, token
// endpoint errors, header rules, pagination, filters, rate limits, faults and the log.
#include <gtest/gtest.h>

#include <openssl/evp.h>

#include <set>

#include <boost/json.hpp>
#include <boost/url.hpp>

#include "harvest_connect/crypto/encoding.hpp"
#include "harvest_connect/error.hpp"
#include "harvest_connect/testing/emulator_service.hpp"

namespace {

namespace json = boost::json;
namespace urls = boost::urls;
using harvest_connect::http::ServerRequest;
using harvest_connect::http::ServerResponse;
using namespace harvest_connect::testing;

constexpr const char* redirect = "http://127.0.0.1:8765/callback";

EmulatorOptions small(std::size_t entries = 250) {
  EmulatorOptions o;
  o.data.time_entries = entries;
  return o;
}

struct Fixture {
  EmulatorService service;
  OAuthApp app;
  explicit Fixture(EmulatorOptions o = small()) : service(std::move(o)) {
    service.set_base_url("https://127.0.0.1:4443");
    app = service.register_app("Test app", redirect);
  }

  ServerResponse call(const std::string& method, const std::string& target, std::vector<std::pair<std::string, std::string>> headers = {},
                      std::string body = {}) {
    ServerRequest r;
    r.method = method;
    r.target = target;
    for (auto& [k, v] : headers) r.headers.add(k, v);
    r.body = std::move(body);
    r.remote_address = "127.0.0.1";
    return service.handle(r);
  }

  ServerResponse api(const std::string& target, const std::string& token, std::string account = "") {
    if (account.empty()) account = std::to_string(service.default_account_id());
    return call("GET", target, {{"Authorization", "Bearer " + token}, {"Harvest-Account-Id", account}, {"User-Agent", "Tests (t@example.com)"}});
  }

  std::string authorize_url(const std::string& extra = "&state=xyz") const {
    return "https://127.0.0.1:4443/oauth2/authorize?client_id=" + app.client_id + "&response_type=code" + extra;
  }

  ServerResponse token(const std::string& form, std::vector<std::pair<std::string, std::string>> headers = {}) {
    headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    return call("POST", "/api/v2/oauth2/token", headers, form);
  }

  // approve → code → tokens; returns the token response body.
  json::object sign_in() {
    auto code = param(service.approve(authorize_url()), "code");
    auto r = token("grant_type=authorization_code&code=" + code + "&client_id=" + app.client_id + "&client_secret=" + app.client_secret);
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body).as_object();
  }

  static std::string param(const std::string& url, const std::string& key) {
    auto u = urls::parse_uri(url).value();
    auto it = u.params().find(key);
    return it == u.params().end() ? std::string("<none>") : std::string((*it).value);
  }
};

std::string s(const json::value& v) { return std::string(v.as_string()); }

TEST(EmulatorOAuth, CodeFlowApproveTokenRefresh) {
  Fixture f;
  const auto redirected = f.service.approve(f.authorize_url());
  EXPECT_EQ(redirected.rfind(redirect, 0), 0u);
  EXPECT_NE(redirected.find("scope=harvest%3A3104001"), std::string::npos) << redirected;
  EXPECT_EQ(Fixture::param(redirected, "state"), "xyz");
  const auto code = Fixture::param(redirected, "code");

  auto r = f.token("grant_type=authorization_code&code=" + code + "&client_id=" + f.app.client_id + "&client_secret=" + f.app.client_secret);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers.get("Cache-Control").value_or(""), "no-store");
  auto body = json::parse(r.body).as_object();
  EXPECT_EQ(s(body["token_type"]), "bearer");
  EXPECT_EQ(body["expires_in"].as_int64(), 1209600);
  const auto access = s(body["access_token"]);
  const auto refresh = s(body["refresh_token"]);
  EXPECT_EQ(f.api("/v2/users/me", access).status, 200);

  // Single use: a second exchange fails and revokes what the first gave.
  auto again = f.token("grant_type=authorization_code&code=" + code + "&client_id=" + f.app.client_id + "&client_secret=" + f.app.client_secret);
  EXPECT_EQ(again.status, 400);
  EXPECT_EQ(s(json::parse(again.body).at("error")), "invalid_grant");
  EXPECT_EQ(f.api("/v2/users/me", access).status, 401);

  auto refreshed = f.token("grant_type=refresh_token&refresh_token=" + refresh + "&client_id=" + f.app.client_id + "&client_secret=" + f.app.client_secret);
  EXPECT_EQ(refreshed.status, 400) << "the refresh token was revoked with the reused code";

  auto fresh = f.sign_in();
  auto rr = f.token("grant_type=refresh_token&refresh_token=" + s(fresh["refresh_token"]) + "&client_id=" + f.app.client_id +
                    "&client_secret=" + f.app.client_secret);
  ASSERT_EQ(rr.status, 200) << rr.body;
  auto next = json::parse(rr.body).as_object();
  EXPECT_NE(s(next["refresh_token"]), s(fresh["refresh_token"]));
  EXPECT_EQ(f.api("/v2/company", s(next["access_token"])).status, 200);
  // Rotated: the old refresh token no longer works.
  auto old = f.token("grant_type=refresh_token&refresh_token=" + s(fresh["refresh_token"]) + "&client_id=" + f.app.client_id +
                     "&client_secret=" + f.app.client_secret);
  EXPECT_EQ(old.status, 400);
  auto c = f.service.counters();
  EXPECT_EQ(c["token_requests.authorization_code"], 3u);
  EXPECT_EQ(c["token_requests.refresh_token"], 3u);
}

TEST(EmulatorOAuth, RefreshWithoutRotationKeepsTheToken) {
  auto o = small();
  o.oauth.rotate_refresh_tokens = false;
  Fixture f(o);
  auto t = f.sign_in();
  for (int i = 0; i < 2; ++i) {
    auto r = f.token("grant_type=refresh_token&refresh_token=" + s(t["refresh_token"]) + "&client_id=" + f.app.client_id +
                     "&client_secret=" + f.app.client_secret);
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(s(json::parse(r.body).at("refresh_token")), s(t["refresh_token"]));
  }
}

TEST(EmulatorOAuth, ConsentPageAndForm) {
  Fixture f;
  auto page = f.call("GET", "/oauth2/authorize?client_id=" + f.app.client_id + "&response_type=code&state=s1");
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("Authorize application"), std::string::npos);
  EXPECT_NE(page.body.find("Deny"), std::string::npos);
  EXPECT_NE(page.body.find("type=\"password\""), std::string::npos);
  EXPECT_EQ(page.body.find("http"), std::string::npos) << "no external resources";

  const std::string hidden = "client_id=" + f.app.client_id + "&response_type=code&redirect_uri=&state=s1&scope=&code_challenge=&code_challenge_method=";
  auto allow = f.call("POST", "/oauth2/authorize", {{"Content-Type", "application/x-www-form-urlencoded"}},
                      hidden + "&email=user%40example.com&password=harvest&decision=authorize");
  ASSERT_EQ(allow.status, 302) << allow.body;
  const std::string location(allow.headers.get("Location").value());
  EXPECT_NE(Fixture::param(location, "code"), "<none>");
  EXPECT_EQ(Fixture::param(location, "state"), "s1");

  auto wrong = f.call("POST", "/oauth2/authorize", {}, hidden + "&email=user%40example.com&password=nope&decision=authorize");
  EXPECT_EQ(wrong.status, 200);
  EXPECT_NE(wrong.body.find("Wrong email or password"), std::string::npos);

  auto deny = f.call("POST", "/oauth2/authorize", {}, hidden + "&decision=deny");
  ASSERT_EQ(deny.status, 302);
  EXPECT_EQ(std::string(deny.headers.get("Location").value()), std::string(redirect) + "?error=access_denied&state=s1");
  EXPECT_EQ(f.service.deny(f.authorize_url()), std::string(redirect) + "?error=access_denied&state=xyz");
}

TEST(EmulatorOAuth, UnknownClientAndForeignRedirectAreErrorPages) {
  Fixture f;
  auto unknown = f.call("GET", "/oauth2/authorize?client_id=nope&response_type=code");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_FALSE(unknown.headers.contains("Location"));
  auto foreign = f.call("GET", "/oauth2/authorize?client_id=" + f.app.client_id + "&response_type=code&redirect_uri=https%3A%2F%2Fevil.example%2F");
  EXPECT_EQ(foreign.status, 400);
  EXPECT_THROW((void)f.service.approve(f.authorize_url("&redirect_uri=https%3A%2F%2Fevil.example%2F")), harvest_connect::error);
  // A longer path under the registered one is fine.
  auto ok = f.service.approve(f.authorize_url("&redirect_uri=http%3A%2F%2F127.0.0.1%3A8765%2Fcallback%2Fmore"));
  EXPECT_EQ(ok.rfind(std::string(redirect) + "/more?code=", 0), 0u) << ok;
}

TEST(EmulatorOAuth, TokenEndpointErrors) {
  Fixture f;
  const std::string creds = "&client_id=" + f.app.client_id + "&client_secret=" + f.app.client_secret;
  auto code = [&](const std::string& extra = "") { return Fixture::param(f.service.approve(f.authorize_url(extra)), "code"); };
  auto error_of = [](const ServerResponse& r) { return s(json::parse(r.body).at("error")); };

  auto wrong_secret = f.token("grant_type=authorization_code&code=" + code() + "&client_id=" + f.app.client_id + "&client_secret=wrong");
  EXPECT_EQ(wrong_secret.status, 401);
  EXPECT_EQ(error_of(wrong_secret), "invalid_client");
  auto no_grant = f.token("code=x" + creds);
  EXPECT_EQ(no_grant.status, 400);
  EXPECT_EQ(error_of(no_grant), "invalid_request");
  auto bad_grant = f.token("grant_type=password" + creds);
  EXPECT_EQ(error_of(bad_grant), "unsupported_grant_type");
  auto no_code = f.token("grant_type=authorization_code" + creds);
  EXPECT_EQ(error_of(no_code), "invalid_request");

  // redirect_uri given at authorize time must be repeated exactly.
  const std::string given = "&redirect_uri=http%3A%2F%2F127.0.0.1%3A8765%2Fcallback";
  EXPECT_EQ(error_of(f.token("grant_type=authorization_code&code=" + code(given) + creds)), "invalid_grant");
  EXPECT_EQ(error_of(f.token("grant_type=authorization_code&code=" + code(given) + creds + "&redirect_uri=http%3A%2F%2F127.0.0.1%3A8765%2Fother")),
            "invalid_grant");
  EXPECT_EQ(f.token("grant_type=authorization_code&code=" + code(given) + creds + given).status, 200);

  // Codes expire (10 minutes by default).
  auto late = code();
  f.service.advance_clock(std::chrono::minutes(11));
  EXPECT_EQ(error_of(f.token("grant_type=authorization_code&code=" + late + creds)), "invalid_grant");
}

TEST(EmulatorOAuth, BasicClientAuthentication) {
  Fixture f;
  auto code = Fixture::param(f.service.approve(f.authorize_url()), "code");
  const std::string pair = f.app.client_id + ":" + f.app.client_secret;
  const auto basic = "Basic " + harvest_connect::crypto::base64_encode(
                                    harvest_connect::crypto::bytes_view(reinterpret_cast<const unsigned char*>(pair.data()), pair.size()));
  auto r = f.token("grant_type=authorization_code&code=" + code, {{"Authorization", basic}});
  EXPECT_EQ(r.status, 200) << r.body;
  auto bad = f.token("grant_type=authorization_code&code=" + code, {{"Authorization", "Basic " + harvest_connect::crypto::base64_encode(
      harvest_connect::crypto::bytes_view(reinterpret_cast<const unsigned char*>("a:b"), 3))}});
  EXPECT_EQ(bad.status, 401);
  EXPECT_TRUE(bad.headers.contains("WWW-Authenticate"));
}

TEST(EmulatorOAuth, PkceS256) {
  Fixture f;
  const std::string verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
  const std::string challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";  // RFC 7636 appendix B
  const std::string creds = "&client_id=" + f.app.client_id + "&client_secret=" + f.app.client_secret;
  auto code = [&] { return Fixture::param(f.service.approve(f.authorize_url("&code_challenge=" + challenge + "&code_challenge_method=S256")), "code"); };
  EXPECT_EQ(f.token("grant_type=authorization_code&code=" + code() + creds).status, 400);
  EXPECT_EQ(f.token("grant_type=authorization_code&code=" + code() + creds + "&code_verifier=wrong").status, 400);
  EXPECT_EQ(f.token("grant_type=authorization_code&code=" + code() + creds + "&code_verifier=" + verifier).status, 200);
}

TEST(EmulatorOAuth, MultiAccountScopeAndAccounts) {
  Fixture f;
  auto multi = f.service.register_app("Multi", redirect, true, true);
  auto url = "https://127.0.0.1:4443/oauth2/authorize?client_id=" + multi.client_id + "&response_type=code";
  EXPECT_EQ(Fixture::param(f.service.approve(url), "scope"), "all");
  auto pat = f.service.create_personal_access_token();
  auto r = f.call("GET", "/api/v2/accounts", {{"Authorization", "Bearer " + pat}, {"User-Agent", "T (t@example.com)"}});
  ASSERT_EQ(r.status, 200);
  auto body = json::parse(r.body).as_object();
  EXPECT_EQ(s(body["user"].at("email")), "user@example.com");
  std::set<std::string> products;
  for (auto& a : body["accounts"].as_array()) products.insert(s(a.at("product")));
  EXPECT_EQ(products, (std::set<std::string>{"harvest", "forecast"}));
}

TEST(EmulatorApi, HeaderRules) {
  Fixture f;
  auto token = f.service.create_personal_access_token();
  const std::string body =
      R"({"error":"invalid_token","error_description":"The access token provided is expired, revoked, malformed or invalid for other reasons."})";
  auto no_ua = f.call("GET", "/v2/users/me", {{"Authorization", "Bearer " + token}, {"Harvest-Account-Id", "3104001"}});
  EXPECT_EQ(no_ua.status, 400);
  auto no_account = f.call("GET", "/v2/users/me", {{"Authorization", "Bearer " + token}, {"User-Agent", "T (t@example.com)"}});
  EXPECT_EQ(no_account.status, 401);
  EXPECT_EQ(no_account.body, body);
  EXPECT_EQ(f.api("/v2/users/me", token, "999").status, 401);
  EXPECT_EQ(f.api("/v2/users/me", token, "3104002").status, 401) << "a Forecast account is not a Harvest account";
  EXPECT_EQ(f.api("/v2/users/me", "nonsense").body, body);
  auto me = f.api("/v2/users/me", token);
  ASSERT_EQ(me.status, 200);
  EXPECT_EQ(s(json::parse(me.body).at("email")), "user@example.com");
  f.service.expire_tokens();
  EXPECT_EQ(f.api("/v2/users/me", f.sign_in()["access_token"].as_string().c_str()).status, 200) << "new tokens still work";
}

TEST(EmulatorApi, PerPageLimits) {
  Fixture f;
  auto token = f.service.create_personal_access_token();
  auto ok = f.api("/v2/time_entries?per_page=2000", token);
  ASSERT_EQ(ok.status, 200);
  auto body = json::parse(ok.body).as_object();
  EXPECT_EQ(body["per_page"].as_int64(), 2000);
  EXPECT_EQ(body["time_entries"].as_array().size(), 250u);
  EXPECT_EQ(f.api("/v2/time_entries?per_page=2001", token).status, 422);
  EXPECT_EQ(f.api("/v2/time_entries?per_page=0", token).status, 422);
  EXPECT_TRUE(json::parse(f.api("/v2/time_entries?per_page=2001", token).body).as_object().contains("message"));
  auto dflt = json::parse(f.api("/v2/clients", token).body).as_object();
  EXPECT_EQ(dflt["per_page"].as_int64(), 2000);
}

std::string target_of(const std::string& absolute) {
  auto u = urls::parse_uri(absolute).value();
  return std::string(u.encoded_target());
}

TEST(EmulatorApi, PagingByLinksNextVisitsEveryEntryOnceInOrder) {
  Fixture f(small(5003));
  auto token = f.service.create_personal_access_token();
  std::string next = "/v2/time_entries?per_page=1000";
  std::set<std::int64_t> ids;
  std::string previous_date = "9999";
  int pages = 0;
  while (!next.empty()) {
    auto r = f.api(next, token);
    ASSERT_EQ(r.status, 200) << r.body;
    auto body = json::parse(r.body).as_object();
    EXPECT_EQ(body["total_entries"].as_int64(), 5003);
    EXPECT_EQ(body["total_pages"].as_int64(), 6);
    for (auto& e : body["time_entries"].as_array()) {
      EXPECT_TRUE(ids.insert(e.at("id").as_int64()).second);
      EXPECT_LE(s(e.at("spent_date")), previous_date);
      previous_date = s(e.at("spent_date"));
    }
    auto& link = body["links"].at("next");
    next = link.is_null() ? "" : target_of(s(link));
    if (!link.is_null()) {
      EXPECT_EQ(s(link).rfind("https://127.0.0.1:4443/v2/time_entries?", 0), 0u);
    }
    ++pages;
  }
  EXPECT_EQ(pages, 6);
  EXPECT_EQ(ids.size(), 5003u);
}

TEST(EmulatorApi, CursorPagination) {
  auto o = small(1500);
  o.cursor_pagination = true;
  Fixture f(o);
  auto token = f.service.create_personal_access_token();
  std::string next = "/v2/time_entries?per_page=10&project_id=14307901";
  auto all = json::parse(f.api("/v2/time_entries?project_id=14307901", token).body).as_object();
  std::vector<std::int64_t> expected, seen;
  for (auto& e : all["time_entries"].as_array()) expected.push_back(e.at("id").as_int64());
  ASSERT_FALSE(expected.empty());
  int page = 0;
  while (!next.empty()) {
    auto body = json::parse(f.api(next, token).body).as_object();
    for (auto& e : body["time_entries"].as_array()) seen.push_back(e.at("id").as_int64());
    auto& link = body["links"].at("next");
    if (page > 0 && !link.is_null()) {
      EXPECT_TRUE(body["page"].is_null());
      EXPECT_TRUE(body["next_page"].is_null());
    }
    if (!link.is_null()) {
      EXPECT_NE(s(link).find("cursor="), std::string::npos);
      EXPECT_NE(s(link).find("project_id=14307901"), std::string::npos);
    }
    next = link.is_null() ? "" : target_of(s(link));
    ++page;
  }
  EXPECT_EQ(seen, expected);
  EXPECT_EQ(f.api("/v2/time_entries?cursor=garbage", token).status, 422);
}

TEST(EmulatorApi, Filters) {
  Fixture f(small(2000));
  auto token = f.service.create_personal_access_token();
  auto list = [&](const std::string& q) { return json::parse(f.api("/v2/time_entries?" + q, token).body).as_object()["time_entries"].as_array(); };
  for (auto& e : list("from=2023-03-01&to=2023-03-31")) {
    EXPECT_GE(s(e.at("spent_date")), "2023-03-01");
    EXPECT_LE(s(e.at("spent_date")), "2023-03-31");
  }
  EXPECT_FALSE(list("from=2023-03-01&to=2023-03-31").empty());
  for (auto& e : list("user_id=1782881")) EXPECT_EQ(e.at("user").at("id").as_int64(), 1782881);
  for (auto& e : list("project_id=14307902")) EXPECT_EQ(e.at("project").at("id").as_int64(), 14307902);
  for (auto& e : list("updated_since=2024-12-01T00:00:00Z")) EXPECT_GE(s(e.at("updated_at")), "2024-12-01T00:00:00Z");
  EXPECT_LT(list("updated_since=2024-12-01T00:00:00Z").size(), 2000u);
  EXPECT_EQ(f.api("/v2/time_entries?from=yesterday", token).status, 422);
}

TEST(EmulatorApi, AnEditedEntryHasTheChosenUpdatedAtAndUpdatedSinceIncludesThatSecond) {
  Fixture f(small(50));
  auto token = f.service.create_personal_access_token();
  const std::uint64_t id = 636'700'007;
  f.service.update_time_entry(id, std::string("edited"), 2.5, 4'102'444'800);  // 2100-01-01T00:00:00Z
  auto list = [&](const std::string& q) {
    return json::parse(f.api("/v2/time_entries?" + q, token).body).as_object()["time_entries"].as_array();
  };
  auto got = list("updated_since=2100-01-01T00:00:00Z");  // the same second: included
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].at("id").as_int64(), static_cast<std::int64_t>(id));
  EXPECT_EQ(s(got[0].at("updated_at")), "2100-01-01T00:00:00Z");
  EXPECT_EQ(s(got[0].at("notes")), "edited");
  EXPECT_DOUBLE_EQ(got[0].at("hours").to_number<double>(), 2.5);
  EXPECT_TRUE(list("updated_since=2100-01-01T00:00:01Z").empty());
  EXPECT_THROW(f.service.update_time_entry(1), harvest_connect::error);  // no such entry
}

TEST(EmulatorApi, ListsReportAndCreate) {
  Fixture f;
  auto token = f.service.create_personal_access_token();
  for (std::string r : {"projects", "clients", "users", "tasks"}) {
    auto a = f.api("/v2/" + r, token);
    ASSERT_EQ(a.status, 200) << r;
    EXPECT_FALSE(json::parse(a.body).as_object()[r].as_array().empty()) << r;
  }
  auto report = f.api("/v2/reports/time/projects?from=20240101&to=20241230", token);  // 365 days
  ASSERT_EQ(report.status, 200) << report.body;
  EXPECT_FALSE(json::parse(report.body).as_object()["results"].as_array().empty());
  EXPECT_EQ(f.api("/v2/reports/time/projects", token).status, 422);
  // Harvest refuses a timeframe over a year: 2024 has 366 days.
  auto year = f.api("/v2/reports/time/projects?from=20240101&to=20241231", token);
  EXPECT_EQ(year.status, 400);
  EXPECT_NE(year.body.find("Invalid timeframe: must not exceed 1 year"), std::string::npos) << year.body;
  EXPECT_EQ(f.api("/v2/reports/time/projects?from=20240102&to=20240101", token).status, 400);

  auto created = f.call("POST", "/v2/time_entries",
                        {{"Authorization", "Bearer " + token}, {"Harvest-Account-Id", "3104001"}, {"User-Agent", "T (t@e.com)"},
                         {"Content-Type", "application/json"}},
                        R"({"project_id":14307900,"task_id":8083360,"spent_date":"2030-01-02","hours":1.5,"notes":"Hi \"there\""})");
  ASSERT_EQ(created.status, 201) << created.body;
  auto entry = json::parse(created.body).as_object();
  EXPECT_EQ(s(entry["notes"]), "Hi \"there\"");
  EXPECT_EQ(entry["hours"].as_double(), 1.5);
  auto first = json::parse(f.api("/v2/time_entries?per_page=1", token).body).as_object()["time_entries"].as_array()[0];
  EXPECT_EQ(first.at("id"), entry["id"]);
  auto missing = f.call("POST", "/v2/time_entries", {{"Authorization", "Bearer " + token}, {"Harvest-Account-Id", "3104001"}, {"User-Agent", "T"}},
                        "task_id=8083360&spent_date=2030-01-02");
  EXPECT_EQ(missing.status, 422);

  auto member = f.service.add_user("Mem", "Ber", "member@example.com", "pw", "member");
  auto member_token = f.service.create_personal_access_token(member.id);
  EXPECT_EQ(f.api("/v2/projects", member_token).status, 403);
  EXPECT_EQ(f.api("/v2/users/me", member_token).status, 200);
}

TEST(EmulatorApi, RateLimitsPerTokenWithRetryAfter) {
  auto o = small(10);
  o.rate_limits.general_window = std::chrono::seconds(15);
  Fixture f(o);
  auto a = f.service.create_personal_access_token();
  auto b = f.service.create_personal_access_token();
  for (int i = 0; i < 100; ++i) ASSERT_EQ(f.api("/v2/users/me", a).status, 200) << i;
  auto limited = f.api("/v2/users/me", a);
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(std::string(limited.headers.get("Retry-After").value_or("")), "15");
  EXPECT_EQ(f.api("/v2/users/me", b).status, 200) << "limits are per token";
  f.service.advance_clock(std::chrono::seconds(16));
  EXPECT_EQ(f.api("/v2/users/me", a).status, 200);
  EXPECT_EQ(f.service.counters()["rate_limited"], 1u);

  auto off = small(10);
  off.rate_limits.enabled = false;
  Fixture g(off);
  auto t = g.service.create_personal_access_token();
  for (int i = 0; i < 150; ++i) ASSERT_EQ(g.api("/v2/users/me", t).status, 200);
}

TEST(EmulatorFaults, ErrorsDropsTruncationAndLatency) {
  Fixture f;
  auto token = f.service.create_personal_access_token();
  Faults faults;
  faults.path_prefix = "/v2/";
  faults.error_next = 2;
  faults.error_status = 503;
  faults.retry_after_seconds = 3;
  f.service.set_faults(faults);
  auto e = f.api("/v2/users/me", token);
  EXPECT_EQ(e.status, 503);
  EXPECT_EQ(std::string(e.headers.get("Retry-After").value_or("")), "3");
  EXPECT_EQ(f.api("/v2/users/me", token).status, 503);
  EXPECT_EQ(f.api("/v2/users/me", token).status, 200);

  faults = {};
  faults.drop_next = 1;
  faults.truncate_next = 1;
  faults.page_latency = std::chrono::milliseconds(40);
  faults.latency = std::chrono::milliseconds(5);
  f.service.set_faults(faults);
  EXPECT_EQ(f.api("/v2/users/me", token).fault, ServerResponse::Fault::close_without_answer);
  auto t = f.api("/v2/time_entries", token);
  EXPECT_EQ(t.fault, ServerResponse::Fault::truncate_body);
  EXPECT_EQ(t.delay, std::chrono::milliseconds(45));
  EXPECT_EQ(f.api("/v2/users/me", token).delay, std::chrono::milliseconds(5));
  f.service.clear_faults();
  EXPECT_EQ(f.api("/v2/users/me", token).delay, std::chrono::milliseconds(0));
  auto c = f.service.counters();
  EXPECT_EQ(c["faults.errors"], 2u);
  EXPECT_EQ(c["faults.dropped"], 1u);
  EXPECT_EQ(c["faults.truncated"], 1u);
}

TEST(EmulatorLog, SecretsAreRedacted) {
  Fixture f;
  auto t = f.sign_in();
  const std::string access = s(t["access_token"]);
  (void)f.api("/v2/users/me?access_token=" + access + "&account_id=3104001", access);
  (void)f.call("GET", "/oauth2/authorize?client_id=" + f.app.client_id + "&response_type=code&state=secretstate");
  std::string all;
  for (const auto& e : f.service.request_log()) {
    all += e.method + " " + e.target + " " + e.body + "\n";
    for (const auto& [k, v] : e.headers) all += k + ": " + v + "\n";
  }
  EXPECT_EQ(all.find(access), std::string::npos);
  EXPECT_EQ(all.find(f.app.client_secret), std::string::npos);
  EXPECT_EQ(all.find("secretstate"), std::string::npos);
  EXPECT_EQ(all.find("3104001"), std::string::npos);
  EXPECT_NE(all.find("grant_type=authorization_code"), std::string::npos);
  EXPECT_NE(all.find("client_id=" + f.app.client_id), std::string::npos);
  EXPECT_NE(all.find("[redacted]"), std::string::npos);
}

TEST(EmulatorData, SameSeedSameRecords) {
  Fixture a(small(300)), b(small(300));
  auto ta = a.service.create_personal_access_token(), tb = b.service.create_personal_access_token();
  auto pa = a.api("/v2/time_entries?page=2&per_page=100", ta).body;
  EXPECT_EQ(pa, b.api("/v2/time_entries?page=2&per_page=100", tb).body);
  auto first = json::parse(pa).as_object()["time_entries"].as_array()[0].as_object();
  for (const char* k : {"id", "spent_date", "hours", "notes", "user", "client", "project", "task", "created_at", "updated_at",
                        "is_locked", "billable", "user_assignment", "task_assignment"})
    EXPECT_TRUE(first.contains(k)) << k;
}

}  // namespace

// HarvestClient against an in-process fake transport: headers, retries, 401 refresh,
// Retry-After, pagination. (The emulator tests cover the same over real HTTPS.)
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>

#include "harvest_connect/error.hpp"
#include "harvest_connect/harvest/client.hpp"
#include "harvest_connect/harvest/paginator.hpp"

using namespace std::chrono_literals;
using namespace harvest_connect;
using namespace harvest_connect::harvest;

namespace {

struct Seen {
  std::string method, target, authorization, account, user_agent, body;
};

class FakeTransport final : public Transport {
 public:
  using Handler = std::function<http::Response(const http::Request&, int call)>;
  explicit FakeTransport(Handler handler) : handler_(std::move(handler)) {}
  http::Response send(const http::Request& request, std::chrono::steady_clock::time_point) override {
    int call;
    {
      std::lock_guard lock(mutex_);
      call = static_cast<int>(seen.size());
      seen.push_back({request.method, request.target, std::string(request.headers.get("Authorization").value_or("")),
                      std::string(request.headers.get("Harvest-Account-Id").value_or("")),
                      std::string(request.headers.get("User-Agent").value_or("")), request.body});
    }
    return handler_(request, call);
  }
  std::mutex mutex_;
  std::vector<Seen> seen;

 private:
  Handler handler_;
};

class CountingTokens final : public TokenSource {
 public:
  AccessToken current() override {
    std::lock_guard lock(m);
    return {crypto::Secret::from_string(token), std::nullopt, generation};
  }
  std::optional<AccessToken> refresh_after_unauthorized(const AccessToken& rejected) override {
    std::lock_guard lock(m);
    if (rejected.generation == generation) {
      ++refreshes;
      ++generation;
      token = "token-" + std::to_string(generation);
    }
    return AccessToken{crypto::Secret::from_string(token), std::nullopt, generation};
  }
  bool refreshable() const noexcept override { return true; }
  std::mutex m;
  std::string token = "token-1";
  std::uint64_t generation = 1;
  int refreshes = 0;
};

http::Response answer(int status, std::string body = "{}") {
  http::Response r;
  r.status = status;
  r.body = std::move(body);
  r.headers.set("Content-Type", "application/json");
  return r;
}

ClientConfig config() {
  ClientConfig c;
  c.api_url = "https://api.example.test/v2";
  c.id_url = "https://id.example.test";
  c.account_id = crypto::Secret::from_string("123456");
  c.user_agent = "Tests (tests@example.com)";
  c.account_key = "fake-account";
  return c;
}

struct Sleeps {
  std::mutex m;
  std::vector<std::chrono::milliseconds> waits;
  ClientOptions options(bool rate_limits = false) {
    ClientOptions o;
    o.rate_limits.enabled = rate_limits;
    o.sleep = [this](std::chrono::milliseconds d) {
      std::lock_guard lock(m);
      waits.push_back(d);
    };
    return o;
  }
};

}  // namespace

TEST(HarvestClient, EveryRequestCarriesTheThreeHeadersAndTheTokenOnlyInOne) {
  auto transport = std::make_shared<FakeTransport>([](const http::Request&, int) { return answer(200, R"({"id":1})"); });
  Sleeps sleeps;
  HarvestClient client(config(), transport, std::make_shared<StaticTokenSource>(crypto::Secret::from_string("pat-xyz")),
                       sleeps.options());
  EXPECT_EQ(client.get("/users/me"), R"({"id":1})");
  (void)client.post("/time_entries", R"({"hours":1})");
  ASSERT_EQ(transport->seen.size(), 2u);
  for (const auto& s : transport->seen) {
    EXPECT_EQ(s.authorization, "Bearer pat-xyz");
    EXPECT_EQ(s.account, "123456");
    EXPECT_EQ(s.user_agent, "Tests (tests@example.com)");
    EXPECT_EQ(s.target.find("pat-xyz"), std::string::npos);
  }
  EXPECT_EQ(transport->seen[0].target, "https://api.example.test/v2/users/me");
  EXPECT_EQ(transport->seen[1].method, "POST");
  EXPECT_EQ(transport->seen[1].body, R"({"hours":1})");
}

TEST(HarvestClient, A401LeadsToOneRefreshAndSuccess) {
  auto transport = std::make_shared<FakeTransport>([](const http::Request& r, int) {
    if (r.headers.get("Authorization") == "Bearer token-1") {
      return answer(401, R"({"error":"invalid_token","error_description":"expired"})");
    }
    return answer(200, R"({"ok":true})");
  });
  auto tokens = std::make_shared<CountingTokens>();
  Sleeps sleeps;
  HarvestClient client(config(), transport, tokens, sleeps.options());
  EXPECT_EQ(client.get("/users/me"), R"({"ok":true})");
  EXPECT_EQ(tokens->refreshes, 1);
  EXPECT_EQ(transport->seen.size(), 2u);
  EXPECT_EQ(transport->seen[1].authorization, "Bearer token-2");
}

TEST(HarvestClient, ManyThreadsRefusedWithOneTokenRefreshOnce) {
  auto transport = std::make_shared<FakeTransport>([](const http::Request& r, int) {
    if (r.headers.get("Authorization") == "Bearer token-1") return answer(401, R"({"error":"invalid_token"})");
    return answer(200, "{}");
  });
  auto tokens = std::make_shared<CountingTokens>();
  Sleeps sleeps;
  HarvestClient client(config(), transport, tokens, sleeps.options());
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&] {
      try {
        (void)client.get("/users/me");
      } catch (...) {
        ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(tokens->refreshes, 1);
}

TEST(HarvestClient, A401WithAFreshTokenBlamesTheAccountHeader) {
  auto transport = std::make_shared<FakeTransport>(
      [](const http::Request&, int) { return answer(401, R"({"error":"invalid_token","error_description":"x"})"); });
  auto tokens = std::make_shared<CountingTokens>();
  Sleeps sleeps;
  HarvestClient client(config(), transport, tokens, sleeps.options());
  try {
    (void)client.get("/users/me");
    FAIL();
  } catch (const error& e) {
    EXPECT_EQ(e.kind(), errc::api_error);
    EXPECT_EQ(e.http_status(), 401);
    EXPECT_EQ(e.server_error(), "invalid_token");
    EXPECT_NE(std::string(e.what()).find("Harvest-Account-Id"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("token-"), std::string::npos) << e.what();
  }
  EXPECT_EQ(tokens->refreshes, 1);  // once, not in a loop
  EXPECT_EQ(transport->seen.size(), 2u);
}

TEST(HarvestClient, A5xxIsRetriedForGetNotForPost) {
  auto transport = std::make_shared<FakeTransport>([](const http::Request& r, int call) {
    if (r.method == "GET" && call < 2) return answer(503, R"({"message":"busy"})");
    if (r.method == "POST") return answer(500, R"({"message":"oops"})");
    return answer(200, R"({"ok":1})");
  });
  Sleeps sleeps;
  HarvestClient client(config(), transport, std::make_shared<StaticTokenSource>(crypto::Secret::from_string("t")),
                       sleeps.options());
  EXPECT_EQ(client.get("/users/me"), R"({"ok":1})");
  EXPECT_EQ(transport->seen.size(), 3u);
  EXPECT_EQ(sleeps.waits.size(), 2u);
  try {
    (void)client.post("/time_entries", "{}");
    FAIL();
  } catch (const error& e) {
    EXPECT_EQ(e.http_status(), 500);
    EXPECT_NE(std::string(e.what()).find("not retried"), std::string::npos) << e.what();
  }
  EXPECT_EQ(transport->seen.size(), 4u);  // one POST only
}

TEST(HarvestClient, DroppedConnectionsRetriedForGetOnly) {
  auto transport = std::make_shared<FakeTransport>([](const http::Request& r, int call) -> http::Response {
    if (r.method == "POST" || call == 0) throw error(errc::network_error, "the connection was closed before an answer");
    return answer(200, "{}");
  });
  Sleeps sleeps;
  HarvestClient client(config(), transport, std::make_shared<StaticTokenSource>(crypto::Secret::from_string("t")),
                       sleeps.options());
  EXPECT_EQ(client.get("/users/me"), "{}");
  EXPECT_EQ(transport->seen.size(), 2u);
  try {
    (void)client.post("/time_entries", "{}");
    FAIL();
  } catch (const error& e) {
    EXPECT_EQ(e.kind(), errc::network_error);
  }
  EXPECT_EQ(transport->seen.size(), 3u);
}

TEST(HarvestClient, RetryAfterIsHonoured) {
  auto transport = std::make_shared<FakeTransport>([](const http::Request&, int call) {
    if (call == 0) {
      auto r = answer(429, R"({"message":"slow down"})");
      r.headers.set("Retry-After", "7");
      return r;
    }
    return answer(200, "{}");
  });
  Sleeps sleeps;
  HarvestClient client(config(), transport, std::make_shared<StaticTokenSource>(crypto::Secret::from_string("t")),
                       sleeps.options());
  EXPECT_EQ(client.get("/users/me"), "{}");
  ASSERT_EQ(sleeps.waits.size(), 1u);
  EXPECT_EQ(sleeps.waits[0], 7000ms);
}

TEST(HarvestClient, RateLimitedWhenRetryAfterPassesTheDeadline) {
  auto transport = std::make_shared<FakeTransport>([](const http::Request&, int) {
    auto r = answer(429, "{}");
    r.headers.set("Retry-After", "900");
    return r;
  });
  Sleeps sleeps;
  HarvestClient client(config(), transport, std::make_shared<StaticTokenSource>(crypto::Secret::from_string("t")),
                       sleeps.options());
  try {
    (void)client.get("/reports/time/clients");
    FAIL();
  } catch (const error& e) {
    EXPECT_EQ(e.kind(), errc::rate_limited);
    EXPECT_EQ(e.retry_after(), 900.0);
  }
}

namespace {

// Real Harvest 429s may come with an empty text/html body and no Retry-After (HARVEST.md §16).
http::Response bare_429() {
  http::Response r;
  r.status = 429;
  r.headers.set("Content-Type", "text/html");
  return r;
}

// A server that would make the client loop stops the test instead of hanging it.
void stop_runaway(int call) {
  if (call >= 50) throw error(errc::internal_error, "the client kept retrying: 50 requests for one call");
}

// A server answering every request with a bare 429 carrying this Retry-After.
std::shared_ptr<FakeTransport> always_429_with_retry_after(std::string retry_after) {
  return std::make_shared<FakeTransport>([retry_after](const http::Request&, int call) {
    stop_runaway(call);
    auto r = bare_429();
    r.headers.set("Retry-After", retry_after);
    return r;
  });
}

}  // namespace

TEST(HarvestClient, A429WithoutRetryAfterWaitsTheRateWindow) {
  auto transport = std::make_shared<FakeTransport>([](const http::Request&, int call) {
    return call == 0 ? bare_429() : answer(200, "{}");
  });
  Sleeps sleeps;
  HarvestClient client(config(), transport, std::make_shared<StaticTokenSource>(crypto::Secret::from_string("t")),
                       sleeps.options());
  EXPECT_EQ(client.get("/users/me"), "{}");
  ASSERT_EQ(sleeps.waits.size(), 1u);
  EXPECT_EQ(sleeps.waits[0], 15s);  // the general window, not a quick retry
}

TEST(HarvestClient, A429WithoutRetryAfterOnReportsRaisesRateLimitedWithTheWindow) {
  auto transport = std::make_shared<FakeTransport>([](const http::Request&, int call) {
    stop_runaway(call);
    return bare_429();
  });
  Sleeps sleeps;
  auto options = sleeps.options();
  options.retry.deadline = 120s;  // shorter than the reports window of 15 min
  HarvestClient client(config(), transport, std::make_shared<StaticTokenSource>(crypto::Secret::from_string("t")),
                       options);
  try {
    (void)client.get("/v2/reports/time/clients");
    FAIL();
  } catch (const error& e) {
    EXPECT_EQ(e.kind(), errc::rate_limited);
    EXPECT_EQ(e.retry_after(), 900.0);
    EXPECT_NE(std::string(e.what()).find("without Retry-After"), std::string::npos) << e.what();
  }
  EXPECT_EQ(transport->seen.size(), 1u);
  EXPECT_TRUE(sleeps.waits.empty());
}

TEST(HarvestClient, AHugeRetryAfterEndsTheCallWithoutLimiter) {
  auto transport = always_429_with_retry_after("10000000000000000");
  Sleeps sleeps;
  HarvestClient client(config(), transport, std::make_shared<StaticTokenSource>(crypto::Secret::from_string("t")),
                       sleeps.options());
  try {
    (void)client.get("/users/me");
    FAIL();
  } catch (const error& e) {
    EXPECT_EQ(e.kind(), errc::rate_limited) << e.what();
    EXPECT_EQ(e.retry_after(), 86400.0);
  }
  EXPECT_EQ(transport->seen.size(), 1u);
  EXPECT_TRUE(sleeps.waits.empty());
}

TEST(HarvestClient, AHugeRetryAfterEndsTheCallWithTheLimiter) {
  auto transport = always_429_with_retry_after("10000000000000000");
  Sleeps sleeps;
  auto cfg = config();
  cfg.account_key = "huge-retry-after-account";
  HarvestClient client(cfg, transport, std::make_shared<StaticTokenSource>(crypto::Secret::from_string("t")),
                       sleeps.options(true));
  try {
    (void)client.get("/users/me");
    FAIL();
  } catch (const error& e) {
    EXPECT_EQ(e.kind(), errc::rate_limited) << e.what();
  }
  EXPECT_EQ(transport->seen.size(), 1u);
}

TEST(HarvestClient, EndlessRetryAfterZeroIsCappedInAttempts) {
  auto transport = always_429_with_retry_after("0");
  Sleeps sleeps;
  HarvestClient client(config(), transport, std::make_shared<StaticTokenSource>(crypto::Secret::from_string("t")),
                       sleeps.options());
  try {
    (void)client.get("/users/me");
    FAIL();
  } catch (const error& e) {
    EXPECT_EQ(e.kind(), errc::rate_limited) << e.what();
    EXPECT_NE(std::string(e.what()).find("10 times"), std::string::npos) << e.what();
  }
  EXPECT_EQ(transport->seen.size(), RetryPolicy{}.max_rate_limited_attempts);
}

TEST(HarvestClient, ClientErrorsCarryHarvestsMessage) {
  auto transport = std::make_shared<FakeTransport>(
      [](const http::Request&, int) { return answer(422, R"({"message":"per_page must be at most 2000"})"); });
  Sleeps sleeps;
  HarvestClient client(config(), transport, std::make_shared<StaticTokenSource>(crypto::Secret::from_string("t")),
                       sleeps.options());
  try {
    (void)client.get("/time_entries", {{"per_page", "5000"}});
    FAIL();
  } catch (const error& e) {
    EXPECT_EQ(e.http_status(), 422);
    EXPECT_NE(std::string(e.what()).find("per_page must be at most 2000"), std::string::npos) << e.what();
    EXPECT_NE(e.body().find("per_page"), std::string::npos);
  }
  EXPECT_EQ(transport->seen.size(), 1u);
}

namespace {
// Five pages of three records each, page style then cursor style.
http::Response page_answer(const http::Request& r, int) {
  const std::string& t = r.target;
  int page = 1;
  if (auto pos = t.find("page="); pos != std::string::npos && t[pos - 1] != '_') page = t[pos + 5] - '0';
  if (auto pos = t.find("cursor="); pos != std::string::npos) page = t[pos + 7] - '0';
  std::string records;
  for (int i = 0; i < 3; ++i) {
    if (i) records += ',';
    records += R"({"id":)" + std::to_string(page * 10 + i) + R"(,"hours":1.25})";
  }
  std::string next = "null";
  if (page < 3) next = "\"https://api.example.test/v2/time_entries?page=" + std::to_string(page + 1) + "&per_page=3\"";
  else if (page < 5) next = "\"https://api.example.test/v2/time_entries?cursor=" + std::to_string(page + 1) + "\"";
  return answer(200, R"({"time_entries":[)" + records + R"(],"total_entries":15,"links":{"next":)" + next + "}}");
}
}  // namespace

namespace {
// A client for the pagination tests: no rate limits, `prefetch` pages fetched ahead, sleeps
// recorded in `sleeps` (which must outlive it).
HarvestClient paging_client(std::shared_ptr<Transport> transport, unsigned prefetch, Sleeps& sleeps) {
  auto options = sleeps.options();
  options.prefetch_pages = prefetch;
  return HarvestClient(config(), std::move(transport),
                       std::make_shared<StaticTokenSource>(crypto::Secret::from_string("t")), options);
}
}  // namespace

TEST(HarvestClient, PaginateFollowsLinksNextPageAndCursorStyle) {
  for (unsigned prefetch : {0u, 1u}) {
    auto transport = std::make_shared<FakeTransport>(page_answer);
    Sleeps sleeps;
    HarvestClient client = paging_client(transport, prefetch, sleeps);
    auto pages = client.paginate("/v2/time_entries", {{"per_page", "3"}});
    std::vector<std::string> ids;
    while (auto page = pages.next()) {
      EXPECT_EQ(page->page.resource, "time_entries");
      for (auto record : page->page.records) ids.emplace_back(record.substr(6, 2));
    }
    EXPECT_EQ(pages.next(), nullptr);
    ASSERT_EQ(ids.size(), 15u) << prefetch;
    EXPECT_EQ(ids.front(), "10");
    EXPECT_EQ(ids.back(), "52");
    EXPECT_EQ(pages.pages_seen(), 5u);
    EXPECT_EQ(pages.total_entries(), 15);
    EXPECT_EQ(transport->seen.size(), 5u);
  }
}

namespace {
// Six numbered pages of two records each, with total_pages; `skip_from_two` makes page 2 link
// to page 5 (so that pages requested ahead by number turn out to be the wrong ones).
http::Response numbered_page(const http::Request& r, bool skip_from_two) {
  const std::string& t = r.target;
  auto pos = t.find("?page=");
  if (pos == std::string::npos) pos = t.find("&page=");
  const int page = pos == std::string::npos ? 1 : t[pos + 6] - '0';
  std::string records = R"({"id":)" + std::to_string(page * 10) + R"(},{"id":)" + std::to_string(page * 10 + 1) + "}";
  int next = page < 6 ? page + 1 : 0;
  if (skip_from_two && page == 2) next = 5;
  const std::string link =
      next ? "\"https://api.example.test/v2/time_entries?per_page=2&page=" + std::to_string(next) + "\"" : "null";
  return answer(200, R"({"time_entries":[)" + records + R"(],"total_pages":6,"total_entries":12,"page":)" +
                         std::to_string(page) + R"(,"links":{"next":)" + link + "}}");
}

std::vector<std::string> page_ids(Paginator& pages) {
  std::vector<std::string> ids;
  while (auto page = pages.next())
    for (auto record : page->page.records) ids.emplace_back(record.substr(6, 2));
  return ids;
}
}  // namespace

// The bodies of pages the caller has let go of are lent to the pages still to come, so a long
// walk does not allocate (and fault in) a fresh multi-megabyte buffer per page; with numbered
// pages several fetches run at once and share the spares.
TEST(HarvestClient, PaginateLendsFinishedBodiesToLaterPages) {
  class LendingTransport final : public Transport {
   public:
    http::Response send(const http::Request& request, std::chrono::steady_clock::time_point) override {
      return send_into(request, {}, std::string());
    }
    http::Response send_into(const http::Request& request, std::chrono::steady_clock::time_point,
                             std::string body_buffer) override {
      auto res = numbered_page(request, false);
      const bool fits = body_buffer.capacity() >= res.body.size();
      body_buffer.assign(res.body);
      res.body = std::move(body_buffer);
      std::lock_guard lock(mutex);
      const std::string& t = request.target;
      auto pos = t.find("?page=");
      if (pos == std::string::npos) pos = t.find("&page=");
      lent.emplace_back(pos == std::string::npos ? "page=1" : t.substr(pos + 1, 6), fits);
      return res;
    }
    std::mutex mutex;
    std::vector<std::pair<std::string, bool>> lent;  // (page=N, the buffer fitted), as answered
  };
  for (unsigned prefetch : {0u, 1u, 3u}) {
    auto transport = std::make_shared<LendingTransport>();
    Sleeps sleeps;
    HarvestClient client = paging_client(transport, prefetch, sleeps);
    auto pages = client.paginate("/v2/time_entries", {{"per_page", "2"}});
    const auto ids = page_ids(pages);
    ASSERT_EQ(ids.size(), 12u) << prefetch;
    EXPECT_EQ(ids.front(), "10");
    EXPECT_EQ(ids.back(), "61");
    std::lock_guard lock(transport->mutex);
    ASSERT_EQ(transport->lent.size(), 6u) << prefetch;
    // The first page starts without memory: nothing has been let go of yet. Fetched on the
    // caller's thread (no prefetch), every later page gets the memory of the one before. With
    // fetches running ahead on their own threads, which page gets which memory is a race, but
    // the pages requested after the first release find some.
    std::map<std::string, bool> fitted(transport->lent.begin(), transport->lent.end());
    ASSERT_EQ(fitted.size(), 6u) << prefetch;
    EXPECT_FALSE(fitted.at("page=1")) << prefetch;
    const auto fitting = std::count_if(fitted.begin(), fitted.end(), [](const auto& p) { return p.second; });
    if (prefetch == 0) {
      EXPECT_EQ(fitting, 5) << prefetch;
    } else {
      EXPECT_GE(fitting, 1) << prefetch;
    }
  }
}

TEST(HarvestClient, PaginateRequestsNumberedPagesAheadInOrder) {
  for (unsigned prefetch : {0u, 1u, 2u, 4u, 8u}) {
    auto transport = std::make_shared<FakeTransport>([](const http::Request& r, int) { return numbered_page(r, false); });
    Sleeps sleeps;
    HarvestClient client = paging_client(transport, prefetch, sleeps);
    auto pages = client.paginate("/v2/time_entries", {{"per_page", "2"}});
    const auto ids = page_ids(pages);
    ASSERT_EQ(ids.size(), 12u) << prefetch;
    for (std::size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(ids[i], std::to_string((i / 2 + 1) * 10 + i % 2)) << prefetch;
    EXPECT_EQ(transport->seen.size(), 6u) << "no page is requested twice or past the last, prefetch " << prefetch;
  }
}

TEST(HarvestClient, PaginateDropsPagesRequestedAheadWhenTheLinkSaysOtherwise) {
  for (unsigned prefetch : {1u, 3u}) {
    auto transport = std::make_shared<FakeTransport>([](const http::Request& r, int) { return numbered_page(r, true); });
    Sleeps sleeps;
    HarvestClient client = paging_client(transport, prefetch, sleeps);
    auto pages = client.paginate("/v2/time_entries", {{"per_page", "2"}});
    const auto ids = page_ids(pages);
    EXPECT_EQ(ids, (std::vector<std::string>{"10", "11", "20", "21", "50", "51", "60", "61"})) << prefetch;
  }
}

TEST(HarvestClient, PaginateRefusesALinkToAnotherHost) {
  auto transport = std::make_shared<FakeTransport>([](const http::Request&, int) {
    return answer(200, R"({"users":[{"id":1}],"links":{"next":"https://evil.example/v2/users?page=2"}})");
  });
  Sleeps sleeps;
  HarvestClient client(config(), transport, std::make_shared<StaticTokenSource>(crypto::Secret::from_string("t")),
                       sleeps.options());
  auto pages = client.paginate("/users");
  ASSERT_NE(pages.next(), nullptr);
  try {
    (void)pages.next();
    FAIL();
  } catch (const error& e) {
    EXPECT_EQ(e.kind(), errc::validation_failed);
  }
  EXPECT_EQ(transport->seen.size(), 1u);
}

TEST(HarvestClient, RequestsPassTheSharedLimiter) {
  auto transport = std::make_shared<FakeTransport>([](const http::Request&, int) { return answer(200, "{}"); });
  Sleeps sleeps;
  auto options = sleeps.options(true);
  options.rate_limits.general = RateLimit{1000, std::chrono::milliseconds(60'000)};
  auto cfg = config();
  cfg.account_key = "limiter-test-account";
  HarvestClient a(cfg, transport, std::make_shared<StaticTokenSource>(crypto::Secret::from_string("t")), options);
  HarvestClient b(cfg, transport, std::make_shared<StaticTokenSource>(crypto::Secret::from_string("t")), options);
  for (int i = 0; i < 3; ++i) (void)a.get("/users/me");
  for (int i = 0; i < 2; ++i) (void)b.get("/users/me");
  auto limiter = RateLimiter::shared("limiter-test-account", options.rate_limits.general);
  EXPECT_EQ(limiter->used(RateLimiter::clock::now()), 5u);
}

#include <filesystem>
#include <fstream>

#include "harvest_connect/harvest/export.hpp"

TEST(HarvestClient, ExportWritesOneRecordPerLineAsSent) {
  auto transport = std::make_shared<FakeTransport>(page_answer);
  Sleeps sleeps;
  HarvestClient client(config(), transport, std::make_shared<StaticTokenSource>(crypto::Secret::from_string("t")),
                       sleeps.options());
  const auto dir = std::filesystem::temp_directory_path() / ("hc-export-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto file = dir / "entries.jsonl";
  std::vector<std::uint64_t> progress;
  const auto n = export_jsonl(client, "/time_entries", {}, file, [&](const ExportProgress& p) {
    progress.push_back(p.records);
    EXPECT_EQ(p.total_entries, 15);
  });
  EXPECT_EQ(n, 15u);
  EXPECT_EQ(progress, (std::vector<std::uint64_t>{3, 6, 9, 12, 15}));
  std::ifstream in(file);
  std::string line;
  std::vector<std::string> lines;
  while (std::getline(in, line)) lines.push_back(line);
  ASSERT_EQ(lines.size(), 15u);
  EXPECT_EQ(lines[0], R"({"id":10,"hours":1.25})");
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), std::filesystem::directory_iterator{}), 1);
  std::filesystem::remove_all(dir);
}

// Issue 12 §6: a server (or proxy) that indents its JSON still gives one valid JSON value per
// line; only the whitespace between tokens goes, every string and number keeps its bytes.
TEST(HarvestClient, ExportWritesOneLinePerRecordEvenWhenTheServerIndents) {
  const std::string body =
      "{\n  \"time_entries\": [\n    {\n      \"id\": 1,\n      \"notes\": \"a  b \\\"q\\\" \\\\\",\n"
      "      \"hours\": 1.50,\r\n\t\"tags\": [ 1 , 2 ],\n      \"empty\": { }\n    },\n"
      "    {\"id\":2,\"notes\":\"x\\ny \\\\\\\"\"}\n  ],\n  \"total_entries\": 2,\n  \"links\": {\"next\": null}\n}\n";
  auto transport = std::make_shared<FakeTransport>([&](const http::Request&, int) { return answer(200, body); });
  Sleeps sleeps;
  HarvestClient client(config(), transport, std::make_shared<StaticTokenSource>(crypto::Secret::from_string("t")),
                       sleeps.options());
  const auto dir = std::filesystem::temp_directory_path() / ("hc-export-indent-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto file = dir / "entries.jsonl";
  EXPECT_EQ(export_jsonl(client, "/time_entries", {}, file), 2u);
  std::ifstream in(file);
  std::string line;
  std::vector<std::string> lines;
  while (std::getline(in, line)) lines.push_back(line);
  std::filesystem::remove_all(dir);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], R"({"id":1,"notes":"a  b \"q\" \\","hours":1.50,"tags":[1,2],"empty":{}})");
  EXPECT_EQ(lines[1], R"({"id":2,"notes":"x\ny \\\""})");
  for (const auto& l : lines) {
    boost::json::error_code ec;
    (void)boost::json::parse(l, ec);
    EXPECT_FALSE(ec) << l;
  }
}

#include "harvest_connect/harvest/connection_test.hpp"

TEST(HarvestClient, PingReportsTheUserOrWhatWentWrong) {
  auto transport = std::make_shared<FakeTransport>([](const http::Request& r, int) {
    if (r.headers.get("Authorization") == "Bearer good") {
      return answer(200, R"({"id":7,"first_name":"Ada","last_name":"Lovelace","email":"ada@example.com"})");
    }
    return answer(401, R"({"error":"invalid_token","error_description":"..."})");
  });
  Sleeps sleeps;
  HarvestClient good(config(), transport, std::make_shared<StaticTokenSource>(crypto::Secret::from_string("good")),
                     sleeps.options());
  auto result = ping(good);
  EXPECT_TRUE(result.ok);
  EXPECT_EQ(result.status_code, 200);
  EXPECT_EQ(result.user, "Ada Lovelace");
  HarvestClient bad(config(), transport, std::make_shared<StaticTokenSource>(crypto::Secret::from_string("bad")),
                    sleeps.options());
  result = ping(bad);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.status_code, 401);
  EXPECT_NE(result.message.find("Harvest-Account-Id"), std::string::npos) << result.message;
  EXPECT_EQ(result.message.find("bad"), std::string::npos) << result.message;
}

#pragma once
// The Harvest emulator's state (emulator_service.hpp): accounts, users and their seeded data,
// OAuth apps, codes and tokens, rate-limit windows, faults, the request log and counters,
// behind one mutex. Its request handling is split by concern:
//   emulator_id_service.cpp  the ID service: authorize (consent page), token endpoint, accounts
//   emulator_api.cpp         API v2: bearer tokens, account header, rate limits, the endpoints
//   emulator_dispatch.cpp    routing, injected faults and the redacted request log
//   emulator_service.cpp     the public EmulatorService, which locks and delegates here

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "harvest_connect/testing/emulator_service.hpp"
#include "http/detail/text.hpp"
#include "testing/detail/dataset.hpp"
#include "testing/detail/emulator_http.hpp"

namespace harvest_connect::testing {
namespace detail {

using Clock = std::chrono::steady_clock;

constexpr std::size_t max_per_page = 2000;

// The parameters of an authorization request, as received (redirect_uri empty when absent).
struct AuthRequest {
  std::string client_id, response_type, redirect_uri, state, scope, code_challenge, code_challenge_method;

  static AuthRequest from(const Params& p) {
    return {p.value("client_id"),    p.value("response_type"),  p.value("redirect_uri"),         p.value("state"),
            p.value("scope"),        p.value("code_challenge"), p.value("code_challenge_method")};
  }
};

struct AuthCode {
  std::string client_id;
  std::uint64_t user_id = 0;
  std::string redirect_uri;  // as given at authorize time; empty when none was given
  std::string scope;
  std::string challenge, challenge_method;
  Clock::time_point expires;
  bool used = false;
  std::vector<std::string> access_tokens, refresh_tokens;  // issued from it, revoked on reuse
};

struct AccessToken {
  std::uint64_t user_id = 0;
  std::string client_id;  // empty for a personal access token
  std::string scope;
  std::optional<Clock::time_point> expires;  // none: never
};

struct RefreshToken {
  std::uint64_t user_id = 0;
  std::string client_id;
  std::string scope;
};

struct PageParams {
  std::size_t per_page = max_per_page;
  std::size_t page = 1;
  bool cursor_mode = false;
  std::optional<std::uint64_t> after_id, before_id;
};

struct Outcome {
  http::ServerResponse response;
  bool paginated = false;
};

}  // namespace detail

struct EmulatorService::impl {
  using Clock = detail::Clock;
  using AccessToken = detail::AccessToken;
  using AuthCode = detail::AuthCode;
  using AuthRequest = detail::AuthRequest;
  using Dataset = detail::Dataset;
  using Outcome = detail::Outcome;
  using PageParams = detail::PageParams;
  using Params = detail::Params;
  using RefreshToken = detail::RefreshToken;
  using UserRecord = detail::UserRecord;

  EmulatorOptions options;
  mutable std::mutex mutex;
  std::string base_url = "http://127.0.0.1";
  Dataset data;
  std::vector<EmulatorAccount> accounts;
  std::uint64_t default_account = 3'104'001;
  std::uint64_t default_forecast = 3'104'002;
  std::uint64_t next_account_id = 3'104'003;
  std::map<std::string, OAuthApp> apps;  // by client_id
  std::unordered_map<std::string, AuthCode> codes;
  std::unordered_map<std::string, AccessToken> access_tokens;
  std::unordered_map<std::string, RefreshToken> refresh_tokens;
  std::unordered_map<std::string, std::deque<Clock::time_point>> general_hits, report_hits;
  Faults faults;
  std::mt19937_64 fault_rng;
  std::deque<RequestLogEntry> log;
  std::map<std::string, std::uint64_t> counters;
  std::chrono::milliseconds skew{0};

  explicit impl(EmulatorOptions o) : options(std::move(o)), data(options.data), fault_rng(options.data.seed) {
    accounts.push_back({default_account, "Emulated Company", "harvest"});
    accounts.push_back({default_forecast, "Emulated Company", "forecast"});
    for (std::size_t i = 0; i < data.users.size(); ++i) {
      data.users[i].account_ids = {default_account};
      if (i == 0) data.users[i].account_ids.push_back(default_forecast);
    }
    for (const char* name : {"requests", "api_requests", "token_requests", "token_requests.authorization_code",
                             "token_requests.refresh_token", "token_errors", "rate_limited", "codes_issued",
                             "faults.dropped", "faults.errors", "faults.truncated"})
      counters[name] = 0;
  }

  [[nodiscard]] Clock::time_point now() const { return Clock::now() + skew; }
  [[nodiscard]] std::int64_t wall_now() const {
    return std::chrono::duration_cast<std::chrono::seconds>(
               (std::chrono::system_clock::now() + skew).time_since_epoch())
        .count();
  }
  [[nodiscard]] std::string api_url() const { return base_url + "/v2"; }

  UserRecord* user_by_id(std::uint64_t id) {
    for (auto& u : data.users)
      if (u.id == id) return &u;
    return nullptr;
  }
  UserRecord* user_by_email(std::string_view email) {
    for (auto& u : data.users)
      if (http::detail::iequals(u.email, email)) return &u;
    return nullptr;
  }
  const EmulatorAccount* account(std::uint64_t id) const {
    for (const auto& a : accounts)
      if (a.id == id) return &a;
    return nullptr;
  }
  std::uint32_t user_index(const UserRecord& u) const {
    return static_cast<std::uint32_t>(&u - data.users.data());
  }

  static EmulatorUser public_user(const UserRecord& u) {
    return {u.id, u.first_name, u.last_name, u.email, u.password, u.role, u.account_ids};
  }

  // ---- ID service: authorization -------------------------------------------------------

  // Problems Harvest shows as an error page rather than a redirect; empty when none.
  std::string check_client(const AuthRequest& a, const OAuthApp*& app) const;
  static std::string redirect_with(const std::string& target, const std::vector<std::pair<std::string, std::string>>& params);
  // Problems that go back to the client as ?error=…; empty when none.
  static std::string redirect_error(const AuthRequest& a);
  std::string scope_for(const OAuthApp& app, const UserRecord& user, std::uint64_t account_id) const;
  std::uint64_t first_harvest_account(const UserRecord& user) const;
  // The redirect after the user's decision (the request was checked already).
  std::string decide(const AuthRequest& a, const OAuthApp& app, const UserRecord* user, std::uint64_t account_id,
                     bool allow);
  std::string consent_page(const AuthRequest& a, const OAuthApp& app, std::string_view problem,
                           std::string_view email) const;
  http::ServerResponse authorize_get(const Params& q);
  static http::ServerResponse redirect(const std::string& location);
  http::ServerResponse authorize_post(const Params& form);
  std::string approve(const std::string& url, const std::string& email, const std::string& password,
                      std::uint64_t account_id, bool allow);

  // ---- ID service: token endpoint -------------------------------------------------------

  http::ServerResponse issue_tokens(std::uint64_t user_id, const std::string& client_id, const std::string& scope,
                                    const std::string& refresh, AuthCode* code);
  std::string new_refresh_token(std::uint64_t user_id, const std::string& client_id, const std::string& scope);
  http::ServerResponse token(const http::ServerRequest& req);
  http::ServerResponse token_inner(const http::ServerRequest& req);
  static http::ServerResponse invalid_client(bool basic);
  static http::ServerResponse invalid_grant();
  // GET /api/v2/accounts: the user and the accounts the token reaches.
  http::ServerResponse accounts_endpoint(const http::ServerRequest& req, const Params& q);

  // ---- Bearer tokens, account header, rate limits ------------------------------------------

  // The token's record when the request carries a valid one (header or access_token query).
  const AccessToken* bearer(const http::ServerRequest& req, const Params& q, std::string& value) const;
  static bool scope_allows(std::string_view scope, std::uint64_t account_id);
  // Retry-After seconds when the token is over its limit; 0 when the request may go on.
  long rate_limit(const std::string& token, bool reports);
  static bool has_user_agent(const http::ServerRequest& req);
  static http::ServerResponse missing_user_agent();

  // ---- API v2 -----------------------------------------------------------------------------

  Outcome api(const http::ServerRequest& req, std::string_view path, const Params& q);
  std::string company_json(const EmulatorAccount& acc) const;
  // page/per_page/cursor; an error answer (422) when they are invalid.
  std::optional<http::ServerResponse> page_params(const Params& q, PageParams& pp) const;
  std::string link(std::string_view resource, const Params& q, const std::vector<std::pair<std::string, std::string>>& paging,
                   std::string_view ref = {}) const;
  static std::string cursor(std::string_view direction, std::uint64_t id);
  // Writes `key`: the page of `items` (in list order) and Harvest's pagination fields.
  // position(id) gives the index of the item with that id in `items`, or items.size().
  template <class Append, class IdOf, class Position>
  http::ServerResponse page_answer(std::string_view key, std::string_view resource, const Params& q,
                                   const PageParams& pp, std::size_t total, bool cursor_default, Append append,
                                   IdOf id_of, Position position) const;
  Outcome time_entries(const Params& q, const UserRecord& user);
  http::ServerResponse create_time_entry(const http::ServerRequest& req, const UserRecord& user);
  Outcome simple_list(std::string_view resource, const Params& q);
  Outcome project_report(const Params& q);

  // ---- dispatch, faults, log --------------------------------------------------------------

  Outcome route(const http::ServerRequest& req);
  bool draw(unsigned& next, double rate);
  static std::string redact_query(std::string_view encoded);
  static std::string redact_target(std::string_view target);
  static std::string redact_body(const http::ServerRequest& req);
  void record(const http::ServerRequest& req, int status, std::string fault);
  http::ServerResponse handle(const http::ServerRequest& req);
};

}  // namespace harvest_connect::testing

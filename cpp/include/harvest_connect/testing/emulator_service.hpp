#pragma once
// The Harvest emulator's logic without sockets: the ID service (consent page, token endpoint,
// /api/v2/accounts) and an API v2 subset over seeded data, as one request handler. Emulator
// (emulator.hpp) puts it behind an HTTP(S) server; tests may also call handle() directly.
//
// Every method is safe to call from several threads at once.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "harvest_connect/http/server.hpp"
#include "harvest_connect/testing/emulator_options.hpp"

namespace harvest_connect::testing {

// An OAuth application as Harvest's developer page shows it once: the secret included.
struct OAuthApp {
  std::string name;
  std::string client_id;
  std::string client_secret;
  std::string redirect_url;
  bool multi_account = false;  // scope harvest:all (or all with forecast) instead of harvest:ID
  bool forecast = false;       // the app also asks for Forecast
};

struct EmulatorUser {
  std::uint64_t id = 0;
  std::string first_name;
  std::string last_name;
  std::string email;
  std::string password;  // the emulator's sign-in password (not a real secret)
  std::string role;      // "administrator", "manager" or "member"
  std::vector<std::uint64_t> account_ids;
};

struct EmulatorAccount {
  std::uint64_t id = 0;
  std::string name;
  std::string product;  // "harvest" or "forecast"
};

// One request as the emulator saw it, secrets replaced by "[redacted]": the Authorization
// and Harvest-Account-Id values, and codes, tokens, secrets, state, passwords and account
// ids in the query or a form/JSON body.
struct RequestLogEntry {
  std::string method;
  std::string target;  // path and redacted query
  int status = 0;      // 0 when the connection was dropped on purpose
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string fault;  // "", "dropped", "error", "truncated"
};

class EmulatorService {
 public:
  explicit EmulatorService(EmulatorOptions options = {});
  ~EmulatorService();
  EmulatorService(const EmulatorService&) = delete;
  EmulatorService& operator=(const EmulatorService&) = delete;

  // Where it is reachable, e.g. "https://127.0.0.1:PORT"; links in answers are built on it.
  // id_url() is that base, api_url() is base + "/v2".
  void set_base_url(const std::string& base_url);
  [[nodiscard]] std::string id_url() const;
  [[nodiscard]] std::string api_url() const;

  // Answers one request (faults included).
  [[nodiscard]] http::ServerResponse handle(const http::ServerRequest& request);

  // Registers an OAuth app; redirect_url must be an absolute http(s) URL.
  OAuthApp register_app(const std::string& name, const std::string& redirect_url, bool multi_account = false,
                        bool forecast = false);
  // Adds a user (a Harvest ID identity and a member of the accounts given; of the
  // default Harvest and Forecast accounts when none are given).
  EmulatorUser add_user(const std::string& first_name, const std::string& last_name, const std::string& email,
                        const std::string& password, const std::string& role = "administrator",
                        const std::vector<std::uint64_t>& account_ids = {});
  // Adds an account and gives the users listed (the default user when none) access to it.
  EmulatorAccount add_account(const std::string& name, const std::string& product = "harvest",
                              const std::vector<std::uint64_t>& user_ids = {});
  [[nodiscard]] EmulatorUser default_user() const;
  [[nodiscard]] std::vector<EmulatorAccount> accounts() const;
  [[nodiscard]] std::uint64_t default_account_id() const;

  // What the consent form does, without a browser: signs in (the default user unless an
  // email is given), authorizes and returns the URL Harvest would redirect to.
  // account_id 0: the user's first Harvest account. Throws errc::authorization_failed for
  // what Harvest would show as an error page (unknown client, foreign redirect_uri...).
  [[nodiscard]] std::string approve(const std::string& authorization_url, const std::string& email = {},
                                    const std::string& password = {}, std::uint64_t account_id = 0);
  [[nodiscard]] std::string deny(const std::string& authorization_url);

  // A personal access token (scope "all", no expiry) of that user (0: the default user).
  [[nodiscard]] std::string create_personal_access_token(std::uint64_t user_id = 0);
  // Every access token issued so far expires now (refresh tokens keep working).
  void expire_tokens();
  // Moves the emulator's clock forward (code and token expiry, rate-limit windows), so that
  // tests need not sleep.
  void advance_clock(std::chrono::milliseconds by);

  void set_faults(const Faults& faults);
  void clear_faults();

  [[nodiscard]] std::vector<RequestLogEntry> request_log() const;
  void clear_request_log();
  // Counters by name: requests, api_requests, token_requests, token_requests.authorization_code,
  // token_requests.refresh_token, token_errors, rate_limited, codes_issued, faults.dropped,
  // faults.errors, faults.truncated.
  [[nodiscard]] std::map<std::string, std::uint64_t> counters() const;
  [[nodiscard]] std::size_t time_entry_count() const;
  // Changes a time entry as an edit in Harvest would: the fields given, and updated_at set to
  // `updated_at` (Unix seconds; the emulator's clock when not given), so that tests of
  // updated_since can place edits in a chosen second. errc::not_found for an unknown id.
  void update_time_entry(std::uint64_t id, const std::optional<std::string>& notes = std::nullopt,
                         std::optional<double> hours = std::nullopt,
                         std::optional<std::int64_t> updated_at = std::nullopt);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace harvest_connect::testing

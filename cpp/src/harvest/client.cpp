#include "harvest_connect/harvest/client.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <mutex>
#include <boost/json.hpp>
#include <random>
#include <thread>

#include "harvest_connect/crypto/encoding.hpp"
#include "harvest_connect/error.hpp"
#include "harvest_connect/harvest/paginator.hpp"
#include "harvest_connect/harvest/store_rate_limiter.hpp"
#include "harvest_connect/harvest/unauthorized.hpp"
#include "harvest_connect/http/url.hpp"
#include "crypto/detail/digest.hpp"

namespace harvest_connect::harvest {

namespace json = boost::json;
using steady = std::chrono::steady_clock;

struct HarvestClient::State {
  ClientConfig config;
  std::shared_ptr<Transport> transport;
  std::shared_ptr<TokenSource> tokens;
  ClientOptions options;
  std::shared_ptr<RateLimiter> general;
  std::shared_ptr<RateLimiter> reports;
  // With a store: the same limits as one budget shared with every process using the store.
  std::shared_ptr<StoreRateLimiter> shared_general;
  std::shared_ptr<StoreRateLimiter> shared_reports;
  std::atomic<std::uint64_t> sent{0};
};

namespace {

constexpr std::size_t max_error_body = 4096;

std::string account_digest(std::string_view api_url, const crypto::Secret& account_id) {
  using crypto::detail::as_bytes;
  return crypto::hex_encode(
      crypto::detail::sha256({as_bytes(api_url), as_bytes(std::string_view("\0", 1)), account_id.reveal()}));
}

double unit_random() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

// The answer's "error" (OAuth style) and a human message ("message" or "error_description").
std::pair<std::string, std::string> error_fields(std::string_view body) {
  json::error_code ec;
  const json::value v = json::parse(body.substr(0, 64 * 1024), ec);
  std::pair<std::string, std::string> out;
  if (ec || !v.is_object()) return out;
  const auto& o = v.get_object();
  if (auto* e = o.if_contains("error"); e && e->is_string()) out.first = std::string(e->get_string());
  for (const char* key : {"message", "error_description"}) {
    if (auto* m = o.if_contains(key); m && m->is_string()) {
      out.second = std::string(m->get_string());
      break;
    }
  }
  return out;
}

constexpr std::size_t max_server_message = 300;

// The texts of an error: every one built from a server's answer (its message, body, error
// code, a links.next URL in the path) passes through here, with the connection's secrets
// and the token just sent.
struct ErrorText {
  model::Scrubber scrubber;
  ErrorText(const model::Scrubber& connection, const AccessToken& token) {
    scrubber.add(connection);
    scrubber.add(token.value);
  }
  [[nodiscard]] std::string message(std::string_view text) const { return scrubber.scrub(text); }
  [[nodiscard]] std::string server_message(std::string_view text) const {
    return scrubber.scrub(text, model::Layout::one_line, max_server_message);
  }
  [[nodiscard]] std::string body(std::string_view text) const {
    return scrubber.scrub(text, model::Layout::multi_line, max_error_body);
  }
  [[noreturn]] void fail(errc kind, std::string_view text, int status, std::string_view body_text,
                         std::string_view server_error, std::optional<double> retry_after = std::nullopt) const {
    throw error(kind, message(text), status, body(body_text), message(server_error), retry_after);
  }
};

// Overwrites a header's value in place before the request is freed.
void wipe_header(http::Request& request, std::string_view name) {
  if (auto value = request.headers.get(name)) {
    OPENSSL_cleanse(const_cast<char*>(value->data()), value->size());
  }
}

struct Attempt {
  int status = 0;  // 0: no answer
  std::optional<http::Response> response;
  std::optional<error> failure;
};

}  // namespace

HarvestClient::HarvestClient(ClientConfig config, std::shared_ptr<Transport> transport,
                             std::shared_ptr<TokenSource> tokens, ClientOptions options)
    : state_(std::make_shared<State>()) {
  if (!transport || !tokens) throw error(errc::validation_failed, "HarvestClient: a transport and a token source are needed");
  if (config.user_agent.empty()) throw error(errc::validation_failed, "user_agent: Harvest answers 400 without one");
  if (config.account_id.empty()) {
    throw error(errc::validation_failed, "account_id: the Harvest-Account-Id header needs the connection's account ID");
  }
  (void)resolve_api_url(config.api_url, "/users/me");  // validates api_url
  if (config.account_key.empty()) config.account_key = account_digest(config.api_url, config.account_id);
  config.secrets.add(config.account_id);
  if (!options.sleep) options.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  if (options.rate_limits.enabled) {
    state_->general = RateLimiter::shared(config.account_key, options.rate_limits.general);
    state_->reports = RateLimiter::shared(config.account_key + "/reports", options.rate_limits.reports);
    if (config.rate_store) {
      state_->shared_general = StoreRateLimiter::shared(config.rate_store, config.account_key, options.rate_limits.general);
      state_->shared_reports =
          StoreRateLimiter::shared(config.rate_store, config.account_key + "/reports", options.rate_limits.reports);
      state_->general = state_->shared_general->local();
      state_->reports = state_->shared_reports->local();
    }
  }
  config.rate_store.reset();  // the limiters keep it
  state_->config = std::move(config);
  state_->transport = std::move(transport);
  state_->tokens = std::move(tokens);
  state_->options = std::move(options);
}

namespace {

constexpr std::string_view not_retried_note =
    " is not retried: it may have taken effect; check before sending it again)";

// One API call: its attempts under the rate limits, the refresh after a 401, the retries the
// retry policy allows, and the error it ends in when it gives up.
class Call {
 public:
  // `body_buffer`, when given, lends its memory to the first attempt's answer (Paginator).
  Call(HarvestClient::State& s, std::string_view method, const std::string& url, bool reports,
       std::optional<std::string_view> json_body, bool with_account_header, std::string* body_buffer)
      : s_(s),
        method_(method),
        url_(url),
        reports_(reports),
        json_body_(json_body),
        with_account_header_(with_account_header),
        body_buffer_(body_buffer),
        deadline_(steady::now() + s.options.retry.deadline),
        token_(s.tokens->current()) {}

  ApiResponse run() {
    for (;;) {
      ++attempt_;
      Attempt result = send_once();
      const int status = result.status;
      if (status >= 200 && status < 400) {
        return {status, std::move(result.response->headers), std::move(result.response->body)};
      }
      if (status == 401) {
        retry_with_fresh_token(result);  // or throws
        --attempt_;  // the refresh retry is not a failure attempt
        continue;
      }
      std::optional<double> retry_after;
      if (result.response) {
        if (auto h = result.response->headers.get("Retry-After")) retry_after = parse_retry_after(*h);
      }
      const RetryDecision decision = decide(status, retry_after);
      if (decision.retry) {
        // After a 429 the paused limiter makes acquire() wait; sleeping too would wait twice.
        if (!(status == 429 && s_.general)) s_.options.sleep(decision.delay);
        continue;
      }
      const ErrorText text(s_.config.secrets, token_);
      if (status == 429) fail_rate_limited(text, result, retry_after, decision);
      if (!result.response) fail_unanswered(text, *result.failure);
      fail_with_status(text, result, retry_after);
    }
  }

 private:
  // The request with the current token, the connection's headers and the body.
  http::Request prepare_request() const {
    http::Request request;
    request.method = std::string(method_);
    request.target = url_;
    std::string authorization;
    authorization.reserve(7 + token_.value.size());
    authorization.append("Bearer ").append(token_.value.reveal_string());
    request.headers.set("Authorization", authorization);
    OPENSSL_cleanse(authorization.data(), authorization.size());
    if (with_account_header_) request.headers.set("Harvest-Account-Id", s_.config.account_id.reveal_string());
    request.headers.set("User-Agent", s_.config.user_agent);
    request.headers.set("Accept", "application/json");
    if (json_body_) {
      request.headers.set("Content-Type", "application/json");
      request.body = std::string(*json_body_);
    }
    return request;
  }

  // One attempt under the rate limits: the answer, or the network failure that may be retried.
  // Other failures are thrown.
  Attempt send_once() {
    Attempt result;
    std::optional<RateLimiter::Permit> reports_permit;
    std::optional<RateLimiter::Permit> general_permit;
    std::optional<StoreRateLimiter::Permit> shared_reports_permit;
    std::optional<StoreRateLimiter::Permit> shared_general_permit;
    if (s_.shared_general) {
      if (reports_) shared_reports_permit.emplace(s_.shared_reports->acquire(deadline_));
      shared_general_permit.emplace(s_.shared_general->acquire(deadline_));
    } else {
      if (reports_ && s_.reports) reports_permit.emplace(s_.reports->acquire(deadline_));
      if (s_.general) general_permit.emplace(s_.general->acquire(deadline_));
    }

    http::Request request = prepare_request();
    ++s_.sent;
    try {
      if (body_buffer_ != nullptr) {
        result.response = s_.transport->send_into(request, deadline_, std::move(*body_buffer_));
        body_buffer_ = nullptr;
      } else {
        result.response = s_.transport->send(request, deadline_);
      }
      result.status = result.response->status;
    } catch (const error& e) {
      // A proxy that refuses the tunnel (or its credentials) answers the same way on every
      // retry: that is a setting to fix, reported at once.
      const bool proxy_refused = e.server_error() == "proxy_refused" || e.server_error() == "proxy_auth_required";
      if ((e.kind() != errc::network_error && e.kind() != errc::timeout) || proxy_refused) {
        wipe_header(request, "Authorization");
        wipe_header(request, "Harvest-Account-Id");
        throw;
      }
      result.failure = e;
    }
    wipe_header(request, "Authorization");
    wipe_header(request, "Harvest-Account-Id");
    return result;
  }  // permits complete here: the slot's window starts at the answer

  // A 401: returns with a fresh token to try again with (once per call), or throws the error
  // that says why the token was refused.
  void retry_with_fresh_token(const Attempt& result) {
    const auto [server_error, server_message] = error_fields(result.response->body);
    const ErrorText text(s_.config.secrets, token_);
    UnauthorizedContext context;
    context.account_header_sent = with_account_header_;
    context.personal_access_token = s_.tokens->personal_access_token();
    if (!refreshed_after_401_ && s_.tokens->refreshable()) {
      std::optional<AccessToken> fresh;
      try {
        fresh = s_.tokens->refresh_after_unauthorized(token_);
      } catch (const error& e) {
        if (e.kind() == errc::authorization_required ||
            (e.kind() == errc::token_error && e.server_error() == "invalid_grant")) {
          context.refresh_refused = true;
          text.fail(errc::authorization_required, unauthorized_message(context, server_error), 401,
                    result.response->body, server_error);
        }
        throw;
      }
      if (fresh) {
        token_ = std::move(*fresh);
        refreshed_after_401_ = true;
        return;
      }
    }
    context.fresh_token_refused = refreshed_after_401_;
    text.fail(errc::api_error, unauthorized_message(context, server_error), 401, result.response->body,
              server_error);
  }

  [[nodiscard]] std::chrono::milliseconds rate_window() const {
    const auto& limits = s_.options.rate_limits;
    return reports_ ? limits.reports.window : limits.general.window;
  }

  // Whether and when to try again (retry_policy.hpp). A 429 also pauses the account's limiter.
  RetryDecision decide(int status, std::optional<double> retry_after) {
    const auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - steady::now());
    const RetryDecision decision = decide_retry(s_.options.retry, method_, status, retry_after, attempt_, remaining,
                                                unit_random(), rate_window());
    if (status == 429 && s_.general) {
      // Everyone sharing the account's limiter holds off until Harvest lifts the throttle
      // (Retry-After, bounded, or the window when the answer did not say).
      const auto until = steady::now() + decision.delay;
      if (s_.shared_general) {
        (reports_ ? *s_.shared_reports : *s_.shared_general).pause_until(until);
      } else {
        auto& limiter = reports_ && s_.reports ? *s_.reports : *s_.general;
        limiter.pause_until(until);
      }
    }
    return decision;
  }

  [[noreturn]] void fail_rate_limited(const ErrorText& text, const Attempt& result, std::optional<double> retry_after,
                                      const RetryDecision& decision) const {
    // Never decoded: Harvest's 429s may carry an empty text/html body. The caller learns
    // when to try again: Retry-After (bounded), else the window of the path's limit.
    const double wait_seconds = retry_after ? static_cast<double>(decision.delay.count()) / 1000.0
                                            : static_cast<double>(rate_window().count()) / 1000.0;
    const std::string after = std::to_string(static_cast<long long>(std::ceil(wait_seconds)));
    std::string message = "Harvest answered 429 to " + std::string(method_) + " " +
                          api_relative_path(s_.config.api_url, url_) + " (rate limited";
    if (decision.reason == "attempts") {
      message += " " + std::to_string(attempt_) + " times in a row; try again in " + after + " s or make fewer calls)";
    } else if (retry_after) {
      message += "; waiting for Retry-After (" + after + " s) would pass the request deadline: try again then)";
    } else {
      message += " without Retry-After; waiting for the rate window (" + after +
                 " s) would pass the request deadline: try again then)";
    }
    text.fail(errc::rate_limited, message, 429, result.response->body, {}, wait_seconds);
  }

  // No answer (network error or timeout) and no more tries.
  [[noreturn]] void fail_unanswered(const ErrorText& text, const error& e) const {
    std::string message = text.message(e.what());  // a network error may quote the server
    if (!is_idempotent(method_)) {
      message += " (a " + std::string(method_) + std::string(not_retried_note);
    } else if (attempt_ > 1) {
      message += " (after " + std::to_string(attempt_) + " attempts)";
    }
    throw error(e.kind(), text.message(message));
  }

  // Any other answer: say what happened and what to do.
  [[noreturn]] void fail_with_status(const ErrorText& text, const Attempt& result,
                                     std::optional<double> retry_after) const {
    const int status = result.status;
    const auto [server_error, server_message] = error_fields(result.response->body);
    // The path may be a links.next URL, which the server wrote.
    std::string message = "Harvest answered " + std::to_string(status) + " to " + std::string(method_) + " " +
                          api_relative_path(s_.config.api_url, url_);
    if (!server_message.empty()) message += ": " + text.server_message(server_message);
    if (status >= 500) {
      if (!is_idempotent(method_)) {
        message += " (a " + std::string(method_) + std::string(not_retried_note);
      } else {
        message += " (after " + std::to_string(attempt_) + " attempts; Harvest may be having trouble, try again later)";
      }
    } else if (status == 400 && server_message.empty()) {
      message += " (check the User-Agent and the parameters)";
    } else if (status == 403) {
      message += " (the authorizing user's role does not allow this; members can use /users/me and "
                 "/users/me/project_assignments)";
    } else if (status == 404) {
      message += " (no such resource; check the path)";
    }
    text.fail(errc::api_error, message, status, result.response->body, server_error, retry_after);
  }

  HarvestClient::State& s_;
  const std::string_view method_;
  const std::string& url_;
  const bool reports_;
  const std::optional<std::string_view> json_body_;
  const bool with_account_header_;
  std::string* body_buffer_;
  const steady::time_point deadline_;
  AccessToken token_;
  bool refreshed_after_401_ = false;
  unsigned attempt_ = 0;
};

ApiResponse execute(HarvestClient::State& s, std::string_view method, const std::string& url, bool reports,
                    std::optional<std::string_view> json_body, bool with_account_header,
                    std::string* body_buffer = nullptr) {
  return Call(s, method, url, reports, json_body, with_account_header, body_buffer).run();
}

}  // namespace

ApiResponse HarvestClient::request(std::string_view method, std::string_view path, const QueryParams& params,
                                   std::optional<std::string_view> json_body) const {
  const std::string url = resolve_api_url(state_->config.api_url, path, params);
  const bool reports = is_reports_path(api_relative_path(state_->config.api_url, url));
  return execute(*state_, method, url, reports, json_body, true);
}

std::string HarvestClient::get(std::string_view path, const QueryParams& params) const {
  return request("GET", path, params).body;
}
std::string HarvestClient::post(std::string_view path, std::string_view json_body) const {
  return request("POST", path, {}, json_body).body;
}
std::string HarvestClient::patch(std::string_view path, std::string_view json_body) const {
  return request("PATCH", path, {}, json_body).body;
}
std::string HarvestClient::del(std::string_view path, const QueryParams& params) const {
  return request("DELETE", path, params).body;
}

ApiResponse HarvestClient::get_page(const std::string& url, std::string body_buffer) const {
  const bool reports = is_reports_path(api_relative_path(state_->config.api_url, url));
  return execute(*state_, "GET", url, reports, std::nullopt, true, &body_buffer);
}

std::string HarvestClient::accounts() const {
  std::string id = state_->config.id_url;
  while (!id.empty() && id.back() == '/') id.pop_back();
  // Not on the API host: no account header (the answer lists the accounts).
  return execute(*state_, "GET", id + "/api/v2/accounts", false, std::nullopt, false).body;
}

Paginator HarvestClient::paginate(std::string_view path, const QueryParams& params,
                                  PageValidation validation) const {
  const std::string url = resolve_api_url(state_->config.api_url, path, params);
  std::string resource = resource_name(api_relative_path(state_->config.api_url, url));
  return Paginator(std::make_shared<HarvestClient>(*this), url, std::move(resource), validation);
}

const std::string& HarvestClient::api_url() const noexcept { return state_->config.api_url; }
const ClientOptions& HarvestClient::options() const noexcept { return state_->options; }
std::uint64_t HarvestClient::requests_sent() const noexcept { return state_->sent.load(); }
std::string HarvestClient::scrub(std::string_view text) const { return state_->config.secrets.scrub(text); }

}  // namespace harvest_connect::harvest

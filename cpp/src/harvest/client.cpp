#include "harvest_connect/harvest/client.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

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
#include "harvest_connect/harvest/unauthorized.hpp"
#include "harvest_connect/http/url.hpp"

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
  std::atomic<std::uint64_t> sent{0};
};

namespace {

constexpr std::size_t max_error_body = 4096;

std::string account_digest(std::string_view api_url, const crypto::Secret& account_id) {
  unsigned char digest[32];
  unsigned int size = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx == nullptr) throw error(errc::internal_error, "OpenSSL could not allocate a digest context");
  const bool ok = EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1 &&
                  EVP_DigestUpdate(ctx, api_url.data(), api_url.size()) == 1 &&
                  EVP_DigestUpdate(ctx, "\0", 1) == 1 &&
                  EVP_DigestUpdate(ctx, account_id.reveal().data(), account_id.size()) == 1 &&
                  EVP_DigestFinal_ex(ctx, digest, &size) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) throw error(errc::internal_error, "OpenSSL SHA-256 failed");
  return crypto::hex_encode({digest, size});
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
  }
  state_->config = std::move(config);
  state_->transport = std::move(transport);
  state_->tokens = std::move(tokens);
  state_->options = std::move(options);
}

namespace {

// `body_buffer`, when given, lends its memory to the first attempt's answer (Paginator).
ApiResponse execute(HarvestClient::State& s, std::string_view method, const std::string& url, bool reports,
                    std::optional<std::string_view> json_body, bool with_account_header,
                    std::string* body_buffer = nullptr) {
  const auto deadline = steady::now() + s.options.retry.deadline;
  AccessToken token = s.tokens->current();
  bool refreshed_after_401 = false;
  unsigned attempt = 0;
  for (;;) {
    ++attempt;
    Attempt result;
    {
      std::optional<RateLimiter::Permit> reports_permit;
      std::optional<RateLimiter::Permit> general_permit;
      if (reports && s.reports) reports_permit.emplace(s.reports->acquire(deadline));
      if (s.general) general_permit.emplace(s.general->acquire(deadline));

      http::Request request;
      request.method = std::string(method);
      request.target = url;
      std::string authorization;
      authorization.reserve(7 + token.value.size());
      authorization.append("Bearer ").append(token.value.reveal_string());
      request.headers.set("Authorization", authorization);
      OPENSSL_cleanse(authorization.data(), authorization.size());
      if (with_account_header) request.headers.set("Harvest-Account-Id", s.config.account_id.reveal_string());
      request.headers.set("User-Agent", s.config.user_agent);
      request.headers.set("Accept", "application/json");
      if (json_body) {
        request.headers.set("Content-Type", "application/json");
        request.body = std::string(*json_body);
      }
      ++s.sent;
      try {
        if (body_buffer != nullptr) {
          result.response = s.transport->send_into(request, deadline, std::move(*body_buffer));
          body_buffer = nullptr;
        } else {
          result.response = s.transport->send(request, deadline);
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
    }  // permits complete here: the slot's window starts at the answer

    const int status = result.status;
    if (status >= 200 && status < 400) {
      return {status, std::move(result.response->headers), std::move(result.response->body)};
    }
    if (status == 401) {
      const auto [server_error, server_message] = error_fields(result.response->body);
      const ErrorText text(s.config.secrets, token);
      UnauthorizedContext context;
      context.account_header_sent = with_account_header;
      context.personal_access_token = s.tokens->personal_access_token();
      if (!refreshed_after_401 && s.tokens->refreshable()) {
        std::optional<AccessToken> fresh;
        try {
          fresh = s.tokens->refresh_after_unauthorized(token);
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
          token = std::move(*fresh);
          refreshed_after_401 = true;
          --attempt;  // the refresh retry is not a failure attempt
          continue;
        }
      }
      context.fresh_token_refused = refreshed_after_401;
      text.fail(errc::api_error, unauthorized_message(context, server_error), 401, result.response->body,
                server_error);
    }

    std::optional<double> retry_after;
    if (result.response) {
      if (auto h = result.response->headers.get("Retry-After")) retry_after = parse_retry_after(*h);
    }
    const auto& limits = s.options.rate_limits;
    const auto rate_window = reports ? limits.reports.window : limits.general.window;
    const auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now());
    const RetryDecision decision = decide_retry(s.options.retry, method, status, retry_after, attempt, remaining,
                                                unit_random(), rate_window);
    if (status == 429 && s.general) {
      // Everyone sharing the account's limiter holds off until Harvest lifts the throttle
      // (Retry-After, bounded, or the window when the answer did not say).
      auto& limiter = reports && s.reports ? *s.reports : *s.general;
      limiter.pause_until(steady::now() + decision.delay);
    }
    if (decision.retry) {
      if (status == 429 && s.general) {
        // The pause above makes acquire() wait; sleeping too would wait twice.
        continue;
      }
      s.options.sleep(decision.delay);
      continue;
    }
    const ErrorText text(s.config.secrets, token);
    if (status == 429) {
      // Never decoded: Harvest's 429s may carry an empty text/html body. The caller learns
      // when to try again: Retry-After (bounded), else the window of the path's limit.
      const double wait_seconds =
          retry_after ? static_cast<double>(decision.delay.count()) / 1000.0
                      : static_cast<double>(rate_window.count()) / 1000.0;
      const std::string after = std::to_string(static_cast<long long>(std::ceil(wait_seconds)));
      std::string message = "Harvest answered 429 to " + std::string(method) + " " +
                            api_relative_path(s.config.api_url, url) + " (rate limited";
      if (decision.reason == "attempts") {
        message += " " + std::to_string(attempt) + " times in a row; try again in " + after + " s or make fewer calls)";
      } else if (retry_after) {
        message += "; waiting for Retry-After (" + after + " s) would pass the request deadline: try again then)";
      } else {
        message += " without Retry-After; waiting for the rate window (" + after +
                   " s) would pass the request deadline: try again then)";
      }
      text.fail(errc::rate_limited, message, status, result.response->body, {}, wait_seconds);
    }

    // Give up: say what happened and what to do.
    if (!result.response) {
      const error& e = *result.failure;
      std::string message = text.message(e.what());  // a network error may quote the server
      if (!is_idempotent(method)) {
        message += " (a " + std::string(method) + " is not retried: it may have taken effect; check before sending it again)";
      } else if (attempt > 1) {
        message += " (after " + std::to_string(attempt) + " attempts)";
      }
      throw error(e.kind(), text.message(message));
    }
    const auto [server_error, server_message] = error_fields(result.response->body);
    // The path may be a links.next URL, which the server wrote.
    std::string message = "Harvest answered " + std::to_string(status) + " to " + std::string(method) + " " +
                          api_relative_path(s.config.api_url, url);
    if (!server_message.empty()) message += ": " + text.server_message(server_message);
    if (status >= 500) {
      if (!is_idempotent(method)) {
        message += " (a " + std::string(method) + " is not retried: it may have taken effect; check before sending it again)";
      } else {
        message += " (after " + std::to_string(attempt) + " attempts; Harvest may be having trouble, try again later)";
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

// --- Paginator --------------------------------------------------------------------

// The bodies of pages the caller has finished with, lent to the pages still to come.
struct Paginator::SpareBodies {
  static constexpr std::size_t kept = 4;
  std::mutex mutex;
  std::vector<std::string> bodies;
  bool closed = false;

  std::string take() {
    std::lock_guard lock(mutex);
    if (bodies.empty()) return {};
    std::string body = std::move(bodies.back());
    bodies.pop_back();
    return body;
  }
  // Called by a page's deleter: must not throw (a spare lost to bad_alloc is only a spare).
  void give(std::string&& body) noexcept {
    try {
      std::lock_guard lock(mutex);
      if (!closed && bodies.size() < kept) bodies.push_back(std::move(body));
    } catch (...) {
    }
  }
  // The walk has ended: nothing more will be read, so keep nothing.
  void close() noexcept {
    std::vector<std::string> dropped;  // freed outside the lock
    try {
      std::lock_guard lock(mutex);
      closed = true;
      dropped.swap(bodies);
    } catch (...) {
    }
  }
};

Paginator::Paginator(std::shared_ptr<HarvestClient> client, std::string first_url, std::string resource,
                     PageValidation validation)
    : client_(std::move(client)),
      resource_(std::move(resource)),
      validation_(validation),
      spare_(std::make_shared<SpareBodies>()) {
  start(std::move(first_url));
}

Paginator::Paginator(Paginator&&) noexcept = default;
Paginator& Paginator::operator=(Paginator&&) noexcept = default;
Paginator::~Paginator() = default;

namespace {

// The URL of the page after `url` when pages are numbered (page=N) and N is not the last of
// `total_pages`; nullopt otherwise (cursor pages, the last page, a URL we cannot read).
std::optional<std::string> following_page_url(const std::string& url, std::optional<std::int64_t> total_pages) {
  if (!total_pages) return std::nullopt;
  try {
    const auto u = http::Url::parse(url);
    const auto page = u.query_param("page");
    if (!page || u.query_param("cursor")) return std::nullopt;
    std::int64_t n = 0;
    const auto [end, ec] = std::from_chars(page->data(), page->data() + page->size(), n);
    if (ec != std::errc() || end != page->data() + page->size() || n < 1 || n >= *total_pages) return std::nullopt;
    return u.with_query_replaced({{"page", std::to_string(n + 1)}}).str();
  } catch (const error&) {
    return std::nullopt;
  }
}

// Whether two page URLs ask for the same thing (same origin, path and parameters, in any order).
bool same_page_url(const std::string& a, const std::string& b) {
  if (a == b) return true;
  try {
    const auto x = http::Url::parse(a);
    const auto y = http::Url::parse(b);
    if (x.origin() != y.origin() || x.path() != y.path()) return false;
    auto px = x.query_params();
    auto py = y.query_params();
    std::sort(px.begin(), px.end());
    std::sort(py.begin(), py.end());
    return px == py;
  } catch (const error&) {
    return false;
  }
}

}  // namespace

void Paginator::start(std::string url) {
  auto client = client_;
  auto resource = resource_;
  auto fetch = [client, resource, url, validation = validation_, spare = spare_]() -> std::shared_ptr<const PageData> {
    // A page's body goes back to the spares when the caller lets go of the page, so each page
    // after the first few is read into memory that is already mapped.
    // The deleter holds the spares weakly: a page kept after its walk ended frees its own body.
    std::shared_ptr<PageData> data(new PageData, [weak = std::weak_ptr<SpareBodies>(spare)](PageData* done) {
      if (auto spares = weak.lock()) spares->give(std::move(done->body));
      delete done;
    });
    data->url = url;
    // Links are absolute; resolving checks that they stay on the API host.
    const std::string target = resolve_api_url(client->api_url(), url);
    data->body = client->get_page(target, spare->take()).body;
    try {
      data->page = parse_page(data->body, resource, validation);
    } catch (const error& e) {
      // The message may quote the answer (a duplicated key).
      throw error(e.kind(), client->scrub(e.what()), e.http_status(), client->scrub(e.body()), e.server_error());
    }
    return data;
  };
  const auto policy = client_->options().prefetch_pages > 0 ? std::launch::async : std::launch::deferred;
  pending_.push_back(Pending{std::move(url), std::async(policy, std::move(fetch))});
}

// With numbered pages, requests the pages after the last one pending until prefetch_pages are
// on their way.
void Paginator::fill_ahead() {
  const unsigned ahead = client_->options().prefetch_pages;
  while (!pending_.empty() && pending_.size() < ahead) {
    auto url = following_page_url(pending_.back().url, total_pages_);
    if (!url) break;
    start(std::move(*url));
  }
}

std::shared_ptr<const PageData> Paginator::next() {
  if (pending_.empty()) return nullptr;
  auto future = std::move(pending_.front().page);
  pending_.pop_front();
  std::shared_ptr<const PageData> page;
  try {
    page = future.get();
  } catch (...) {
    exhausted_ = true;
    pending_.clear();  // waits for the pages still on their way; nothing more is requested
    spare_->close();
    throw;
  }
  ++pages_seen_;
  records_seen_ += page->page.records.size();
  if (page->page.total_entries) total_entries_ = page->page.total_entries;
  if (page->page.total_pages) total_pages_ = page->page.total_pages;
  if (page->page.next) {
    // A page requested ahead is only used when it is the one this page links to.
    if (!pending_.empty() && !same_page_url(pending_.front().url, *page->page.next)) pending_.clear();
    if (pending_.empty()) start(*page->page.next);
    fill_ahead();
  } else {
    exhausted_ = true;
    pending_.clear();
    spare_->close();
  }
  return page;
}

}  // namespace harvest_connect::harvest

// The Harvest emulator's request handler: ID service, API v2 subset, rate limits, faults and
// the request log. Facts it imitates are in /docs (HARVEST.md in the design notes); where
// Harvest's behaviour is not documented the choice is the RFC's and says so here.
#include "harvest_connect/testing/emulator_service.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <deque>
#include <mutex>
#include <optional>
#include <random>
#include <unordered_map>

#include <boost/json.hpp>
#include <boost/url.hpp>

#include "harvest_connect/crypto/encoding.hpp"
#include "harvest_connect/crypto/random.hpp"
#include "harvest_connect/error.hpp"
#include "crypto/detail/constant_time.hpp"
#include "crypto/detail/digest.hpp"
#include "http/detail/text.hpp"
#include "testing/detail/dataset.hpp"

namespace harvest_connect::testing {

namespace {

namespace json = boost::json;
namespace urls = boost::urls;
using Clock = std::chrono::steady_clock;
using http::detail::html_escape;
using http::detail::iequals;
using detail::Dataset;
using detail::UserRecord;

constexpr std::string_view invalid_token_body =
    R"({"error":"invalid_token","error_description":"The access token provided is expired, revoked, malformed or invalid for other reasons."})";
constexpr std::string_view redacted = "[redacted]";
constexpr std::size_t max_per_page = 2000;

bool is_secret_param(std::string_view key) {
  static constexpr std::string_view keys[] = {"code",        "state",      "access_token",  "refresh_token",
                                              "client_secret", "account_id", "code_verifier", "password"};
  return std::find(std::begin(keys), std::end(keys), key) != std::end(keys);
}

// Decoded query or form parameters, in order; '+' is a space (application/x-www-form-urlencoded).
struct Params {
  std::vector<std::pair<std::string, std::string>> items;

  [[nodiscard]] const std::string* get(std::string_view key) const {
    for (const auto& [k, v] : items)
      if (k == key) return &v;
    return nullptr;
  }
  [[nodiscard]] std::string value(std::string_view key) const {
    const auto* v = get(key);
    return v ? *v : std::string();
  }
};

std::optional<Params> parse_params(std::string_view encoded) {
  Params p;
  if (encoded.empty()) return p;
  if (!urls::parse_query(encoded)) return std::nullopt;
  // Parsed again by the constructor that Boost's shared libboost_url exports (1.81 and 1.83
  // lack the one taking a params_view); it cannot throw on a query parse_query accepted.
  urls::params_view view(encoded, urls::encoding_opts(true));
  for (auto param : view) p.items.emplace_back(param.key, param.has_value ? param.value : std::string());
  return p;
}

std::optional<std::string> form_decode(std::string_view s) {
  auto pct = urls::make_pct_string_view(s);
  if (!pct) return std::nullopt;
  auto view = urls::decode_view(*pct, urls::encoding_opts(true));
  return std::string(view.begin(), view.end());
}

std::string pct(std::string_view s) { return urls::encode(s, urls::unreserved_chars); }

bool parse_u64(std::string_view s, std::uint64_t& v) {
  if (s.empty()) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

std::string random_token(std::size_t bytes) { return crypto::base64url_encode(crypto::random_bytes(bytes)); }

std::optional<std::string> base64url_decode(std::string_view text) {
  std::string s(text);
  for (char& c : s) {
    if (c == '-') c = '+';
    else if (c == '_') c = '/';
  }
  while (s.size() % 4 != 0) s.push_back('=');
  auto bytes = crypto::base64_decode(s);
  if (!bytes) return std::nullopt;
  return std::string(bytes->begin(), bytes->end());
}

http::ServerResponse json_answer(int status, std::string body) {
  http::ServerResponse r;
  r.status = status;
  r.headers.set("Content-Type", "application/json; charset=utf-8");
  r.body = std::move(body);
  return r;
}

http::ServerResponse message_answer(int status, std::string_view error_name, std::string_view message) {
  json::object o;
  o["status"] = status;
  o["error"] = error_name;
  o["message"] = message;
  return json_answer(status, json::serialize(o));
}

http::ServerResponse unprocessable(std::string_view message) {
  json::object o;
  o["message"] = message;
  return json_answer(422, json::serialize(o));
}

http::ServerResponse invalid_token() {
  auto r = json_answer(401, std::string(invalid_token_body));
  r.headers.set("WWW-Authenticate", "Bearer error=\"invalid_token\"");
  return r;
}

http::ServerResponse oauth_error(int status, std::string_view code, std::string_view description) {
  json::object o;
  o["error"] = code;
  o["error_description"] = description;
  auto r = json_answer(status, json::serialize(o));
  r.headers.set("Cache-Control", "no-store");
  r.headers.set("Pragma", "no-cache");
  return r;
}

http::ServerResponse html_answer(int status, std::string body) {
  http::ServerResponse r;
  r.status = status;
  r.headers.set("Content-Type", "text/html; charset=utf-8");
  r.headers.set("Cache-Control", "no-store");
  r.headers.set("Referrer-Policy", "no-referrer");
  // No form-action directive: browsers apply it to the redirect that follows the consent
  // form too, which would block the way back to the app's (loopback) redirect URL.
  r.headers.set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'");
  r.body = std::move(body);
  return r;
}

constexpr std::string_view page_style =
    "body{font-family:system-ui,sans-serif;background:#f6f3ee;margin:0}main{max-width:26rem;margin:4rem auto;"
    "background:#fff;padding:2rem;border-radius:8px;box-shadow:0 1px 4px #0002}h1{font-size:1.3rem;color:#f36c00}"
    "label{display:block;margin:.8rem 0 .2rem}input,select{width:100%;padding:.5rem;box-sizing:border-box}"
    "button{margin-top:1.2rem;padding:.6rem 1rem;border:0;border-radius:4px;cursor:pointer}"
    ".allow{background:#188433;color:#fff}.deny{background:#ddd;margin-left:.5rem}.err{color:#b00020}";

std::string error_page(std::string_view message) {
  return "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Harvest ID (emulator)</title><style>" +
         std::string(page_style) + "</style></head><body><main><h1>Harvest ID</h1><p class=\"err\">" +
         html_escape(message) + "</p></main></body></html>";
}

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

// JSON text re-laid out with line breaks and two-space indents (tokens and strings as they
// were): what a pretty-printing server or proxy sends. Text that is not JSON is left alone.
std::string indented(const std::string& text) {
  if (text.empty() || (text.front() != '{' && text.front() != '[')) return text;
  std::string out;
  out.reserve(text.size() * 2);
  int depth = 0;
  bool in_string = false;
  auto newline = [&] {
    out += '\n';
    out.append(static_cast<std::size_t>(2 * std::max(depth, 0)), ' ');
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    out += c;
    if (in_string) {
      if (c == '\\' && i + 1 < text.size()) {
        out += text[++i];
        continue;
      }
      if (c != '"') continue;
      in_string = false;
    } else {
      switch (c) {
        case '"': in_string = true; break;
        case '{': case '[': ++depth; newline(); break;
        case ',': newline(); break;
        case ':': out += ' '; break;
        default: break;
      }
    }
    if (!in_string && i + 1 < text.size() && (text[i + 1] == '}' || text[i + 1] == ']')) {
      --depth;
      newline();
    }
  }
  out += '\n';
  return out;
}

struct Outcome {
  http::ServerResponse response;
  bool paginated = false;
};

}  // namespace

struct EmulatorService::impl {
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
      if (iequals(u.email, email)) return &u;
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
  std::string check_client(const AuthRequest& a, const OAuthApp*& app) const {
    auto it = apps.find(a.client_id);
    if (a.client_id.empty() || it == apps.end()) return "Unknown client_id: no OAuth application is registered with it.";
    app = &it->second;
    if (!a.redirect_uri.empty() && a.redirect_uri.rfind(app->redirect_url, 0) != 0)
      return "The redirect_uri does not start with the Redirect URL registered for this application.";
    return {};
  }

  static std::string redirect_with(const std::string& target, const std::vector<std::pair<std::string, std::string>>& params) {
    urls::url u = urls::parse_uri_reference(target).value();
    for (const auto& [k, v] : params) u.encoded_params().append({k, pct(v)});
    return std::string(u.buffer());
  }

  // Problems that go back to the client as ?error=…; empty when none.
  static std::string redirect_error(const AuthRequest& a) {
    if (a.response_type != "code") return "unsupported_response_type";
    if (!a.code_challenge.empty() && !a.code_challenge_method.empty() && a.code_challenge_method != "S256" &&
        a.code_challenge_method != "plain")
      return "invalid_request";
    return {};
  }

  std::string scope_for(const OAuthApp& app, const UserRecord& user, std::uint64_t account_id) const {
    if (app.multi_account) return app.forecast ? "all" : "harvest:all";
    std::string scope = "harvest:" + std::to_string(account_id);
    if (app.forecast) {
      for (auto id : user.account_ids)
        if (const auto* acc = account(id); acc && acc->product == "forecast") {
          scope += " forecast:" + std::to_string(id);
          break;
        }
    }
    return scope;
  }

  std::uint64_t first_harvest_account(const UserRecord& user) const {
    for (auto id : user.account_ids)
      if (const auto* acc = account(id); acc && acc->product == "harvest") return id;
    return 0;
  }

  // The redirect after the user's decision (the request was checked already).
  std::string decide(const AuthRequest& a, const OAuthApp& app, const UserRecord* user, std::uint64_t account_id,
                     bool allow) {
    const std::string& target = a.redirect_uri.empty() ? app.redirect_url : a.redirect_uri;
    std::vector<std::pair<std::string, std::string>> params;
    if (auto err = redirect_error(a); !err.empty()) {
      params.emplace_back("error", err);
    } else if (!allow) {
      params.emplace_back("error", "access_denied");
    } else {
      AuthCode code;
      code.client_id = app.client_id;
      code.user_id = user->id;
      code.redirect_uri = a.redirect_uri;
      code.scope = scope_for(app, *user, account_id);
      code.challenge = a.code_challenge;
      code.challenge_method = a.code_challenge.empty() ? "" : (a.code_challenge_method.empty() ? "plain" : a.code_challenge_method);
      code.expires = now() + options.oauth.code_lifetime;
      const std::string value = random_token(24);
      params.emplace_back("code", value);
      params.emplace_back("scope", code.scope);
      codes.emplace(value, std::move(code));
      ++counters["codes_issued"];
    }
    if (!a.state.empty()) params.emplace_back("state", a.state);
    return redirect_with(target, params);
  }

  std::string consent_page(const AuthRequest& a, const OAuthApp& app, std::string_view problem,
                           std::string_view email) const {
    std::string h = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                    "<meta name=\"viewport\" content=\"width=device-width\"><title>Authorize application - Harvest ID (emulator)</title><style>";
    h += page_style;
    h += "</style></head><body><main><h1>Harvest ID</h1><p><strong>" + html_escape(app.name) +
         "</strong> would like to access your Harvest " + (app.multi_account ? "accounts" : "account") +
         ".</p>";
    if (!problem.empty()) h += "<p class=\"err\" role=\"alert\">" + html_escape(problem) + "</p>";
    h += "<form method=\"post\" action=\"/oauth2/authorize\">";
    const std::pair<const char*, const std::string*> hidden[] = {
        {"client_id", &a.client_id},   {"response_type", &a.response_type},   {"redirect_uri", &a.redirect_uri},
        {"state", &a.state},           {"scope", &a.scope},                   {"code_challenge", &a.code_challenge},
        {"code_challenge_method", &a.code_challenge_method}};
    for (const auto& [name, value] : hidden)
      h += std::string("<input type=\"hidden\" name=\"") + name + "\" value=\"" + html_escape(*value) + "\">";
    h += "<label for=\"email\">Email</label><input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"username\" value=\"" +
         html_escape(email) + "\" required>";
    h += "<label for=\"password\">Password</label><input id=\"password\" name=\"password\" type=\"password\" "
         "autocomplete=\"current-password\" required>";
    h += "<button class=\"allow\" type=\"submit\" name=\"decision\" value=\"authorize\">Authorize application</button>";
    h += "<button class=\"deny\" type=\"submit\" name=\"decision\" value=\"deny\" formnovalidate>Deny</button>";
    h += "</form></main></body></html>";
    return h;
  }

  http::ServerResponse authorize_get(const Params& q) {
    const AuthRequest a = AuthRequest::from(q);
    const OAuthApp* app = nullptr;
    if (auto problem = check_client(a, app); !problem.empty()) return html_answer(400, error_page(problem));
    if (!redirect_error(a).empty()) return redirect(decide(a, *app, nullptr, 0, false));
    return html_answer(200, consent_page(a, *app, {}, {}));
  }

  static http::ServerResponse redirect(const std::string& location) {
    http::ServerResponse r;
    r.status = 302;
    r.headers.set("Location", location);
    r.headers.set("Cache-Control", "no-store");
    r.headers.set("Content-Type", "text/html; charset=utf-8");
    r.body = "<!doctype html><a href=\"" + html_escape(location) + "\">Continue</a>";
    return r;
  }

  http::ServerResponse authorize_post(const Params& form) {
    const AuthRequest a = AuthRequest::from(form);
    const OAuthApp* app = nullptr;
    if (auto problem = check_client(a, app); !problem.empty()) return html_answer(400, error_page(problem));
    if (form.value("decision") != "authorize") return redirect(decide(a, *app, nullptr, 0, false));
    const std::string email = form.value("email");
    UserRecord* user = user_by_email(email);
    if (!user || !crypto::detail::constant_time_equal(user->password, form.value("password")))
      return html_answer(200, consent_page(a, *app, "Wrong email or password.", email));
    std::uint64_t account_id = first_harvest_account(*user);
    if (!app->multi_account && account_id == 0)
      return html_answer(200, consent_page(a, *app, "This user has no Harvest account.", email));
    return redirect(decide(a, *app, user, account_id, true));
  }

  std::string approve(const std::string& url, const std::string& email, const std::string& password,
                      std::uint64_t account_id, bool allow) {
    auto parsed = urls::parse_uri_reference(url);
    if (!parsed) throw error(errc::validation_failed, "approve(): the authorization URL is not a valid URL");
    auto q = parse_params(parsed->encoded_query());
    if (!q) throw error(errc::validation_failed, "approve(): the authorization URL has a malformed query");
    const AuthRequest a = AuthRequest::from(*q);
    const OAuthApp* app = nullptr;
    if (auto problem = check_client(a, app); !problem.empty()) throw error(errc::authorization_failed, problem);
    if (!allow) return decide(a, *app, nullptr, 0, false);
    UserRecord* user = email.empty() ? &data.users.front() : user_by_email(email);
    if (!user || (!email.empty() && !crypto::detail::constant_time_equal(user->password, password)))
      throw error(errc::authorization_failed, "approve(): wrong email or password for the emulator's sign-in");
    if (account_id == 0) account_id = first_harvest_account(*user);
    if (std::find(user->account_ids.begin(), user->account_ids.end(), account_id) == user->account_ids.end())
      throw error(errc::authorization_failed, "approve(): the user has no access to that account");
    return decide(a, *app, user, account_id, true);
  }

  // ---- ID service: token endpoint -------------------------------------------------------

  http::ServerResponse issue_tokens(std::uint64_t user_id, const std::string& client_id, const std::string& scope,
                                    const std::string& refresh, AuthCode* code) {
    const std::string access = std::to_string(user_id) + ".at." + random_token(32);
    access_tokens[access] = {user_id, client_id, scope, now() + options.oauth.access_token_lifetime};
    if (code) code->access_tokens.push_back(access);
    json::object o;
    o["access_token"] = access;
    o["refresh_token"] = refresh;
    o["token_type"] = "bearer";
    std::string body;
    if (options.oauth.expires_in_json.empty()) {
      o["expires_in"] = options.oauth.access_token_lifetime.count();
      body = json::serialize(o);
    } else {
      // Verbatim, so that numbers beyond what json::value holds can be sent.
      body = json::serialize(o);
      body.insert(body.size() - 1, ",\"expires_in\":" + options.oauth.expires_in_json);
    }
    auto r = json_answer(200, std::move(body));
    r.headers.set("Cache-Control", "no-store");
    r.headers.set("Pragma", "no-cache");
    return r;
  }

  std::string new_refresh_token(std::uint64_t user_id, const std::string& client_id, const std::string& scope) {
    std::string value = std::to_string(user_id) + ".rt." + random_token(32);
    refresh_tokens[value] = {user_id, client_id, scope};
    return value;
  }

  http::ServerResponse token(const http::ServerRequest& req) {
    ++counters["token_requests"];
    auto answer = token_inner(req);
    if (answer.status != 200) ++counters["token_errors"];
    return answer;
  }

  http::ServerResponse token_inner(const http::ServerRequest& req) {
    // Form-encoded as Harvest documents it; a JSON object of strings is accepted too.
    Params body;
    const auto content_type = req.headers.get("Content-Type").value_or("");
    if (content_type.find("application/json") != std::string_view::npos) {
      boost::system::error_code ec;
      auto v = json::parse(req.body, ec);
      if (ec || !v.is_object()) return oauth_error(400, "invalid_request", "The request body is not a JSON object.");
      for (const auto& [k, val] : v.as_object())
        if (val.is_string()) body.items.emplace_back(std::string(k), std::string(val.as_string()));
    } else {
      auto p = parse_params(req.body);
      if (!p) return oauth_error(400, "invalid_request", "The request body is not valid form data.");
      body = std::move(*p);
    }
    const std::string grant = body.value("grant_type");
    if (grant.empty()) return oauth_error(400, "invalid_request", "The request is missing the grant_type parameter.");
    if (grant == "authorization_code" || grant == "refresh_token") ++counters["token_requests." + grant];
    if (grant != "authorization_code" && grant != "refresh_token")
      return oauth_error(400, "unsupported_grant_type", "The authorization grant type is not supported by the authorization server.");

    // Client authentication: HTTP Basic or the body, not both (RFC 6749 §2.3).
    std::string client_id = body.value("client_id"), client_secret = body.value("client_secret");
    bool basic = false;
    if (auto auth = req.headers.get("Authorization"); auth && auth->size() > 6 && iequals(auth->substr(0, 6), "Basic ")) {
      basic = true;
      auto decoded = crypto::base64_decode(auth->substr(6));
      std::string pair = decoded ? std::string(decoded->begin(), decoded->end()) : std::string();
      const auto colon = pair.find(':');
      if (!decoded || colon == std::string::npos) return invalid_client(true);
      if (body.get("client_secret")) return invalid_client(true);  // two credentials
      // RFC 6749 §2.3.1: both halves are form-encoded before they are joined.
      auto basic_id = form_decode(std::string_view(pair).substr(0, colon));
      auto basic_secret = form_decode(std::string_view(pair).substr(colon + 1));
      if (!basic_id || !basic_secret) return invalid_client(true);
      if (!client_id.empty() && client_id != *basic_id) return invalid_client(true);
      client_id = std::move(*basic_id);
      client_secret = std::move(*basic_secret);
    }
    auto app_it = apps.find(client_id);
    if (client_id.empty() || client_secret.empty() || app_it == apps.end() ||
        !crypto::detail::constant_time_equal(app_it->second.client_secret, client_secret))
      return invalid_client(basic);
    const OAuthApp& app = app_it->second;

    if (grant == "authorization_code") {
      const std::string code_value = body.value("code");
      if (code_value.empty()) return oauth_error(400, "invalid_request", "The request is missing the code parameter.");
      auto it = codes.find(code_value);
      if (it == codes.end()) return invalid_grant();
      AuthCode& code = it->second;
      if (code.used) {
        // RFC 6749 §4.1.2: a second use revokes what the first one gave.
        for (const auto& t : code.access_tokens) access_tokens.erase(t);
        for (const auto& t : code.refresh_tokens) refresh_tokens.erase(t);
        return invalid_grant();
      }
      if (code.client_id != app.client_id || now() >= code.expires) return invalid_grant();
      const std::string redirect_uri = body.value("redirect_uri");
      if (!code.redirect_uri.empty() ? redirect_uri != code.redirect_uri
                                     : (!redirect_uri.empty() && redirect_uri.rfind(app.redirect_url, 0) != 0))
        return invalid_grant();
      if (!code.challenge.empty()) {
        const std::string verifier = body.value("code_verifier");
        const std::string computed =
            code.challenge_method == "S256" ? crypto::base64url_encode(crypto::detail::sha256(verifier)) : verifier;
        if (verifier.empty() || !crypto::detail::constant_time_equal(computed, code.challenge)) return invalid_grant();
      }
      code.used = true;
      std::string refresh = new_refresh_token(code.user_id, app.client_id, code.scope);
      code.refresh_tokens.push_back(refresh);
      return issue_tokens(code.user_id, app.client_id, code.scope, refresh, &code);
    }
    const std::string refresh = body.value("refresh_token");
    if (refresh.empty()) return oauth_error(400, "invalid_request", "The request is missing the refresh_token parameter.");
    auto it = refresh_tokens.find(refresh);
    if (it == refresh_tokens.end() || it->second.client_id != app.client_id) return invalid_grant();
    const RefreshToken old = it->second;
    std::string next = refresh;
    if (options.oauth.rotate_refresh_tokens) {
      refresh_tokens.erase(it);
      next = new_refresh_token(old.user_id, old.client_id, old.scope);
    }
    return issue_tokens(old.user_id, old.client_id, old.scope, next, nullptr);
  }

  static http::ServerResponse invalid_client(bool basic) {
    auto r = oauth_error(401, "invalid_client",
                         "The client identifier provided is invalid, the client failed to authenticate, the client did "
                         "not include its credentials, provided multiple client credentials, or used unsupported "
                         "credentials type.");
    if (basic) r.headers.set("WWW-Authenticate", "Basic realm=\"Harvest ID\"");
    return r;
  }

  static http::ServerResponse invalid_grant() {
    return oauth_error(400, "invalid_grant",
                       "The provided authorization grant is invalid, expired, revoked, does not match the redirection "
                       "URI used in the authorization request, or was issued to another client.");
  }

  // ---- Bearer tokens, account header, rate limits ------------------------------------------

  // The token's record when the request carries a valid one (header or access_token query).
  const AccessToken* bearer(const http::ServerRequest& req, const Params& q, std::string& value) const {
    if (auto auth = req.headers.get("Authorization"); auth && auth->size() > 7 && iequals(auth->substr(0, 7), "Bearer ")) {
      value = std::string(auth->substr(7));
    } else if (const auto* t = q.get("access_token")) {
      value = *t;
    } else {
      return nullptr;
    }
    auto it = access_tokens.find(value);
    if (it == access_tokens.end()) return nullptr;
    if (it->second.expires && now() >= *it->second.expires) return nullptr;
    return &it->second;
  }

  static bool scope_allows(std::string_view scope, std::uint64_t account_id) {
    const std::string want = "harvest:" + std::to_string(account_id);
    std::size_t pos = 0;
    while (pos <= scope.size()) {
      std::size_t end = scope.find_first_of(" +", pos);
      if (end == std::string_view::npos) end = scope.size();
      const auto item = scope.substr(pos, end - pos);
      if (item == "all" || item == "harvest:all" || item == want) return true;
      pos = end + 1;
    }
    return false;
  }

  // Retry-After seconds when the token is over its limit; 0 when the request may go on.
  long rate_limit(const std::string& token, bool reports) {
    if (!options.rate_limits.enabled) return 0;
    auto& hits = (reports ? report_hits : general_hits)[token];
    const auto window = reports ? options.rate_limits.reports_window : options.rate_limits.general_window;
    const unsigned limit = reports ? options.rate_limits.reports_limit : options.rate_limits.general_limit;
    const auto t = now();
    while (!hits.empty() && hits.front() + window <= t) hits.pop_front();
    if (hits.size() >= limit) {
      const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(hits.front() + window - t);
      return std::max<long>(1, static_cast<long>((wait.count() + 999) / 1000));
    }
    hits.push_back(t);
    return 0;
  }

  static bool has_user_agent(const http::ServerRequest& req) {
    auto ua = req.headers.get("User-Agent");
    return ua && !ua->empty();
  }

  static http::ServerResponse missing_user_agent() {
    return message_answer(400, "Bad Request",
                          "Missing User-Agent header: send one like 'User-Agent: MyApp (yourname@example.com)'.");
  }

  http::ServerResponse accounts_endpoint(const http::ServerRequest& req, const Params& q) {
    if (!has_user_agent(req)) return missing_user_agent();
    std::string token;
    const AccessToken* t = bearer(req, q, token);
    if (!t) return invalid_token();
    const UserRecord* user = user_by_id(t->user_id);
    if (!user) return invalid_token();
    json::object o;
    o["user"] = json::object{{"id", user->id}, {"first_name", user->first_name}, {"last_name", user->last_name},
                             {"email", user->email}};
    json::array list;
    for (auto id : user->account_ids)
      if (const auto* a = account(id))
        list.push_back(json::object{{"id", a->id}, {"name", a->name}, {"product", a->product},
                                    {"google_sign_in_required", false}});
    o["accounts"] = std::move(list);
    return json_answer(200, json::serialize(o));
  }

  // ---- API v2 -----------------------------------------------------------------------------

  Outcome api(const http::ServerRequest& req, std::string_view path, const Params& q) {
    ++counters["api_requests"];
    if (!has_user_agent(req)) return {missing_user_agent()};
    std::string token;
    const AccessToken* t = bearer(req, q, token);
    if (!t) return {invalid_token()};
    UserRecord* user = user_by_id(t->user_id);
    std::string account_text;
    if (auto h = req.headers.get("Harvest-Account-Id")) account_text = std::string(*h);
    else if (const auto* a = q.get("account_id")) account_text = *a;
    std::uint64_t account_id = 0;
    const EmulatorAccount* acc = nullptr;
    if (!user || !parse_u64(account_text, account_id) || !(acc = account(account_id)) || acc->product != "harvest" ||
        std::find(user->account_ids.begin(), user->account_ids.end(), account_id) == user->account_ids.end() ||
        !scope_allows(t->scope, account_id))
      return {invalid_token()};
    const bool reports = path.rfind("/v2/reports/", 0) == 0;
    if (long wait = rate_limit(token, reports)) {
      ++counters["rate_limited"];
      auto r = message_answer(429, "Too Many Requests",
                              reports ? "Rate limit exceeded: 100 report requests per 15 minutes."
                                      : "Rate limit exceeded: 100 requests per 15 seconds.");
      r.headers.set("Retry-After", std::to_string(wait));
      return {r};
    }
    const bool get = req.method == "GET";
    const bool privileged = user->role != "member";
    auto forbidden = [] {
      return message_answer(403, "Forbidden", "Admin or Project Manager permissions required for this endpoint.");
    };
    if (path == "/v2/users/me" && get) {
      std::string out;
      data.append_user_json(out, *user);
      return {json_answer(200, std::move(out))};
    }
    if (path == "/v2/company" && get) return {json_answer(200, company_json(*acc))};
    if (path == "/v2/time_entries") {
      if (get) return time_entries(q, *user);
      if (req.method == "POST") return {create_time_entry(req, *user)};
    }
    if (path.rfind("/v2/time_entries/", 0) == 0 && get) {
      std::uint64_t id = 0;
      const auto index = parse_u64(path.substr(17), id) ? data.entry_index(id) : -1;
      if (index < 0 || (!privileged && data.entries[static_cast<std::size_t>(index)].user != user_index(*user)))
        return {message_answer(404, "Not Found", "No time entry with that id.")};
      std::string out;
      data.append_entry_json(out, static_cast<std::uint32_t>(index));
      return {json_answer(200, std::move(out))};
    }
    if (get && (path == "/v2/projects" || path == "/v2/clients" || path == "/v2/users" || path == "/v2/tasks")) {
      if (!privileged) return {forbidden()};
      return simple_list(path.substr(4), q);
    }
    if (path == "/v2/reports/time/projects" && get) {
      if (!privileged) return {forbidden()};
      return project_report(q);
    }
    return {message_answer(404, "Not Found", "No such API endpoint in the emulator.")};
  }

  std::string company_json(const EmulatorAccount& acc) const {
    json::object o;
    o["base_uri"] = "https://emulated.harvestapp.com";
    o["full_domain"] = "emulated.harvestapp.com";
    o["name"] = acc.name;
    o["is_active"] = true;
    o["week_start_day"] = "Monday";
    o["wants_timestamp_timers"] = false;
    o["time_format"] = "hours_minutes";
    o["date_format"] = "%Y-%m-%d";
    o["plan_type"] = "sponsored";
    o["clock"] = "24h";
    o["currency_code_display"] = "iso_code_none";
    o["currency_symbol_display"] = "symbol_before";
    o["decimal_symbol"] = ".";
    o["thousands_separator"] = ",";
    o["color_scheme"] = "orange";
    o["weekly_capacity"] = 126000;
    o["expense_feature"] = true;
    o["invoice_feature"] = true;
    o["estimate_feature"] = true;
    o["approval_feature"] = true;
    o["team_feature"] = true;
    return json::serialize(o);
  }

  // page/per_page/cursor; an error answer (422) when they are invalid.
  std::optional<http::ServerResponse> page_params(const Params& q, PageParams& pp) const {
    if (const auto* v = q.get("per_page")) {
      std::uint64_t n = 0;
      if (!parse_u64(*v, n) || n < 1 || n > max_per_page)
        return unprocessable("per_page must be an integer between 1 and 2000.");
      pp.per_page = n;
    }
    if (const auto* c = q.get("cursor")) {  // cursor wins over page
      pp.cursor_mode = true;
      auto text = base64url_decode(*c);
      boost::system::error_code ec;
      json::value v = text ? json::parse(*text, ec) : json::value();
      const json::object* o = (!text || ec) ? nullptr : v.if_object();
      const json::value* after = o ? o->if_contains("after") : nullptr;
      const json::value* before = o ? o->if_contains("before") : nullptr;
      const json::value* pos = after ? after : before;
      const json::value* id = pos && pos->is_object() ? pos->as_object().if_contains("id") : nullptr;
      if (!id || !(id->is_int64() || id->is_uint64())) return unprocessable("The cursor is invalid.");
      const auto value = id->to_number<std::uint64_t>();
      (after ? pp.after_id : pp.before_id) = value;
      return std::nullopt;
    }
    if (const auto* v = q.get("page")) {
      std::uint64_t n = 0;
      if (!parse_u64(*v, n) || n < 1) return unprocessable("page must be a positive integer.");
      pp.page = n;
    }
    return std::nullopt;
  }

  std::string link(std::string_view resource, const Params& q, const std::vector<std::pair<std::string, std::string>>& paging,
                   std::string_view ref = {}) const {
    urls::url u = urls::parse_uri(api_url() + "/" + std::string(resource)).value();
    for (const auto& [k, v] : paging) u.params().append({k, v});
    for (const auto& [k, v] : q.items)
      if (k != "page" && k != "per_page" && k != "cursor" && k != "ref" && !is_secret_param(k)) u.params().append({k, v});
    if (!ref.empty()) u.params().append({"ref", ref});
    return std::string(u.buffer());
  }

  static std::string cursor(std::string_view direction, std::uint64_t id) {
    const std::string text = "{\"" + std::string(direction) + "\":{\"id\":" + std::to_string(id) + "}}";
    return crypto::base64url_encode(crypto::bytes_view(reinterpret_cast<const unsigned char*>(text.data()), text.size()));
  }

  // Writes `key`: the page of `items` (in list order) and Harvest's pagination fields.
  // position(id) gives the index of the item with that id in `items`, or items.size().
  template <class Append, class IdOf, class Position>
  http::ServerResponse page_answer(std::string_view key, std::string_view resource, const Params& q,
                                   const PageParams& pp, std::size_t total, bool cursor_default, Append append,
                                   IdOf id_of, Position position) const {
    const std::size_t per = pp.per_page;
    const std::size_t total_pages = std::max<std::size_t>(1, (total + per - 1) / per);
    // An explicit page= asks for page mode even where cursors are the default.
    const bool cursor_mode = pp.cursor_mode || (cursor_default && !q.get("page"));
    std::size_t begin = 0;
    if (pp.after_id) {
      begin = position(*pp.after_id);
      if (begin < total) ++begin;
    } else if (pp.before_id) {
      const std::size_t end = position(*pp.before_id);
      begin = end > per ? end - per : 0;
    } else if (!cursor_mode) {
      begin = (pp.page - 1) * per;
    }
    if (begin > total) begin = total;
    const std::size_t end = std::min(total, begin + per);

    std::string out;
    out.reserve((end - begin) * 1100 + 512);
    out += "{\"";
    out += key;
    out += "\":[";
    for (std::size_t i = begin; i < end; ++i) {
      if (i != begin) out += ',';
      append(out, i);
    }
    out += "],\"per_page\":" + std::to_string(per) + ",\"total_pages\":" + std::to_string(total_pages) +
           ",\"total_entries\":" + std::to_string(total);
    const auto number = [](std::optional<std::size_t> n) { return n ? std::to_string(*n) : std::string("null"); };
    const auto quoted = [](const std::optional<std::string>& s) { return s ? detail::json_quote(*s) : std::string("null"); };
    std::optional<std::size_t> page, next_page, previous_page;
    std::optional<std::string> first, next, previous, last;
    const std::string per_text = std::to_string(per);
    if (!cursor_mode) {
      page = pp.page;
      if (pp.page < total_pages) next_page = pp.page + 1;
      if (pp.page > 1) previous_page = pp.page - 1;
      first = link(resource, q, {{"page", "1"}, {"per_page", per_text}});
      if (next_page) next = link(resource, q, {{"page", std::to_string(*next_page)}, {"per_page", per_text}});
      if (previous_page) previous = link(resource, q, {{"page", std::to_string(*previous_page)}, {"per_page", per_text}});
      last = link(resource, q, {{"page", std::to_string(total_pages)}, {"per_page", per_text}});
    } else {
      // Harvest: page, next_page and previous_page are null except on the first and last pages.
      const bool is_first = begin == 0, is_last = end >= total;
      if (is_first) {
        page = 1;
        if (total_pages > 1) next_page = 2;
      } else if (is_last) {
        page = total_pages;
        previous_page = total_pages - 1;
      }
      first = link(resource, q, {{"per_page", per_text}}, "first");
      if (!is_last) next = link(resource, q, {{"cursor", cursor("after", id_of(end - 1))}, {"per_page", per_text}}, "next_cursor");
      if (!is_first && begin < total)
        previous = link(resource, q, {{"cursor", cursor("before", id_of(begin))}, {"per_page", per_text}}, "previous_cursor");
      last = link(resource, q, {{"page", std::to_string(total_pages)}, {"per_page", per_text}});
    }
    out += ",\"next_page\":" + number(next_page) + ",\"previous_page\":" + number(previous_page) +
           ",\"page\":" + number(page) + ",\"links\":{\"first\":" + quoted(first) + ",\"next\":" + quoted(next) +
           ",\"previous\":" + quoted(previous) + ",\"last\":" + quoted(last) + "}}";
    return json_answer(200, std::move(out));
  }

  Outcome time_entries(const Params& q, const UserRecord& user) {
    PageParams pp;
    if (auto err = page_params(q, pp)) return {*err};
    // Filters.
    std::int32_t from = INT32_MIN, to = INT32_MAX;
    std::int64_t updated_since = INT64_MIN;
    std::optional<std::uint64_t> project_id, user_id, client_id, task_id;
    if (const auto* v = q.get("from"); v && !detail::parse_date(*v, from))
      return {unprocessable("from must be a date like 2017-12-31.")};
    if (const auto* v = q.get("to"); v && !detail::parse_date(*v, to))
      return {unprocessable("to must be a date like 2017-12-31.")};
    if (const auto* v = q.get("updated_since"); v && !detail::parse_datetime(*v, updated_since))
      return {unprocessable("updated_since must be an ISO 8601 date-time like 2017-12-31T14:59:22Z.")};
    const std::pair<const char*, std::optional<std::uint64_t>*> ids[] = {
        {"project_id", &project_id}, {"user_id", &user_id}, {"client_id", &client_id}, {"task_id", &task_id}};
    for (const auto& [name, slot] : ids) {
      if (const auto* v = q.get(name)) {
        std::uint64_t n = 0;
        if (!parse_u64(*v, n)) return {unprocessable(std::string(name) + " must be an integer id.")};
        *slot = n;
      }
    }
    bool none = q.value("is_billed") == "true" || q.value("is_running") == "true";
    if (user.role == "member") {  // members see their own time only
      if (user_id && *user_id != user.id) none = true;
      user_id = user.id;
    }
    const bool filtered = none || from != INT32_MIN || to != INT32_MAX || updated_since != INT64_MIN || project_id ||
                          user_id || client_id || task_id;
    std::vector<std::uint32_t> matches;
    const std::vector<std::uint32_t>* list = &data.order;
    if (filtered) {
      if (!none) {
        for (std::uint32_t index : data.order) {
          const auto& e = data.entries[index];
          if (e.day < from || e.day > to || e.updated < updated_since) continue;
          if (user_id && data.users[e.user].id != *user_id) continue;
          const auto& p = data.projects[e.project];
          if (project_id && p.id != *project_id) continue;
          if (client_id && data.clients[p.client].id != *client_id) continue;
          if (task_id && data.tasks[e.task].id != *task_id) continue;
          matches.push_back(index);
        }
      }
      list = &matches;
    }
    const auto& items = *list;
    auto position = [&](std::uint64_t id) -> std::size_t {
      const auto index = data.entry_index(id);
      if (index < 0) return items.size();
      const auto at = static_cast<std::uint32_t>(index);
      auto it = std::partition_point(items.begin(), items.end(), [&](std::uint32_t x) { return data.before(x, at); });
      return static_cast<std::size_t>(it - items.begin());
    };
    return {page_answer(
                "time_entries", "time_entries", q, pp, items.size(), options.cursor_pagination,
                [&](std::string& out, std::size_t i) { data.append_entry_json(out, items[i]); },
                [&](std::size_t i) { return Dataset::entry_id(items[i]); }, position),
            true};
  }

  http::ServerResponse create_time_entry(const http::ServerRequest& req, const UserRecord& user) {
    Params body;
    if (req.headers.get("Content-Type").value_or("").find("application/json") != std::string_view::npos) {
      boost::system::error_code ec;
      auto v = json::parse(req.body, ec);
      if (ec || !v.is_object()) return unprocessable("The request body is not a JSON object.");
      for (const auto& [k, val] : v.as_object()) {
        if (val.is_string()) body.items.emplace_back(std::string(k), std::string(val.as_string()));
        else if (val.is_number() || val.is_bool()) body.items.emplace_back(std::string(k), json::serialize(val));
      }
    } else {
      auto p = parse_params(req.body);
      if (!p) return unprocessable("The request body is not valid form data.");
      body = std::move(*p);
    }
    std::uint64_t project_id = 0, task_id = 0, user_id = user.id;
    if (!parse_u64(body.value("project_id"), project_id)) return unprocessable("Project can't be blank (project_id).");
    if (!parse_u64(body.value("task_id"), task_id)) return unprocessable("Task can't be blank (task_id).");
    std::int32_t day = 0;
    if (!detail::parse_date(body.value("spent_date"), day)) return unprocessable("Spent date can't be blank (spent_date, like 2017-12-31).");
    if (const auto* v = body.get("user_id"); v && !parse_u64(*v, user_id)) return unprocessable("user_id must be an integer id.");
    if (user_id != user.id && user.role == "member") return message_answer(403, "Forbidden", "Members may only track their own time.");
    detail::EntryRecord e;
    const auto find = [](const auto& records, std::uint64_t id) -> std::int64_t {
      for (std::size_t i = 0; i < records.size(); ++i)
        if (records[i].id == id) return static_cast<std::int64_t>(i);
      return -1;
    };
    const auto p = find(data.projects, project_id), t = find(data.tasks, task_id), u = find(data.users, user_id);
    if (p < 0) return unprocessable("Project not found (project_id).");
    if (t < 0) return unprocessable("Task not found (task_id).");
    if (u < 0) return unprocessable("User not found (user_id).");
    double hours = 0;
    if (const auto* v = body.get("hours"); v && !v->empty()) {
      auto r = std::from_chars(v->data(), v->data() + v->size(), hours);
      if (r.ec != std::errc() || r.ptr != v->data() + v->size() || hours < 0 || hours > 24)
        return unprocessable("hours must be a number between 0 and 24.");
    }
    e.day = day;
    e.project = static_cast<std::uint32_t>(p);
    e.task = static_cast<std::uint32_t>(t);
    e.user = static_cast<std::uint32_t>(u);
    e.centi_hours = static_cast<std::uint32_t>(std::lround(hours * 100));
    e.notes = data.add_note(body.value("notes"));
    e.billable = data.projects[e.project].billable && data.tasks[e.task].billable_by_default;
    e.created = e.updated = wall_now();
    const auto index = data.add_entry(e);
    std::string out;
    data.append_entry_json(out, index);
    auto r = json_answer(201, std::move(out));
    r.headers.set("Location", api_url() + "/time_entries/" + std::to_string(Dataset::entry_id(index)));
    return r;
  }

  Outcome simple_list(std::string_view resource, const Params& q) {
    PageParams pp;
    if (auto err = page_params(q, pp)) return {*err};
    std::int64_t updated_since = INT64_MIN;
    if (const auto* v = q.get("updated_since"); v && !detail::parse_datetime(*v, updated_since))
      return {unprocessable("updated_since must be an ISO 8601 date-time like 2017-12-31T14:59:22Z.")};
    const bool none = q.value("is_active") == "false";
    std::optional<std::uint64_t> client_id;
    if (const auto* v = q.get("client_id")) {
      std::uint64_t n = 0;
      if (!parse_u64(*v, n)) return {unprocessable("client_id must be an integer id.")};
      client_id = n;
    }
    // Newest first, as Harvest sorts these lists.
    const auto build = [&](const auto& records, auto&& keep) {
      std::vector<std::uint32_t> idx;
      if (none) return idx;
      for (std::size_t i = records.size(); i-- > 0;)
        if (records[i].updated >= updated_since && keep(records[i])) idx.push_back(static_cast<std::uint32_t>(i));
      return idx;
    };
    const auto all = [](const auto&) { return true; };
    const auto answer = [&](std::string_view key, const auto& records, const std::vector<std::uint32_t>& idx, auto&& append) {
      auto id_of = [&](std::size_t i) { return records[idx[i]].id; };
      auto position = [&](std::uint64_t id) {
        for (std::size_t i = 0; i < idx.size(); ++i)
          if (records[idx[i]].id == id) return i;
        return idx.size();
      };
      return page_answer(key, resource, q, pp, idx.size(), false,
                         [&](std::string& out, std::size_t i) { append(out, records[idx[i]]); }, id_of, position);
    };
    if (resource == "users") {
      auto idx = build(data.users, all);
      return {answer("users", data.users, idx, [&](std::string& o, const auto& r) { data.append_user_json(o, r); }), true};
    }
    if (resource == "clients") {
      auto idx = build(data.clients, all);
      return {answer("clients", data.clients, idx, [&](std::string& o, const auto& r) { data.append_client_json(o, r); }), true};
    }
    if (resource == "projects") {
      auto idx = build(data.projects, [&](const detail::ProjectRecord& p) { return !client_id || data.clients[p.client].id == *client_id; });
      return {answer("projects", data.projects, idx, [&](std::string& o, const auto& r) { data.append_project_json(o, r); }), true};
    }
    auto idx = build(data.tasks, all);
    return {answer("tasks", data.tasks, idx, [&](std::string& o, const auto& r) { data.append_task_json(o, r); }), true};
  }

  Outcome project_report(const Params& q) {
    PageParams pp;
    if (auto err = page_params(q, pp)) return {*err};
    std::int32_t from = 0, to = 0;
    if (!detail::parse_date(q.value("from"), from) || !detail::parse_date(q.value("to"), to))
      return {unprocessable("from and to are required dates (YYYYMMDD or 2017-12-31).")};
    struct Sum {
      std::uint64_t total = 0, billable = 0;
      double amount = 0;
    };
    std::vector<Sum> sums(data.projects.size());
    for (const auto& e : data.entries) {
      if (e.day < from || e.day > to) continue;
      auto& s = sums[e.project];
      s.total += e.centi_hours;
      if (e.billable) {
        s.billable += e.centi_hours;
        s.amount += e.centi_hours / 100.0 * data.projects[e.project].hourly_rate;
      }
    }
    std::vector<std::uint32_t> idx;
    for (std::uint32_t i = 0; i < sums.size(); ++i)
      if (sums[i].total > 0) idx.push_back(i);
    auto append = [&](std::string& out, std::size_t i) {
      const auto& p = data.projects[idx[i]];
      const auto& c = data.clients[p.client];
      const auto& s = sums[idx[i]];
      json::object o;
      o["client_id"] = c.id;
      o["client_name"] = c.name;
      o["project_id"] = p.id;
      o["project_name"] = p.name;
      o["total_hours"] = static_cast<double>(s.total) / 100.0;
      o["billable_hours"] = static_cast<double>(s.billable) / 100.0;
      o["currency"] = c.currency;
      o["billable_amount"] = std::round(s.amount * 100) / 100;
      out += json::serialize(o);
    };
    auto id_of = [&](std::size_t i) { return data.projects[idx[i]].id; };
    auto position = [&](std::uint64_t id) {
      for (std::size_t i = 0; i < idx.size(); ++i)
        if (data.projects[idx[i]].id == id) return i;
      return idx.size();
    };
    return {page_answer("results", "reports/time/projects", q, pp, idx.size(), false, append, id_of, position), true};
  }

  // ---- dispatch, faults, log --------------------------------------------------------------

  Outcome route(const http::ServerRequest& req) {
    auto target = urls::parse_origin_form(req.target);
    if (!target) return {message_answer(400, "Bad Request", "The request target is not a valid path and query.")};
    auto q = parse_params(target->encoded_query());
    if (!q) return {message_answer(400, "Bad Request", "The query string is malformed.")};
    const std::string path = target->path();
    if (path == "/oauth2/authorize") {
      if (req.method == "GET") return {authorize_get(*q)};
      if (req.method == "POST") {
        auto form = parse_params(req.body);
        if (!form) return {html_answer(400, error_page("The form data is malformed."))};
        return {authorize_post(*form)};
      }
    }
    if (path == "/api/v2/oauth2/token" && req.method == "POST") return {token(req)};
    if (path == "/api/v2/accounts" && req.method == "GET") return {accounts_endpoint(req, *q)};
    if (path.rfind("/v2/", 0) == 0) return api(req, path, *q);
    return {message_answer(404, "Not Found", "No such endpoint in the Harvest emulator.")};
  }

  bool draw(unsigned& next, double rate) {
    if (next > 0) {
      --next;
      return true;
    }
    return rate > 0 && std::uniform_real_distribution<double>(0.0, 1.0)(fault_rng) < rate;
  }

  static std::string redact_query(std::string_view encoded) {
    std::string out;
    std::size_t pos = 0;
    while (pos <= encoded.size() && !encoded.empty()) {
      std::size_t end = encoded.find('&', pos);
      if (end == std::string_view::npos) end = encoded.size();
      const auto item = encoded.substr(pos, end - pos);
      const auto eq = item.find('=');
      const auto key_enc = item.substr(0, eq);
      const auto key_dec = form_decode(key_enc);
      if (!out.empty()) out += '&';
      if (eq != std::string_view::npos && key_dec && is_secret_param(*key_dec)) {
        out += key_enc;
        out += '=';
        out += redacted;
      } else {
        out += item;
      }
      pos = end + 1;
    }
    return out;
  }

  static std::string redact_target(std::string_view target) {
    const auto qm = target.find('?');
    if (qm == std::string_view::npos) return std::string(target);
    return std::string(target.substr(0, qm + 1)) + redact_query(target.substr(qm + 1));
  }

  static std::string redact_body(const http::ServerRequest& req) {
    if (req.body.empty()) return {};
    const auto type = req.headers.get("Content-Type").value_or("");
    if (type.find("application/json") != std::string_view::npos) {
      boost::system::error_code ec;
      auto v = json::parse(req.body, ec);
      if (ec || !v.is_object()) return req.body.size() > 4096 ? req.body.substr(0, 4096) : req.body;
      for (auto& [k, val] : v.as_object())
        if (is_secret_param(k)) val = redacted;
      return json::serialize(v);
    }
    if (type.find("application/x-www-form-urlencoded") != std::string_view::npos || type.empty())
      return redact_query(req.body);
    return req.body.size() > 4096 ? req.body.substr(0, 4096) : req.body;
  }

  void record(const http::ServerRequest& req, int status, std::string fault) {
    RequestLogEntry e;
    e.method = req.method;
    e.target = redact_target(req.target);
    e.status = status;
    for (const auto& [k, v] : req.headers) {
      const bool secret = iequals(k, "Authorization") || iequals(k, "Harvest-Account-Id") || iequals(k, "Cookie");
      e.headers.emplace_back(k, secret ? std::string(redacted) : v);
    }
    e.body = redact_body(req);
    e.fault = std::move(fault);
    log.push_back(std::move(e));
    while (log.size() > options.request_log_limit) log.pop_front();
  }

  http::ServerResponse handle(const http::ServerRequest& req) {
    std::lock_guard lock(mutex);
    ++counters["requests"];
    const bool matches = req.target.rfind(faults.path_prefix, 0) == 0;
    if (matches && draw(faults.drop_next, faults.drop_rate)) {
      ++counters["faults.dropped"];
      record(req, 0, "dropped");
      http::ServerResponse r;
      r.fault = http::ServerResponse::Fault::close_without_answer;
      r.delay = faults.latency;
      return r;
    }
    if (matches && draw(faults.error_next, faults.error_rate)) {
      ++counters["faults.errors"];
      const int status = faults.error_status;
      const char* name = status == 503   ? "Service Unavailable"
                         : status == 429 ? "Too Many Requests"
                                         : "Internal Server Error";
      http::ServerResponse r;
      if (faults.bare_errors) {
        r.status = status;
        r.headers.set("Content-Type", "text/html");
      } else {
        r = message_answer(status, name, "Injected fault: the emulator answers this request with an error.");
      }
      if (!faults.retry_after_header.empty()) {
        r.headers.set("Retry-After", faults.retry_after_header);
      } else if (faults.retry_after_seconds > 0) {
        r.headers.set("Retry-After", std::to_string(faults.retry_after_seconds));
      }
      r.delay = faults.latency;
      record(req, status, "error");
      return r;
    }
    Outcome out = route(req);
    http::ServerResponse r = std::move(out.response);
    if (options.indent_json && req.target.rfind("/v2/", 0) == 0) r.body = indented(r.body);
    if (matches) {
      r.delay = faults.latency + (out.paginated ? faults.page_latency : std::chrono::milliseconds(0));
      if (draw(faults.truncate_next, faults.truncate_rate)) {
        ++counters["faults.truncated"];
        r.fault = http::ServerResponse::Fault::truncate_body;
        record(req, r.status, "truncated");
        return r;
      }
    }
    record(req, r.status, {});
    return r;
  }
};

EmulatorService::EmulatorService(EmulatorOptions options) : impl_(std::make_unique<impl>(std::move(options))) {}
EmulatorService::~EmulatorService() = default;

void EmulatorService::set_base_url(const std::string& base_url) {
  auto parsed = urls::parse_absolute_uri(base_url);
  if (!parsed || (parsed->scheme() != "http" && parsed->scheme() != "https"))
    throw error(errc::validation_failed, "the emulator's base URL must be an absolute http(s) URL");
  std::lock_guard lock(impl_->mutex);
  impl_->base_url = base_url;
  while (!impl_->base_url.empty() && impl_->base_url.back() == '/') impl_->base_url.pop_back();
}

std::string EmulatorService::id_url() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->base_url;
}

std::string EmulatorService::api_url() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->api_url();
}

http::ServerResponse EmulatorService::handle(const http::ServerRequest& request) { return impl_->handle(request); }

OAuthApp EmulatorService::register_app(const std::string& name, const std::string& redirect_url, bool multi_account,
                                       bool forecast) {
  auto parsed = urls::parse_absolute_uri(redirect_url);
  if (!parsed || (parsed->scheme() != "http" && parsed->scheme() != "https"))
    throw error(errc::validation_failed, "redirect_url must be an absolute http:// or https:// URL (Harvest accepts no other schemes)");
  if (name.empty()) throw error(errc::validation_failed, "the OAuth application needs a name");
  OAuthApp app{name, random_token(18), random_token(48), redirect_url, multi_account, forecast};
  std::lock_guard lock(impl_->mutex);
  impl_->apps[app.client_id] = app;
  return app;
}

EmulatorUser EmulatorService::add_user(const std::string& first_name, const std::string& last_name,
                                       const std::string& email, const std::string& password, const std::string& role,
                                       const std::vector<std::uint64_t>& account_ids) {
  if (role != "administrator" && role != "manager" && role != "member")
    throw error(errc::validation_failed, "role must be administrator, manager or member");
  if (email.find('@') == std::string::npos) throw error(errc::validation_failed, "email must be an email address");
  std::lock_guard lock(impl_->mutex);
  if (impl_->user_by_email(email)) throw error(errc::duplicate_name, "a user with that email exists already");
  for (auto id : account_ids)
    if (!impl_->account(id)) throw error(errc::not_found, "no account with id " + std::to_string(id));
  UserRecord u;
  u.id = 0;
  for (const auto& x : impl_->data.users) u.id = std::max(u.id, x.id);
  ++u.id;
  u.first_name = first_name;
  u.last_name = last_name;
  u.email = email;
  u.password = password;
  u.role = role;
  u.account_ids = account_ids.empty() ? std::vector<std::uint64_t>{impl_->default_account, impl_->default_forecast} : account_ids;
  u.created = u.updated = impl_->wall_now();
  return impl::public_user(impl_->data.add_user(std::move(u)));
}

EmulatorAccount EmulatorService::add_account(const std::string& name, const std::string& product,
                                             const std::vector<std::uint64_t>& user_ids) {
  if (product != "harvest" && product != "forecast") throw error(errc::validation_failed, "product must be harvest or forecast");
  std::lock_guard lock(impl_->mutex);
  std::vector<UserRecord*> users;
  for (auto id : user_ids) {
    auto* u = impl_->user_by_id(id);
    if (!u) throw error(errc::not_found, "no user with id " + std::to_string(id));
    users.push_back(u);
  }
  if (users.empty()) users.push_back(&impl_->data.users.front());
  EmulatorAccount a{impl_->next_account_id++, name, product};
  impl_->accounts.push_back(a);
  for (auto* u : users) u->account_ids.push_back(a.id);
  return a;
}

EmulatorUser EmulatorService::default_user() const {
  std::lock_guard lock(impl_->mutex);
  return impl::public_user(impl_->data.users.front());
}

std::vector<EmulatorAccount> EmulatorService::accounts() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->accounts;
}

std::uint64_t EmulatorService::default_account_id() const { return impl_->default_account; }

std::string EmulatorService::approve(const std::string& authorization_url, const std::string& email,
                                     const std::string& password, std::uint64_t account_id) {
  std::lock_guard lock(impl_->mutex);
  return impl_->approve(authorization_url, email, password, account_id, true);
}

std::string EmulatorService::deny(const std::string& authorization_url) {
  std::lock_guard lock(impl_->mutex);
  return impl_->approve(authorization_url, {}, {}, 0, false);
}

std::string EmulatorService::create_personal_access_token(std::uint64_t user_id) {
  std::lock_guard lock(impl_->mutex);
  const UserRecord* u = user_id == 0 ? &impl_->data.users.front() : impl_->user_by_id(user_id);
  if (!u) throw error(errc::not_found, "no user with id " + std::to_string(user_id));
  std::string value = std::to_string(u->id) + ".pt." + random_token(48);
  impl_->access_tokens[value] = {u->id, {}, "all", std::nullopt};
  return value;
}

void EmulatorService::expire_tokens() {
  std::lock_guard lock(impl_->mutex);
  const auto t = impl_->now();
  for (auto& [_, token] : impl_->access_tokens) token.expires = t;
}

void EmulatorService::advance_clock(std::chrono::milliseconds by) {
  if (by.count() < 0) throw error(errc::validation_failed, "the emulator's clock only moves forward");
  std::lock_guard lock(impl_->mutex);
  impl_->skew += by;
}

void EmulatorService::set_faults(const Faults& faults) {
  if (faults.drop_rate < 0 || faults.drop_rate > 1 || faults.error_rate < 0 || faults.error_rate > 1 ||
      faults.truncate_rate < 0 || faults.truncate_rate > 1)
    throw error(errc::validation_failed, "fault rates must be between 0 and 1");
  if ((faults.error_status < 500 || faults.error_status > 599) && faults.error_status != 429)
    throw error(errc::validation_failed, "error_status must be 429 or a 5xx status");
  if (faults.latency.count() < 0 || faults.page_latency.count() < 0)
    throw error(errc::validation_failed, "latencies must not be negative");
  std::lock_guard lock(impl_->mutex);
  impl_->faults = faults;
}

void EmulatorService::clear_faults() {
  std::lock_guard lock(impl_->mutex);
  impl_->faults = Faults{};
}

std::vector<RequestLogEntry> EmulatorService::request_log() const {
  std::lock_guard lock(impl_->mutex);
  return {impl_->log.begin(), impl_->log.end()};
}

void EmulatorService::clear_request_log() {
  std::lock_guard lock(impl_->mutex);
  impl_->log.clear();
}

std::map<std::string, std::uint64_t> EmulatorService::counters() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->counters;
}

std::size_t EmulatorService::time_entry_count() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->data.entries.size();
}

}  // namespace harvest_connect::testing

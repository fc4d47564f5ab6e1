// The emulator's ID service (id.getharvest.com): the authorization request and its consent
// page, the token endpoint (codes, refresh, client authentication) and /api/v2/accounts.
#include "testing/detail/emulator_state.hpp"

#include <algorithm>

#include <boost/json.hpp>
#include <boost/url.hpp>

#include "harvest_connect/crypto/encoding.hpp"
#include "harvest_connect/error.hpp"
#include "crypto/detail/constant_time.hpp"
#include "crypto/detail/digest.hpp"

namespace harvest_connect::testing {

namespace {

namespace json = boost::json;
namespace urls = boost::urls;
using namespace detail;  // the emulator's vocabulary (emulator_http.hpp, emulator_state.hpp)
using http::detail::html_escape;
using http::detail::iequals;

}  // namespace

std::string EmulatorService::impl::check_client(const AuthRequest& a, const OAuthApp*& app) const {
  auto it = apps.find(a.client_id);
  if (a.client_id.empty() || it == apps.end()) return "Unknown client_id: no OAuth application is registered with it.";
  app = &it->second;
  if (!a.redirect_uri.empty() && a.redirect_uri.rfind(app->redirect_url, 0) != 0)
    return "The redirect_uri does not start with the Redirect URL registered for this application.";
  return {};
}

std::string EmulatorService::impl::redirect_with(const std::string& target, const std::vector<std::pair<std::string, std::string>>& params) {
  urls::url u = urls::parse_uri_reference(target).value();
  for (const auto& [k, v] : params) u.encoded_params().append({k, pct(v)});
  return std::string(u.buffer());
}

std::string EmulatorService::impl::redirect_error(const AuthRequest& a) {
  if (a.response_type != "code") return "unsupported_response_type";
  if (!a.code_challenge.empty() && !a.code_challenge_method.empty() && a.code_challenge_method != "S256" &&
      a.code_challenge_method != "plain")
    return "invalid_request";
  return {};
}

std::string EmulatorService::impl::scope_for(const OAuthApp& app, const UserRecord& user, std::uint64_t account_id) const {
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

std::uint64_t EmulatorService::impl::first_harvest_account(const UserRecord& user) const {
  for (auto id : user.account_ids)
    if (const auto* acc = account(id); acc && acc->product == "harvest") return id;
  return 0;
}

std::string EmulatorService::impl::decide(const AuthRequest& a, const OAuthApp& app, const UserRecord* user, std::uint64_t account_id,
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

std::string EmulatorService::impl::consent_page(const AuthRequest& a, const OAuthApp& app, std::string_view problem,
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

http::ServerResponse EmulatorService::impl::authorize_get(const Params& q) {
  const AuthRequest a = AuthRequest::from(q);
  const OAuthApp* app = nullptr;
  if (auto problem = check_client(a, app); !problem.empty()) return html_answer(400, error_page(problem));
  if (!redirect_error(a).empty()) return redirect(decide(a, *app, nullptr, 0, false));
  return html_answer(200, consent_page(a, *app, {}, {}));
}

http::ServerResponse EmulatorService::impl::redirect(const std::string& location) {
  http::ServerResponse r;
  r.status = 302;
  r.headers.set("Location", location);
  r.headers.set("Cache-Control", "no-store");
  r.headers.set("Content-Type", "text/html; charset=utf-8");
  r.body = "<!doctype html><a href=\"" + html_escape(location) + "\">Continue</a>";
  return r;
}

http::ServerResponse EmulatorService::impl::authorize_post(const Params& form) {
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

std::string EmulatorService::impl::approve(const std::string& url, const std::string& email, const std::string& password,
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

http::ServerResponse EmulatorService::impl::issue_tokens(std::uint64_t user_id, const std::string& client_id, const std::string& scope,
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

std::string EmulatorService::impl::new_refresh_token(std::uint64_t user_id, const std::string& client_id, const std::string& scope) {
  std::string value = std::to_string(user_id) + ".rt." + random_token(32);
  refresh_tokens[value] = {user_id, client_id, scope};
  return value;
}

http::ServerResponse EmulatorService::impl::token(const http::ServerRequest& req) {
  ++counters["token_requests"];
  auto answer = token_inner(req);
  if (answer.status != 200) ++counters["token_errors"];
  return answer;
}

http::ServerResponse EmulatorService::impl::token_inner(const http::ServerRequest& req) {
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

http::ServerResponse EmulatorService::impl::invalid_client(bool basic) {
  auto r = oauth_error(401, "invalid_client",
                       "The client identifier provided is invalid, the client failed to authenticate, the client did "
                       "not include its credentials, provided multiple client credentials, or used unsupported "
                       "credentials type.");
  if (basic) r.headers.set("WWW-Authenticate", "Basic realm=\"Harvest ID\"");
  return r;
}

http::ServerResponse EmulatorService::impl::invalid_grant() {
  return oauth_error(400, "invalid_grant",
                     "The provided authorization grant is invalid, expired, revoked, does not match the redirection "
                     "URI used in the authorization request, or was issued to another client.");
}

http::ServerResponse EmulatorService::impl::accounts_endpoint(const http::ServerRequest& req, const Params& q) {
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

}  // namespace harvest_connect::testing

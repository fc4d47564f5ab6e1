#include "testing/detail/emulator_http.hpp"

#include <algorithm>
#include <charconv>

#include <boost/json.hpp>
#include <boost/url.hpp>

#include "harvest_connect/crypto/encoding.hpp"
#include "harvest_connect/crypto/random.hpp"
#include "http/detail/text.hpp"

namespace harvest_connect::testing::detail {
namespace {

namespace json = boost::json;
namespace urls = boost::urls;
using http::detail::html_escape;

constexpr std::string_view invalid_token_body =
    R"({"error":"invalid_token","error_description":"The access token provided is expired, revoked, malformed or invalid for other reasons."})";

}  // namespace

bool is_secret_param(std::string_view key) {
  static constexpr std::string_view keys[] = {"code",        "state",      "access_token",  "refresh_token",
                                              "client_secret", "account_id", "code_verifier", "password"};
  return std::find(std::begin(keys), std::end(keys), key) != std::end(keys);
}

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

std::string error_page(std::string_view message) {
  return "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Harvest ID (emulator)</title><style>" +
         std::string(page_style) + "</style></head><body><main><h1>Harvest ID</h1><p class=\"err\">" +
         html_escape(message) + "</p></main></body></html>";
}

}  // namespace harvest_connect::testing::detail

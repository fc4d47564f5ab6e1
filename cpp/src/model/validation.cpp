#include "harvest_connect/model/validation.hpp"

#include <algorithm>
#include <optional>
#include <cctype>
#include <vector>

#include "harvest_connect/error.hpp"
#include "harvest_connect/http/url.hpp"

namespace harvest_connect::model {
namespace {

[[noreturn]] void fail(std::string_view field, const std::string& what) {
  throw error(errc::validation_failed, std::string(field) + ": " + what);
}

bool is_space(char c) { return c == ' ' || c == '\t'; }

bool is_control(unsigned char c) { return c < 0x20 || c == 0x7f; }

std::vector<std::string> split_scope(std::string_view scope) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : scope) {
    if (c == ' ' || c == '+') {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::string validate_name(std::string_view field, std::string_view name) {
  while (!name.empty() && is_space(name.front())) name.remove_prefix(1);
  while (!name.empty() && is_space(name.back())) name.remove_suffix(1);
  if (name.empty()) fail(field, "is required: give a name such as 'acme-harvest'");
  for (char c : name)
    if (is_control(static_cast<unsigned char>(c))) fail(field, "must not contain control characters");
  if (name.size() > max_name_length)
    fail(field, "must be at most " + std::to_string(max_name_length) + " characters long");
  return std::string(name);
}

void validate_account_id(const crypto::Secret& account_id) {
  std::string_view v = account_id.reveal_string();
  if (v.empty()) fail("account_id", "is required (the Harvest account ID, e.g. 123456)");
  if (!all_digits(v)) fail("account_id", "must be digits only (the Harvest account ID, e.g. 123456)");
  if (v.size() > 20) fail("account_id", "is too long for a Harvest account ID (at most 20 digits)");
}

void validate_secret(std::string_view field, const crypto::Secret& value) {
  if (value.empty()) fail(field, "is required and must not be empty");
  if (value.size() > 4096) fail(field, "is too long (at most 4096 bytes)");
  for (unsigned char c : value.reveal())
    if (is_control(c) || c == ' ') fail(field, "must not contain spaces or control characters (check for a pasted newline)");
}

std::string validate_url(std::string_view field, std::string_view url, bool base_url) {
  if (url.empty()) fail(field, "is required (an https:// URL)");
  if (url.size() > max_url_length)
    fail(field, "is too long (at most " + std::to_string(max_url_length) + " characters)");
  for (char c : url)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) fail(field, "must not contain spaces or control characters");
  // http::Url does the strict parsing (scheme, host, user info, port, escapes); the
  // endpoint policy on top of it is ours.
  std::optional<http::Url> parsed;
  try {
    parsed = http::Url::parse(url);
  } catch (const error& e) {
    fail(field, std::string(e.what()) + "; give an absolute URL such as https://example.com/path");
  }
  if (!parsed->is_https() && !http::is_loopback_host(parsed->host()))
    fail(field, "must use https:// (http:// is allowed only for 127.0.0.1, ::1 and localhost)");
  if (url.find('#') != std::string_view::npos) fail(field, "must not contain a fragment (#...)");
  if (base_url && url.find('?') != std::string_view::npos) fail(field, "must not contain a query (?...)");
  std::string out = parsed->str();
  if (base_url)
    while (out.size() > parsed->origin().size() && out.back() == '/') out.pop_back();
  return out;
}

void validate_user_agent(std::string_view ua) {
  const std::string hint = "give your app's name and a contact, like 'MyApp (you@example.com)' — Harvest asks for it";
  if (ua.empty()) fail("user_agent", "must not be empty: " + hint);
  if (ua.size() > 256) fail("user_agent", "must be at most 256 characters");
  for (char c : ua)
    if (is_control(static_cast<unsigned char>(c))) fail("user_agent", "must not contain control characters");
  auto open = ua.find('(');
  auto close = ua.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open || open == 0)
    fail("user_agent", hint);
  std::string_view contact = ua.substr(open + 1, close - open - 1);
  while (!contact.empty() && is_space(contact.front())) contact.remove_prefix(1);
  if (contact.starts_with("+")) contact.remove_prefix(1);
  const bool email = contact.find('@') != std::string_view::npos;
  const bool link = contact.starts_with("http://") || contact.starts_with("https://");
  if (!email && !link) fail("user_agent", hint);
}

std::string validate_scope(std::string_view scope, Provider provider) {
  if (scope.size() > max_scope_length)
    fail("scope", "is too long (at most " + std::to_string(max_scope_length) + " characters)");
  for (char c : scope)
    if (is_control(static_cast<unsigned char>(c))) fail("scope", "must not contain control characters");
  std::vector<std::string> tokens = split_scope(scope);
  if (tokens.empty()) fail("scope", "is empty; leave it unset to use the app's default");
  std::string out;
  for (const std::string& t : tokens) {
    if (provider == Provider::harvest) {
      auto colon = t.find(':');
      const std::string product = t.substr(0, colon);
      const bool ok = t == "all" || (colon != std::string::npos && (product == "harvest" || product == "forecast") &&
                                     (t.substr(colon + 1) == "all" || all_digits(t.substr(colon + 1))));
      if (!ok)
        fail("scope", "'" + t + "' is not a Harvest scope: use harvest:ACCOUNT_ID, forecast:ACCOUNT_ID, harvest:all, "
                      "forecast:all or all");
    }
    if (!out.empty()) out.push_back(' ');
    out += t;
  }
  return out;
}

void validate_new_passphrase(const crypto::Secret& passphrase) {
  if (passphrase.empty()) fail("passphrase", "must not be empty");
  for (unsigned char c : passphrase.reveal())
    if (is_control(c)) fail("passphrase", "must not contain control characters (check for a pasted newline)");
}

void validate_client_id(std::string_view client_id) {
  if (client_id.empty()) fail("client_id", "is required (the Client ID your OAuth app was given)");
  if (client_id.size() > 512) fail("client_id", "is too long (at most 512 characters)");
  for (char c : client_id)
    if (is_control(static_cast<unsigned char>(c)) || c == ' ')
      fail("client_id", "must not contain spaces or control characters");
}

void validate(NewOAuthClient& c) {
  c.name = validate_name("name", c.name);
  validate_client_id(c.client_id);
  validate_secret("client_secret", c.client_secret);
  auto url = [](std::string_view field, std::optional<std::string>& v) {
    if (v && v->empty()) v.reset();
    if (v) v = validate_url(field, *v);
  };
  url("authorize_url", c.authorize_url);
  url("token_url", c.token_url);
  url("revoke_url", c.revoke_url);
  url("redirect_uri", c.redirect_uri);
  if (c.provider == Provider::custom) {
    if (!c.authorize_url) fail("authorize_url", "is required for provider 'custom' (the provider's authorization endpoint)");
    if (!c.token_url) fail("token_url", "is required for provider 'custom' (the provider's token endpoint)");
  }
  if (c.scope && c.scope->empty()) c.scope.reset();
  if (c.scope) c.scope = validate_scope(*c.scope, c.provider);
}

}  // namespace harvest_connect::model

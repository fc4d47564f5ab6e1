#include "harvest_connect/oauth/token_response.hpp"

#include <openssl/crypto.h>

#include <boost/json.hpp>

#include <algorithm>
#include <memory>
#include <string>

#include "harvest_connect/error.hpp"
#include "http/detail/text.hpp"
#include "oauth/detail/url_check.hpp"

namespace harvest_connect::oauth {
namespace {

[[noreturn]] void fail(int status, const std::string& message, const std::string& server_error = {}) {
  throw error(errc::token_error, message, status, {}, server_error);
}

using http::detail::iequals;

// The parsed JSON lives in one buffer that is wiped afterwards: the tokens in it are never
// left in freed memory.
class WipedArena {
 public:
  explicit WipedArena(std::size_t size) : size_(size), buffer_(new unsigned char[size]), resource_(buffer_.get(), size) {}
  ~WipedArena() { OPENSSL_cleanse(buffer_.get(), size_); }
  boost::json::storage_ptr storage() { return boost::json::storage_ptr(&resource_); }

 private:
  std::size_t size_;
  std::unique_ptr<unsigned char[]> buffer_;
  boost::json::monotonic_resource resource_;
};

// Scrubbed before printable() shortens it, so that neither a control character (which
// printable() would turn into '?') nor the cut can hide a secret from the scrubber.
std::string describe_error_body(const boost::json::object& obj, std::string& code, const model::Scrubber& scrubber) {
  const auto* err = obj.if_contains("error");
  if (!err || !err->is_string()) return {};
  code = detail::printable(scrubber.scrub(err->as_string()), 64);
  std::string text = code;
  const auto* description = obj.if_contains("error_description");
  if (description && description->is_string() && !description->as_string().empty())
    text += " (" + detail::printable(scrubber.scrub(description->as_string())) + ")";
  return text;
}

std::string advice(const std::string& code) {
  if (code == "invalid_grant")
    return "the authorization code (or refresh token) is invalid, expired, already used, or was issued for "
           "another redirect URI: authorize again";
  if (code == "invalid_client")
    return "the OAuth client was not accepted: check its client ID and secret "
           "and whether credentials go in the body or as HTTP Basic";
  if (code == "unsupported_grant_type") return "the token endpoint does not support this grant type: check token_url";
  if (code == "invalid_request") return "the token request was refused as malformed: check the OAuth client's settings";
  if (code == "unauthorized_client") return "this client is not allowed to use this grant: check the app's settings at the provider";
  return "check the OAuth client's settings and authorize again";
}

}  // namespace

TokenResponse parse_token_response(int http_status, std::string_view body, GrantType grant,
                                   const model::Scrubber& scrubber) {
  if (body.size() > max_token_response_size)
    fail(http_status, "the token endpoint's answer is larger than " + std::to_string(max_token_response_size / 1024) +
                          " KiB, so it was not read; check token_url");
  WipedArena arena(body.size() * 4 + 4096);
  boost::json::parse_options options;
  options.max_depth = 8;
  boost::json::error_code ec;
  boost::json::value doc = boost::json::parse(body, ec, arena.storage(), options);
  const boost::json::object* obj = (!ec && doc.is_object()) ? &doc.as_object() : nullptr;

  if (http_status != 200) {
    std::string code;
    std::string text = obj ? describe_error_body(*obj, code, scrubber) : std::string();
    if (!code.empty())
      fail(http_status,
           "the token endpoint refused the request: " + text + " (HTTP " + std::to_string(http_status) + "); " +
               advice(code),
           code);
    fail(http_status, "the token endpoint answered HTTP " + std::to_string(http_status) +
                          " without an OAuth error; check token_url, or try again later if it is a server error");
  }
  if (!obj) fail(http_status, "the token endpoint's answer is not a JSON object; check token_url");
  {
    std::string code;
    std::string text = describe_error_body(*obj, code, scrubber);
    if (!code.empty()) fail(http_status, "the token endpoint refused the request: " + text + "; " + advice(code), code);
  }

  TokenResponse out;
  const auto* access = obj->if_contains("access_token");
  if (!access || !access->is_string() || access->as_string().empty())
    fail(http_status, "the token endpoint's answer has no access_token; check token_url");
  out.access_token = crypto::Secret::from_string(access->as_string());

  const auto* type = obj->if_contains("token_type");
  if (!type || !type->is_string())
    fail(http_status, "the token endpoint's answer has no token_type; check token_url");
  if (!iequals(type->as_string(), "bearer"))
    fail(http_status, "the token endpoint issued a token of type '" + detail::printable(scrubber.scrub(type->as_string()), 32) +
                          "', but only bearer tokens are supported");

  if (const auto* expires = obj->if_contains("expires_in"); expires && !expires->is_null()) {
    // The server controls this number: any lifetime beyond max_token_lifetime counts as
    // max_token_lifetime, so that `now + expires_in` cannot overflow and every stored expiry
    // is a date that any clock or calendar type can show.
    std::int64_t seconds = 0;
    if (expires->is_int64()) seconds = expires->as_int64();
    else if (expires->is_uint64()) seconds = max_token_lifetime.count();  // beyond int64
    else fail(http_status, "the token endpoint's expires_in is not an integer number of seconds");
    if (seconds <= 0) fail(http_status, "the token endpoint's expires_in is not a positive number of seconds");
    out.expires_in = std::min<std::int64_t>(seconds, max_token_lifetime.count());
  }

  if (const auto* refresh = obj->if_contains("refresh_token"); refresh && !refresh->is_null()) {
    if (!refresh->is_string() || refresh->as_string().empty())
      fail(http_status, "the token endpoint's refresh_token is not a non-empty string");
    out.refresh_token = crypto::Secret::from_string(refresh->as_string());
  } else if (grant == GrantType::authorization_code) {
    fail(http_status, "the token endpoint issued no refresh_token, so the connection could not stay authorized; "
                      "check token_url");
  }

  if (const auto* scope = obj->if_contains("scope"); scope && scope->is_string())
    out.scope = crypto::Secret::from_string(scope->as_string());
  return out;
}

}  // namespace harvest_connect::oauth

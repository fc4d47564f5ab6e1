#include "harvest_connect/oauth/token_client.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <boost/url/decode_view.hpp>
#include <boost/url/pct_string_view.hpp>

#include "harvest_connect/crypto/encoding.hpp"
#include "harvest_connect/error.hpp"

namespace harvest_connect::oauth {
namespace {

void wipe(std::string& s) {
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
  s.clear();
}

http::Request to_http(const TokenRequest& request, const std::string& user_agent) {
  http::Request out;
  out.method = "POST";
  out.target = request.url;
  for (const auto& [name, value] : request.headers) out.headers.set(name, value.reveal_string());
  out.headers.set("User-Agent", user_agent);
  out.body = std::string(request.body.reveal_string());
  return out;
}

void wipe(http::Request& request) {
  wipe(request.body);
  if (auto auth = request.headers.get("Authorization")) {
    std::string blank(auth->size(), '\0');
    request.headers.set("Authorization", blank);
  }
}

// Sends and returns the answer; the request's copies of secrets are wiped on every path.
http::Response send(http::Client& client, http::Request request) {
  try {
    http::Response response = client.send(request);
    wipe(request);
    return response;
  } catch (const error& e) {
    wipe(request);
    if (e.kind() == errc::too_large)
      throw error(errc::token_error,
                  "the token endpoint's answer is larger than " + std::to_string(max_token_response_size / 1024) +
                      " KiB, so it was not read; check token_url");
    throw;
  }
}

// A form value, decoded into a Secret.
crypto::Secret form_decoded(std::string_view value) {
  boost::urls::encoding_opts opts;
  opts.space_as_plus = true;
  auto pct = boost::urls::make_pct_string_view(value);
  if (!pct) return crypto::Secret::from_string(value);
  const boost::urls::decode_view decoded(*pct, opts);
  crypto::Secret out(decoded.size());
  std::copy(decoded.begin(), decoded.end(), out.mutable_bytes().begin());
  return out;
}

// The secrets a token request carries: each form field's value but the public ones, and the
// client secret of an HTTP Basic header.
model::Scrubber request_secrets(const TokenRequest& request) {
  model::Scrubber scrubber;
  const std::string_view body = request.body.reveal_string();
  for (std::size_t start = 0; start < body.size();) {
    std::size_t amp = body.find('&', start);
    if (amp == std::string_view::npos) amp = body.size();
    const std::string_view field = body.substr(start, amp - start);
    start = amp + 1;
    const std::size_t eq = field.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string_view key = field.substr(0, eq);
    if (key == "grant_type" || key == "redirect_uri" || key == "client_id" || key == "token_type_hint") continue;
    scrubber.add(form_decoded(field.substr(eq + 1)));
  }
  for (const auto& [name, value] : request.headers) {
    const std::string_view header = value.reveal_string();
    if (name != "Authorization" || header.substr(0, 6) != "Basic ") continue;
    std::optional<crypto::Secret> pair = crypto::base64_decode_secret(header.substr(6));
    if (!pair) continue;
    const std::string_view text = pair->reveal_string();
    const std::size_t colon = text.find(':');
    if (colon == std::string_view::npos) continue;
    const crypto::Secret id = form_decoded(text.substr(0, colon));
    scrubber.add_basic_credentials(id.reveal_string(), form_decoded(text.substr(colon + 1)));
  }
  return scrubber;
}

// The same error with every text scrubbed.
error scrubbed(const error& e, const model::Scrubber& scrubber) {
  return error(e.kind(), scrubber.scrub(e.what()), e.http_status(), scrubber.scrub(e.body(), model::Layout::multi_line),
               scrubber.scrub(e.server_error()), e.retry_after());
}

}  // namespace

http::ClientOptions token_client_options(http::ClientOptions base) {
  base.follow_redirects = false;
  base.max_body_size = max_token_response_size;
  return base;
}

TokenResponse request_token(http::Client& client, const TokenRequest& request, GrantType grant,
                            const std::string& user_agent, const model::Scrubber& connection_secrets) {
  // Whatever the server says goes through the scrubber before it reaches a message: the
  // server may echo the code, a token, the verifier or the client secret, in any encoding.
  model::Scrubber scrubber = request_secrets(request);
  scrubber.add(connection_secrets);
  http::Response response;
  try {
    response = send(client, to_http(request, user_agent));
  } catch (const error& e) {
    throw scrubbed(e, scrubber);
  }
  try {
    TokenResponse parsed = parse_token_response(response.status, response.body, grant, scrubber);
    wipe(response.body);
    return parsed;
  } catch (const error& e) {
    wipe(response.body);
    throw scrubbed(e, scrubber);
  }
}

void revoke_token(http::Client& client, const ClientConfig& oauth_client, const std::string& revoke_url,
                  const crypto::Secret& token, const char* token_type_hint, const std::string& user_agent) {
  ClientConfig config;
  config.token_url = revoke_url;
  config.client_id = oauth_client.client_id;
  config.client_secret = oauth_client.client_secret;
  config.auth = oauth_client.auth;
  TokenRequest request = revocation_request(config, token, token_type_hint);
  http::Response response = send(client, to_http(request, user_agent));
  wipe(response.body);
  if (response.status != 200)
    throw error(errc::token_error,
                "the revocation endpoint answered HTTP " + std::to_string(response.status) +
                    "; the tokens were forgotten here anyway, and you can revoke the app's access in Harvest ID",
                response.status);
}

}  // namespace harvest_connect::oauth

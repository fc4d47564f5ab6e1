#include "harvest_connect/oauth/token_client.hpp"

#include <openssl/crypto.h>

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

}  // namespace

http::ClientOptions token_client_options(http::ClientOptions base) {
  base.follow_redirects = false;
  base.max_body_size = max_token_response_size;
  return base;
}

TokenResponse request_token(http::Client& client, const TokenRequest& request, GrantType grant,
                            const std::string& user_agent) {
  http::Response response = send(client, to_http(request, user_agent));
  try {
    TokenResponse parsed = parse_token_response(response.status, response.body, grant);
    wipe(response.body);
    return parsed;
  } catch (const error& e) {
    wipe(response.body);
    // The server's description is repeated in the message; make sure it does not echo a
    // secret of ours (a code, a token or the client secret from the form).
    std::string message = e.what();
    bool echoed = false;
    std::string_view body = request.body.reveal_string();
    std::size_t start = 0;
    while (start <= body.size()) {
      std::size_t amp = body.find('&', start);
      if (amp == std::string_view::npos) amp = body.size();
      std::string_view field = body.substr(start, amp - start);
      start = amp + 1;
      std::size_t eq = field.find('=');
      if (eq == std::string_view::npos) continue;
      std::string_view key = field.substr(0, eq), value = field.substr(eq + 1);
      if (key == "grant_type" || key == "redirect_uri" || key == "client_id" || value.size() < 4) continue;
      if (message.find(value) != std::string::npos) echoed = true;
    }
    if (echoed)
      throw error(errc::token_error,
                  "the token endpoint refused the request (HTTP " + std::to_string(response.status) +
                      "; its description was withheld because it repeated a secret); authorize again",
                  e.http_status(), {}, e.server_error());
    throw;
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

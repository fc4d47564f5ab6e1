#include "harvest_connect/oauth/authorization_request.hpp"

#include <openssl/crypto.h>

#include <boost/url.hpp>

#include "harvest_connect/error.hpp"
#include "harvest_connect/oauth/pkce.hpp"
#include "harvest_connect/oauth/state.hpp"
#include "oauth/detail/url_check.hpp"

namespace harvest_connect::oauth {

crypto::Secret build_authorization_url(const AuthorizationParams& params, const crypto::Secret& state,
                                       const std::optional<std::string>& code_challenge) {
  boost::urls::url url = detail::parse_http_url("authorize_url", params.authorize_url);
  (void)detail::parse_http_url("redirect_uri", params.redirect_uri);
  if (params.client_id.empty()) throw error(errc::validation_failed, "client_id: must not be empty");
  auto query = url.params();
  query.set("client_id", params.client_id);
  query.set("response_type", "code");
  query.set("redirect_uri", params.redirect_uri);
  if (params.scope && !params.scope->empty()) query.set("scope", *params.scope);
  else query.erase("scope");
  if (code_challenge) {
    query.set("code_challenge", *code_challenge);
    query.set("code_challenge_method", pkce_method);
  } else {
    query.erase("code_challenge");
    query.erase("code_challenge_method");
  }
  // The state goes in last, into a buffer reserved for it, so that no reallocation leaves
  // a copy behind in freed memory.
  query.erase("state");
  url.reserve(url.size() + state.size() * 3 + 16);
  query.append({"state", state.reveal_string()});
  crypto::Secret out = crypto::Secret::from_string(url.buffer());
  // The url's buffer held the state: wipe it before it is freed.
  char* data = const_cast<char*>(url.buffer().data());
  OPENSSL_cleanse(data, url.buffer().size());
  return out;
}

AuthorizationRequest make_authorization_request(const AuthorizationParams& params) {
  AuthorizationRequest request;
  request.state = make_state();
  std::optional<std::string> challenge;
  if (params.pkce) {
    Pkce pkce = make_pkce();
    challenge = pkce.challenge;
    request.code_verifier = std::move(pkce.verifier);
  }
  request.url = build_authorization_url(params, request.state, challenge);
  request.redirect_uri = params.redirect_uri;
  return request;
}

}  // namespace harvest_connect::oauth

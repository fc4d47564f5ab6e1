#include "harvest_connect/oauth/callback.hpp"

#include <openssl/crypto.h>

#include <boost/url.hpp>

#include "harvest_connect/error.hpp"
#include "harvest_connect/oauth/state.hpp"
#include "oauth/detail/url_check.hpp"

namespace harvest_connect::oauth {
namespace {

[[noreturn]] void fail(const std::string& message) { throw error(errc::authorization_failed, message); }

crypto::Secret take_secret(std::string& value) {
  crypto::Secret out = crypto::Secret::from_string(value);
  OPENSSL_cleanse(value.data(), value.size());
  return out;
}

}  // namespace

CallbackParams parse_callback(std::string_view target) {
  CallbackParams out;
  boost::urls::url url;
  if (!target.empty() && target.front() == '/') {
    auto parsed = boost::urls::parse_origin_form(target);
    if (!parsed) fail("the redirect is not a valid URL path; authorize again");
    url = *parsed;
  } else {
    auto parsed = boost::urls::parse_uri(target);
    if (!parsed)
      fail("the redirected URL is not a valid URL: paste the whole address from the browser's address bar");
    url = *parsed;
    if (url.scheme_id() != boost::urls::scheme::http && url.scheme_id() != boost::urls::scheme::https)
      fail("the redirected URL must be an http or https URL: paste the whole address from the address bar");
    out.absolute = true;
  }
  out.path = url.path();
  if (out.path.empty()) out.path = "/";
  if (out.absolute) {
    boost::urls::url base = url;
    base.remove_query().remove_fragment().remove_userinfo();
    out.url_without_query = base.buffer();
  } else {
    out.url_without_query = out.path;
  }
  // Harvest answers in the query (HARVEST.md §4.2); a fragment is not an authorization
  // code response, and is ignored. It is removed before the parameters are read, and an
  // empty query is not iterated: Boost.URL before 1.87 reads past the end of the buffer
  // iterating "?#" (boostorg/url#864; found by tests/fuzz/fuzz_callback.cpp).
  url.remove_fragment();
  if (url.encoded_query().empty()) url.remove_query();
  for (auto param : url.params()) {
    std::string& key = param.key;
    auto once = [&](auto& slot) {
      if (slot) fail("the redirect repeats the parameter '" + detail::printable(key, 40) + "'; authorize again");
    };
    if (key == "code") {
      once(out.code);
      out.code = take_secret(param.value);
    } else if (key == "state") {
      once(out.state);
      out.state = take_secret(param.value);
    } else if (key == "scope") {
      once(out.scope);
      out.scope = take_secret(param.value);
    } else if (key == "error") {
      once(out.error);
      out.error = detail::printable(param.value, 64);
    } else if (key == "error_description") {
      once(out.error_description);
      out.error_description = detail::printable(param.value);
    } else if (!param.value.empty()) {
      OPENSSL_cleanse(param.value.data(), param.value.size());
    }
  }
  // The URL's buffer held the code and state.
  OPENSSL_cleanse(const_cast<char*>(url.buffer().data()), url.buffer().size());
  return out;
}

bool callback_matches_redirect(const CallbackParams& callback, std::string_view redirect_uri) {
  auto redirect = boost::urls::parse_uri(redirect_uri);
  if (!redirect) return false;
  if (callback.absolute) {
    auto got = boost::urls::parse_uri(callback.url_without_query);
    return got && detail::same_endpoint(*got, *redirect);
  }
  std::string want = redirect->path();
  if (want.empty()) want = "/";
  return callback.path == want;
}

void throw_authorization_error(const CallbackParams& callback) {
  const std::string& code = *callback.error;
  std::string description =
      callback.error_description && !callback.error_description->empty() ? " (" + *callback.error_description + ")" : "";
  if (code == "access_denied")
    fail("the user declined the authorization at the provider (access_denied)" + description +
         "; nothing was changed. Authorize again and click 'Authorize application' to connect");
  fail("the provider refused the authorization: " + code + description +
       "; check the OAuth client's settings (client ID, redirect URI, scope) and authorize again");
}

AuthorizationGrant check_callback(const CallbackParams& callback, std::string_view redirect_uri,
                                  const crypto::Secret& expected_state) {
  if (!callback_matches_redirect(callback, redirect_uri))
    fail("the redirect did not come back to the redirect URI of this authorization (expected " +
         detail::printable(std::string_view(redirect_uri).substr(0, redirect_uri.find('?'))) + ", got " +
         detail::printable(callback.url_without_query) + "); authorize again");
  if (!callback.state || callback.state->empty()) {
    if (callback.error)
      fail("the provider reported an error (" + *callback.error +
           ") but without the state of this request, so it cannot be trusted to belong to it; nothing was "
           "changed. Authorize again");
    fail("the redirect carried no state, so it cannot be matched to this authorization request; nothing was "
         "changed. Authorize again from the start");
  }
  if (!states_equal(expected_state, *callback.state))
    fail("the redirect's state does not match this authorization request (a stale browser tab, a second "
         "attempt, or a forged link); nothing was changed. Authorize again from the start");
  if (callback.error) throw_authorization_error(callback);
  if (!callback.code || callback.code->empty())
    fail("the redirect carried no authorization code; nothing was changed. Authorize again");
  AuthorizationGrant grant;
  grant.code = *callback.code;
  if (callback.scope) grant.scope = *callback.scope;
  return grant;
}

}  // namespace harvest_connect::oauth

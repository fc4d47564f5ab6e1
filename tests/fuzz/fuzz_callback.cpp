// The loopback callback request (oauth/callback.hpp): the request target (or a pasted
// address) the browser brings back, its checks against the redirect URI and the state, and
// the granted scope (oauth/account_check.hpp). Failures are harvest_connect::error only.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "harvest_connect/crypto/secret.hpp"
#include "harvest_connect/error.hpp"
#include "harvest_connect/oauth/account_check.hpp"
#include "harvest_connect/oauth/callback.hpp"

namespace hc = harvest_connect;
using hc::crypto::Secret;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  static const Secret state = Secret::from_string("state-0123456789abcdef0123456789abcdef");
  static const Secret account = Secret::from_string("123456");
  try {
    const hc::oauth::CallbackParams cb = hc::oauth::parse_callback(input);
    for (const char* redirect : {"http://127.0.0.1:8765/callback", "http://localhost/cb", "https://example.com/x"})
      (void)hc::oauth::callback_matches_redirect(cb, redirect);
    if (cb.scope) {
      const auto granted = hc::oauth::parse_scope(*cb.scope, account);
      (void)granted.describe();
      (void)hc::oauth::account_grant(granted);
    }
    try {
      (void)hc::oauth::check_callback(cb, "http://127.0.0.1:8765/callback", state);
    } catch (const hc::error&) {
    }
  } catch (const hc::error&) {
  }
  // The scope reader on its own, on the raw input.
  try {
    (void)hc::oauth::parse_scope(Secret::from_string(input), account).describe();
  } catch (const hc::error&) {
  }
  return 0;
}

// Token-endpoint answers (oauth/token_response.hpp) and /api/v2/accounts answers
// (oauth/account_check.hpp): the first byte picks the HTTP status and the grant type, the
// rest is the body. Parsing is strict and size-capped; failures are
// harvest_connect::error only, and a success always has an access token.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "harvest_connect/error.hpp"
#include "harvest_connect/crypto/secret.hpp"
#include "harvest_connect/oauth/account_check.hpp"
#include "harvest_connect/oauth/token_response.hpp"

namespace hc = harvest_connect;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static constexpr int statuses[] = {200, 201, 400, 401, 403, 429, 500, 503};
  const int status = statuses[data[0] % 8];
  const auto grant = (data[0] & 0x80) ? hc::oauth::GrantType::refresh_token : hc::oauth::GrantType::authorization_code;
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    const hc::oauth::TokenResponse r = hc::oauth::parse_token_response(status, body, grant);
    if (r.access_token.empty()) __builtin_trap();
    if (r.expires_in && *r.expires_in < 0) __builtin_trap();
  } catch (const hc::error&) {
  }
  static const hc::crypto::Secret account = hc::crypto::Secret::from_string("123456");
  try {
    std::size_t n = 0;
    (void)hc::oauth::accounts_include(body, account, &n);
  } catch (const hc::error&) {
  }
  return 0;
}

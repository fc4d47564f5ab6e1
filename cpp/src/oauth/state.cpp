#include "harvest_connect/oauth/state.hpp"

#include <openssl/crypto.h>

#include <string>

#include "harvest_connect/crypto/encoding.hpp"
#include "harvest_connect/crypto/random.hpp"
#include "crypto/detail/constant_time.hpp"

namespace harvest_connect::oauth {

crypto::Secret make_state() {
  crypto::Secret entropy = crypto::random_secret(state_entropy_size);
  std::string encoded = crypto::base64url_encode(entropy.reveal());
  crypto::Secret state = crypto::Secret::from_string(encoded);
  OPENSSL_cleanse(encoded.data(), encoded.size());
  return state;
}

bool states_equal(const crypto::Secret& expected, const crypto::Secret& received) noexcept {
  if (expected.empty()) return false;
  return crypto::detail::constant_time_equal(expected.reveal(), received.reveal());
}

}  // namespace harvest_connect::oauth

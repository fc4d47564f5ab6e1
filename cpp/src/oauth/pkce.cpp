#include "harvest_connect/oauth/pkce.hpp"

#include <openssl/crypto.h>

#include "harvest_connect/crypto/encoding.hpp"
#include "harvest_connect/crypto/random.hpp"
#include "harvest_connect/error.hpp"
#include "crypto/detail/digest.hpp"

namespace harvest_connect::oauth {
namespace {

bool is_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

}  // namespace

std::string code_challenge_s256(const crypto::Secret& verifier) {
  if (verifier.size() < 43 || verifier.size() > 128)
    throw error(errc::validation_failed, "code_verifier: must be 43 to 128 characters (RFC 7636 section 4.1)");
  for (unsigned char c : verifier.reveal())
    if (!is_unreserved(c))
      throw error(errc::validation_failed,
                  "code_verifier: may hold only letters, digits and - . _ ~ (RFC 7636 section 4.1)");
  return crypto::base64url_encode(crypto::detail::sha256(verifier.reveal()));
}

Pkce make_pkce() {
  crypto::Secret entropy = crypto::random_secret(pkce_verifier_entropy_size);
  std::string encoded = crypto::base64url_encode(entropy.reveal());
  Pkce pkce;
  pkce.verifier = crypto::Secret::from_string(encoded);
  OPENSSL_cleanse(encoded.data(), encoded.size());
  pkce.challenge = code_challenge_s256(pkce.verifier);
  return pkce;
}

}  // namespace harvest_connect::oauth

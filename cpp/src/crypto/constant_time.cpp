#include "crypto/detail/constant_time.hpp"

#include <openssl/crypto.h>

namespace harvest_connect::crypto::detail {

bool constant_time_equal(std::span<const unsigned char> a, std::span<const unsigned char> b) noexcept {
  // CRYPTO_memcmp with a length of 0 is 0 (equal), like two empty values.
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace harvest_connect::crypto::detail

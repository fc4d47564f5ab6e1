#include "harvest_connect/crypto/random.hpp"

#include <openssl/rand.h>

#include <climits>

#include "harvest_connect/error.hpp"

namespace harvest_connect::crypto {

void random_fill(std::span<unsigned char> out) {
  if (out.empty()) return;
  if (out.size() > static_cast<std::size_t>(INT_MAX) || RAND_bytes(out.data(), static_cast<int>(out.size())) != 1)
    throw error(errc::internal_error, "the system's random number generator failed; nothing was encrypted");
}

std::vector<unsigned char> random_bytes(std::size_t size) {
  std::vector<unsigned char> out(size);
  random_fill(out);
  return out;
}

Secret random_secret(std::size_t size) {
  Secret out(size);
  random_fill(out.mutable_bytes());
  return out;
}

}  // namespace harvest_connect::crypto

// base64_encode_secret writes exactly the text into the Secret. EVP_EncodeBlock appends a
// NUL; it used to land one byte past the Secret's buffer, which glibc notices when the
// buffer is freed ("free(): invalid next size") for sizes whose chunk has no slack, e.g.
// the 24 bytes of 16–18 input bytes; under ASan every size fails.
#include <gtest/gtest.h>

#include <string>

#include "harvest_connect/crypto/encoding.hpp"
#include "harvest_connect/crypto/secret.hpp"

namespace hcc = harvest_connect::crypto;

TEST(CryptoEncodingSecret, EncodesEverySizeWithinItsBuffer) {
  for (std::size_t n = 0; n <= 200; ++n) {
    std::string input(n, '\0');
    for (std::size_t i = 0; i < n; ++i) input[i] = static_cast<char>('a' + i % 26);
    const hcc::Secret plain = hcc::Secret::from_string(input);
    for (int round = 0; round < 4; ++round) {  // allocate and free around the encoded value
      hcc::Secret encoded = hcc::base64_encode_secret(plain);
      const auto bytes = std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(input.data()), n);
      ASSERT_EQ(std::string(encoded.reveal_string()), hcc::base64_encode(bytes)) << n;
    }
  }
}

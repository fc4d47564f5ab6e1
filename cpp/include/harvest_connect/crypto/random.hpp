#pragma once
// Randomness from OpenSSL's CSPRNG (RAND_bytes). A failure throws errc::internal_error:
// nothing ever proceeds with unfilled bytes.

#include <cstddef>
#include <span>
#include <vector>

#include "harvest_connect/crypto/secret.hpp"

namespace harvest_connect::crypto {

void random_fill(std::span<unsigned char> out);
[[nodiscard]] std::vector<unsigned char> random_bytes(std::size_t size);
[[nodiscard]] Secret random_secret(std::size_t size);

}  // namespace harvest_connect::crypto

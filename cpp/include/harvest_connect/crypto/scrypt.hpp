#pragma once
// Passphrase keys: scrypt (RFC 7914) through OpenSSL's EVP_PBE_scrypt. Keys derived from
// a passphrase use at least N = 2^17, r = 8, p = 1; the parameters and the random salt
// are kept with the result so that the same passphrase gives the same key later.

#include <cstdint>
#include <optional>
#include <vector>

#include "harvest_connect/crypto/aes_gcm.hpp"
#include "harvest_connect/crypto/master_key.hpp"
#include "harvest_connect/crypto/secret.hpp"

namespace harvest_connect::crypto {

struct ScryptParams {
  std::uint64_t n = std::uint64_t{1} << 17;
  std::uint32_t r = 8;
  std::uint32_t p = 1;
  friend bool operator==(const ScryptParams&, const ScryptParams&) = default;
};

inline constexpr ScryptParams minimum_passphrase_params{};
inline constexpr std::size_t passphrase_salt_size = 16;

// Raw scrypt with any valid parameters (errc::validation_failed for invalid ones).
[[nodiscard]] Secret scrypt(const Secret& passphrase, bytes_view salt, const ScryptParams& params,
                            std::size_t length);

struct PassphraseKey {
  MasterKey key;
  std::vector<unsigned char> salt;
  ScryptParams params;
};

// Derives a master key from a passphrase. With no salt, a fresh random one is drawn. Refuses
// an empty passphrase and parameters weaker than minimum_passphrase_params.
[[nodiscard]] PassphraseKey derive_passphrase_key(const Secret& passphrase,
                                                  std::optional<bytes_view> salt = std::nullopt,
                                                  const ScryptParams& params = minimum_passphrase_params);

}  // namespace harvest_connect::crypto

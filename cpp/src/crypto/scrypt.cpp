#include "harvest_connect/crypto/scrypt.hpp"

#include <openssl/evp.h>

#include "harvest_connect/crypto/random.hpp"
#include "harvest_connect/error.hpp"

namespace harvest_connect::crypto {

Secret scrypt(const Secret& passphrase, bytes_view salt, const ScryptParams& params, std::size_t length) {
  if (params.n < 2 || (params.n & (params.n - 1)) != 0 || params.r == 0 || params.p == 0 || length == 0)
    throw error(errc::validation_failed, "scrypt parameters: N must be a power of two > 1, r and p positive");
  // OpenSSL refuses to use more memory than maxmem; allow what these parameters need
  // (128·r·N for V plus 128·r·p for B) and some slack.
  const std::uint64_t need = 128ull * params.r * (params.n + params.p + 2) + (1u << 20);
  Secret out(length);
  if (EVP_PBE_scrypt(reinterpret_cast<const char*>(passphrase.reveal().data()), passphrase.size(), salt.data(),
                     salt.size(), params.n, params.r, params.p, need, out.mutable_bytes().data(), length) != 1)
    throw error(errc::internal_error, "scrypt failed (not enough memory for these parameters?)");
  return out;
}

PassphraseKey derive_passphrase_key(const Secret& passphrase, std::optional<bytes_view> salt,
                                    const ScryptParams& params) {
  if (passphrase.empty()) throw error(errc::validation_failed, "passphrase: must not be empty");
  if (params.n < minimum_passphrase_params.n || params.r < minimum_passphrase_params.r ||
      params.p < minimum_passphrase_params.p)
    throw error(errc::validation_failed, "scrypt parameters are weaker than N=2^17, r=8, p=1; refusing");
  std::vector<unsigned char> salt_bytes =
      salt ? std::vector<unsigned char>(salt->begin(), salt->end()) : random_bytes(passphrase_salt_size);
  if (salt_bytes.size() < passphrase_salt_size)
    throw error(errc::validation_failed, "passphrase salt: must be at least 16 bytes");
  MasterKey key(scrypt(passphrase, salt_bytes, params, aes256_key_size));
  return PassphraseKey{std::move(key), std::move(salt_bytes), params};
}

}  // namespace harvest_connect::crypto

#include "harvest_connect/crypto/mac.hpp"

#include <openssl/core_names.h>
#include <openssl/params.h>

#include "crypto/detail/constant_time.hpp"
#include "crypto/detail/openssl_ptr.hpp"
#include "harvest_connect/error.hpp"

namespace harvest_connect::crypto {
namespace {

// OSSL_PARAM wants non-const pointers even for inputs it only reads.
void* mutable_data(bytes_view b) {
  static unsigned char empty = 0;  // a valid pointer for empty inputs; never written
  return b.empty() ? static_cast<void*>(&empty) : const_cast<unsigned char*>(b.data());
}

char sha256_name[] = "SHA256";

}  // namespace

Hmac hmac_sha256(const Secret& key, bytes_view message) {
  // Fetched once: EVP_MAC_fetch looks the algorithm up in the provider tables each time.
  static const detail::mac_ptr mac{EVP_MAC_fetch(nullptr, "HMAC", nullptr)};
  if (!mac) throw error(errc::internal_error, "OpenSSL has no HMAC");
  detail::mac_ctx_ptr ctx{EVP_MAC_CTX_new(mac.get())};
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, sha256_name, 0), OSSL_PARAM_END};
  const bytes_view k = key.reveal();
  Hmac out{};
  std::size_t len = 0;
  // HMAC pads a key to the block size, so an empty key is a key of 64 zero bytes (RFC 2104);
  // OpenSSL 3.0 refuses a zero-length key, so give it that equivalent form.
  static const unsigned char zero_block[64] = {};
  const unsigned char* kp = k.empty() ? zero_block : k.data();
  const std::size_t kn = k.empty() ? sizeof zero_block : k.size();
  if (!ctx || EVP_MAC_init(ctx.get(), kp, kn, params) != 1 ||
      EVP_MAC_update(ctx.get(), message.data(), message.size()) != 1 ||
      EVP_MAC_final(ctx.get(), out.data(), &len, out.size()) != 1 || len != out.size())
    throw error(errc::internal_error, "OpenSSL failed inside HMAC-SHA256");
  return out;
}

bool hmac_sha256_verify(const Secret& key, bytes_view message, bytes_view tag) {
  const Hmac expected = hmac_sha256(key, message);
  return detail::constant_time_equal(expected, tag);
}

Secret hkdf_sha256(const Secret& input_key, bytes_view salt, bytes_view info, std::size_t size) {
  if (size == 0 || size > hkdf_sha256_max_size)
    throw error(errc::unsupported, "HKDF-SHA256 gives 1 to 8160 bytes");
  static const detail::kdf_ptr kdf{EVP_KDF_fetch(nullptr, "HKDF", nullptr)};
  if (!kdf) throw error(errc::internal_error, "OpenSSL has no HKDF");
  detail::kdf_ctx_ptr ctx{EVP_KDF_CTX_new(kdf.get())};
  const bytes_view ikm = input_key.reveal();
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, sha256_name, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, mutable_data(ikm), ikm.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, mutable_data(salt), salt.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, mutable_data(info), info.size()),
      OSSL_PARAM_END};
  Secret out(size);
  if (!ctx || EVP_KDF_derive(ctx.get(), out.mutable_bytes().data(), size, params) != 1)
    throw error(errc::internal_error, "OpenSSL failed inside HKDF-SHA256");
  return out;
}

Secret hkdf_sha256(const Secret& input_key, bytes_view salt, std::string_view info, std::size_t size) {
  return hkdf_sha256(input_key, salt,
                     bytes_view(reinterpret_cast<const unsigned char*>(info.data()), info.size()), size);
}

}  // namespace harvest_connect::crypto

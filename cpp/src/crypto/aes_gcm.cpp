#include "harvest_connect/crypto/aes_gcm.hpp"

#include <openssl/evp.h>

#include <climits>
#include <string>

#include "crypto/detail/openssl_ptr.hpp"
#include "harvest_connect/crypto/random.hpp"
#include "harvest_connect/error.hpp"

namespace harvest_connect::crypto {
namespace {

// The AES-GCM implementations, fetched from the default provider once: passing
// EVP_aes_256_gcm() to EVP_*Init_ex makes OpenSSL 3 look the algorithm up by name on every
// call, which cost more than sealing a small secret itself (tests/bench, docs/performance.md).
EVP_CIPHER* fetched(const char* name) {
  EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, name, nullptr);
  if (cipher == nullptr) throw error(errc::internal_error, std::string("OpenSSL has no ") + name);
  return cipher;
}

const EVP_CIPHER* cipher_for(std::size_t key_size) {
  switch (key_size) {
    case 16: {
      static const detail::cipher_ptr c(fetched("AES-128-GCM"));
      return c.get();
    }
    case 24: {
      static const detail::cipher_ptr c(fetched("AES-192-GCM"));
      return c.get();
    }
    case 32: {
      static const detail::cipher_ptr c(fetched("AES-256-GCM"));
      return c.get();
    }
    default:
      throw error(errc::unsupported, "AES-GCM keys must be 16, 24 or 32 bytes");
  }
}

void check_sizes(const Secret& key, bytes_view nonce, std::size_t data_size) {
  (void)cipher_for(key.size());
  if (nonce.size() != gcm_nonce_size)
    throw error(errc::unsupported, "AES-GCM nonces must be 12 bytes (96 bits); other sizes are not supported");
  if (data_size > static_cast<std::size_t>(INT_MAX))
    throw error(errc::too_large, "the value is too large to encrypt");
}

[[noreturn]] void openssl_failed() {
  throw error(errc::internal_error, "OpenSSL failed inside AES-GCM");
}

int as_int(std::size_t n) { return static_cast<int>(n); }

}  // namespace

std::vector<unsigned char> aes_gcm_encrypt(const Secret& key, bytes_view nonce, bytes_view aad, bytes_view plaintext) {
  check_sizes(key, nonce, plaintext.size() + aad.size());
  detail::cipher_ctx_ptr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) openssl_failed();
  if (EVP_EncryptInit_ex(ctx.get(), cipher_for(key.size()), nullptr, key.reveal().data(), nonce.data()) != 1)
    openssl_failed();
  int len = 0;
  if (!aad.empty() && EVP_EncryptUpdate(ctx.get(), nullptr, &len, aad.data(), as_int(aad.size())) != 1)
    openssl_failed();
  std::vector<unsigned char> out(plaintext.size() + gcm_tag_size);
  int written = 0;
  if (!plaintext.empty()) {
    if (EVP_EncryptUpdate(ctx.get(), out.data(), &len, plaintext.data(), as_int(plaintext.size())) != 1)
      openssl_failed();
    written = len;
  }
  if (EVP_EncryptFinal_ex(ctx.get(), out.data() + written, &len) != 1) openssl_failed();
  written += len;
  if (static_cast<std::size_t>(written) != plaintext.size()) openssl_failed();
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, as_int(gcm_tag_size), out.data() + written) != 1)
    openssl_failed();
  return out;
}

Secret aes_gcm_decrypt(const Secret& key, bytes_view nonce, bytes_view aad, bytes_view ciphertext_and_tag,
                       std::error_code& ec) {
  ec.clear();
  if (ciphertext_and_tag.size() < gcm_tag_size) {
    ec = make_error_code(errc::decryption_failed);
    return {};
  }
  check_sizes(key, nonce, ciphertext_and_tag.size() + aad.size());
  const std::size_t ct_size = ciphertext_and_tag.size() - gcm_tag_size;
  detail::cipher_ctx_ptr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) openssl_failed();
  if (EVP_DecryptInit_ex(ctx.get(), cipher_for(key.size()), nullptr, key.reveal().data(), nonce.data()) != 1)
    openssl_failed();
  int len = 0;
  if (!aad.empty() && EVP_DecryptUpdate(ctx.get(), nullptr, &len, aad.data(), as_int(aad.size())) != 1)
    openssl_failed();
  // Decrypt into a Secret that is wiped (by its destructor) unless the tag verifies.
  Secret plain(ct_size);
  int written = 0;
  if (ct_size) {
    if (EVP_DecryptUpdate(ctx.get(), plain.mutable_bytes().data(), &len, ciphertext_and_tag.data(), as_int(ct_size)) != 1)
      openssl_failed();
    written = len;
  }
  // OpenSSL takes a non-const pointer for the expected tag but does not write through it.
  auto* tag = const_cast<unsigned char*>(ciphertext_and_tag.data() + ct_size);
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, as_int(gcm_tag_size), tag) != 1) openssl_failed();
  unsigned char final_block[16];
  if (EVP_DecryptFinal_ex(ctx.get(), final_block, &len) != 1 || written + len != as_int(ct_size)) {
    ec = make_error_code(errc::decryption_failed);
    return {};
  }
  return plain;
}

Secret aes_gcm_decrypt(const Secret& key, bytes_view nonce, bytes_view aad, bytes_view ciphertext_and_tag) {
  std::error_code ec;
  Secret out = aes_gcm_decrypt(key, nonce, aad, ciphertext_and_tag, ec);
  if (ec) throw error(errc::decryption_failed, "the encrypted value failed to authenticate (wrong key, or tampered)");
  return out;
}

std::vector<unsigned char> seal(const Secret& key, bytes_view aad, bytes_view plaintext) {
  if (key.size() != aes256_key_size) throw error(errc::unsupported, "seal() needs a 32-byte AES-256 key");
  std::vector<unsigned char> nonce = random_bytes(gcm_nonce_size);
  std::vector<unsigned char> body = aes_gcm_encrypt(key, nonce, aad, plaintext);
  nonce.insert(nonce.end(), body.begin(), body.end());
  return nonce;
}

Secret open(const Secret& key, bytes_view aad, bytes_view sealed, std::error_code& ec) {
  if (key.size() != aes256_key_size) throw error(errc::unsupported, "open() needs a 32-byte AES-256 key");
  if (sealed.size() < gcm_nonce_size + gcm_tag_size) {
    ec = make_error_code(errc::decryption_failed);
    return {};
  }
  return aes_gcm_decrypt(key, sealed.first(gcm_nonce_size), aad, sealed.subspan(gcm_nonce_size), ec);
}

Secret open(const Secret& key, bytes_view aad, bytes_view sealed) {
  std::error_code ec;
  Secret out = open(key, aad, sealed, ec);
  if (ec) throw error(errc::decryption_failed, "the encrypted value failed to authenticate (wrong key, or tampered)");
  return out;
}

}  // namespace harvest_connect::crypto

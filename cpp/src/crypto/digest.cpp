#include "crypto/detail/digest.hpp"

#include <openssl/evp.h>

#include "crypto/detail/openssl_ptr.hpp"
#include "harvest_connect/error.hpp"

namespace harvest_connect::crypto::detail {

Sha256 sha256(std::initializer_list<std::span<const unsigned char>> parts) {
  md_ctx_ptr ctx(EVP_MD_CTX_new());
  bool ok = ctx && EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) == 1;
  for (auto part : parts) ok = ok && EVP_DigestUpdate(ctx.get(), part.data(), part.size()) == 1;
  Sha256 out{};
  unsigned int size = 0;
  ok = ok && EVP_DigestFinal_ex(ctx.get(), out.data(), &size) == 1 && size == out.size();
  if (!ok) throw error(errc::internal_error, "OpenSSL failed to compute a SHA-256 digest (out of memory?)");
  return out;
}

Sha256 sha256(std::span<const unsigned char> data) { return sha256({data}); }

Sha256 sha256(std::string_view text) { return sha256({as_bytes(text)}); }

}  // namespace harvest_connect::crypto::detail

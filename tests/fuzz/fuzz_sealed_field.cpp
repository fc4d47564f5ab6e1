// Sealed-field decoding (crypto/sealed_field.hpp): sealed_key_id and open_field on
// arbitrary bytes, under a fixed key (the seeds are real values sealed under it, see
// make_seeds.cpp). Whatever opens must be well formed; nothing may crash or read out of bounds.
#include <cstddef>
#include <cstdint>

#include "harvest_connect/crypto/sealed_field.hpp"
#include "harvest_connect/error.hpp"

namespace crypto = harvest_connect::crypto;

namespace {
const crypto::Secret& key() {
  static const crypto::Secret k = crypto::Secret::from_string("0123456789abcdef0123456789abcdef");
  return k;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const crypto::bytes_view sealed(data, size);
  const crypto::KeyId id = crypto::key_id_of(key());
  const crypto::FieldContext where{"store", "connections", "uid", "access_token"};
  (void)crypto::sealed_key_id(sealed);
  std::error_code ec;
  crypto::Secret out = crypto::open_field(key(), id, where, sealed, ec);
  if (!ec) {
    // Only a complete value under this key can open, and its plaintext is the rest.
    if (size < crypto::sealed_overhead || crypto::sealed_key_id(sealed) != id ||
        out.size() != size - crypto::sealed_overhead)
      __builtin_trap();
    return 0;
  }
  try {
    (void)crypto::open_field(key(), id, where, sealed);
    __builtin_trap();  // the throwing form must agree with the error_code form
  } catch (const harvest_connect::error& e) {
    if (e.kind() != harvest_connect::errc::decryption_failed) __builtin_trap();
  }
  return 0;
}

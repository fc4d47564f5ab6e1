#include "harvest_connect/crypto/master_key.hpp"

#include <algorithm>

#include "harvest_connect/crypto/aes_gcm.hpp"
#include "harvest_connect/crypto/encoding.hpp"
#include "harvest_connect/crypto/random.hpp"
#include "harvest_connect/error.hpp"
#include "crypto/detail/digest.hpp"

namespace harvest_connect::crypto {

KeyId key_id_of(const Secret& key) {
  static constexpr std::string_view label = "harvest-connect key id v1";
  const detail::Sha256 digest = detail::sha256({detail::as_bytes(label), key.reveal()});
  KeyId id{};
  std::copy_n(digest.begin(), key_id_size, id.begin());
  return id;
}

std::string key_id_hex(const KeyId& id) { return hex_encode(id); }

MasterKey::MasterKey(Secret bytes) : bytes_(std::move(bytes)) {
  if (bytes_.size() != aes256_key_size)
    throw error(errc::key_error, "a master key is 32 bytes (44 characters of base64): generate a new "
                                 "random one");
  id_ = key_id_of(bytes_);
}

MasterKey MasterKey::generate() { return MasterKey(random_secret(aes256_key_size)); }

MasterKey MasterKey::from_base64(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ' || text.back() == '\t'))
    text.remove_suffix(1);
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  std::optional<Secret> decoded = base64_decode_secret(text);
  if (!decoded || decoded->size() != aes256_key_size)
    throw error(errc::key_error, "the key is not valid: expected the base64 of 32 bytes (44 characters)");
  return MasterKey(std::move(*decoded));
}

Secret MasterKey::to_base64() const { return base64_encode_secret(bytes_); }

}  // namespace harvest_connect::crypto

#include "harvest_connect/crypto/envelope.hpp"

#include "harvest_connect/crypto/random.hpp"
#include "harvest_connect/crypto/sealed_field.hpp"
#include "harvest_connect/error.hpp"

namespace harvest_connect::crypto {
namespace {

FieldContext data_key_place(std::string_view store_id) {
  return FieldContext{std::string(store_id), "store", "data_key", "dek"};
}

}  // namespace

DataKey DataKey::generate() {
  DataKey dk{random_secret(aes256_key_size), {}};
  dk.id = key_id_of(dk.key);
  return dk;
}

std::vector<unsigned char> wrap_data_key(const MasterKey& master, const DataKey& data_key, std::string_view store_id) {
  return seal_field(master.bytes(), master.id_bytes(), data_key_place(store_id), data_key.key.reveal());
}

std::string wrapping_key_id(bytes_view wrapped) {
  std::optional<KeyId> id = sealed_key_id(wrapped);
  return id ? key_id_hex(*id) : std::string();
}

DataKey unwrap_data_key(const MasterKey& master, bytes_view wrapped, std::string_view store_id) {
  std::optional<KeyId> named = sealed_key_id(wrapped);
  if (!named)
    throw error(errc::decryption_failed, "the store's wrapped data key is damaged; restore the store from a backup");
  if (*named != master.id_bytes())
    throw error(errc::key_mismatch, "the key given (id " + master.id() + ") is not the store's key (id " +
                                        key_id_hex(*named) +
                                        "); open the store with the key it was created or last rotated with");
  std::error_code ec;
  DataKey dk{open_field(master.bytes(), master.id_bytes(), data_key_place(store_id), wrapped, ec), {}};
  if (ec || dk.key.size() != aes256_key_size)
    throw error(errc::decryption_failed,
                "the store's wrapped data key failed to authenticate although the key id matches; the store file "
                "was changed or damaged: restore it from a backup");
  dk.id = key_id_of(dk.key);
  return dk;
}

std::vector<unsigned char> rewrap_data_key(const MasterKey& old_master, const MasterKey& new_master,
                                           bytes_view wrapped, std::string_view store_id) {
  DataKey dk = unwrap_data_key(old_master, wrapped, store_id);
  return wrap_data_key(new_master, dk, store_id);
}

}  // namespace harvest_connect::crypto

#include "store/detail/key_source.hpp"

#include <filesystem>
#include <utility>

#include "harvest_connect/crypto/key_file.hpp"
#include "harvest_connect/error.hpp"
#include "harvest_connect/model/validation.hpp"

namespace harvest_connect::store::detail {

ResolvedKey resolve_key(const OpenOptions& o, bool new_store, const std::optional<Kdf>& stored_kdf) {
  if (o.key) return {*o.key, std::nullopt};
  if (o.passphrase) {
    if (new_store) {
      model::validate_new_passphrase(*o.passphrase);
      crypto::PassphraseKey pk = crypto::derive_passphrase_key(*o.passphrase);
      return {std::move(pk.key), Kdf{std::move(pk.salt), pk.params}};
    }
    if (!stored_kdf)
      throw error(errc::key_mismatch,
                  "this store is not protected by a passphrase; open it with its key (key=, a key file, or "
                  "HARVEST_CONNECT_KEY)");
    crypto::PassphraseKey pk = crypto::derive_passphrase_key(*o.passphrase, crypto::bytes_view(stored_kdf->salt),
                                                            stored_kdf->params);
    return {std::move(pk.key), stored_kdf};
  }
  if (o.key_file) return {crypto::load_key_file(*o.key_file), std::nullopt};
  if (!new_store && stored_kdf)
    throw error(errc::key_mismatch,
                "this store is protected by a passphrase: open it with its passphrase");
  if (auto env = crypto::key_from_environment()) return {std::move(*env), std::nullopt};
  const std::filesystem::path file = default_key_file_path();
  if (new_store) return {crypto::load_or_create_key_file(file), std::nullopt};
  return {crypto::load_key_file(file), std::nullopt};
}

}  // namespace harvest_connect::store::detail

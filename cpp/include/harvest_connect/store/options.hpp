#pragma once
// Where a store lives and which master key opens it.
//
// Location: a path or a PostgreSQL URL (store/location.hpp). Without one: the variable
// HARVEST_CONNECT_STORE (a path or a URL) when set, else HARVEST_CONNECT_HOME/store.db when
// that variable is set, otherwise $XDG_DATA_HOME/harvest-connect/store.db (XDG_DATA_HOME
// defaults to ~/.local/share).
// Default key file: HARVEST_CONNECT_HOME/master.key, otherwise
// $XDG_CONFIG_HOME/harvest-connect/master.key (XDG_CONFIG_HOME defaults to ~/.config).
//
// Key sources, the first that is set wins (DESIGN.md): an explicit key (or key file); a
// passphrase (scrypt, its parameters and salt kept in the store); HARVEST_CONNECT_KEY;
// HARVEST_CONNECT_KEY_FILE; the default key file, created 0600 on first use — but only
// for a new store: an existing store never gets a fresh key file by accident. A PostgreSQL
// store uses the same key sources: the key stays with the hosts, the server never sees it.

#include <filesystem>
#include <optional>
#include <string>

#include "harvest_connect/crypto/master_key.hpp"
#include "harvest_connect/crypto/secret.hpp"

namespace harvest_connect::store {

inline constexpr const char* home_env_var = "HARVEST_CONNECT_HOME";

struct OpenOptions {
  std::optional<std::filesystem::path> path;  // a SQLite file (a PostgreSQL URL given here works too)
  std::optional<std::string> url;             // a PostgreSQL URL: postgresql://user@host/db?...
  // Without path and url: default_store_location().
  std::optional<crypto::MasterKey> key;
  std::optional<crypto::Secret> passphrase;
  std::optional<std::filesystem::path> key_file;
  // How long a write waits for another process's transaction before failing.
  int busy_timeout_ms = 30000;
};

[[nodiscard]] std::filesystem::path default_store_path();
// HARVEST_CONNECT_STORE (a path or a URL) when set, else default_store_path().
[[nodiscard]] std::string default_store_location();
[[nodiscard]] std::filesystem::path default_key_file_path();

}  // namespace harvest_connect::store

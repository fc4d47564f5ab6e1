#pragma once
// Master keys from files and the environment. Key files hold the base64 key and a newline;
// they are created 0600 (their directory 0700) and refused when group or others may read
// them, because anyone who can read the key can read every secret of the store.

#include <filesystem>
#include <optional>

#include "harvest_connect/crypto/master_key.hpp"

namespace harvest_connect::crypto {

inline constexpr const char* key_env_var = "HARVEST_CONNECT_KEY";
inline constexpr const char* key_file_env_var = "HARVEST_CONNECT_KEY_FILE";

// Reads a key file; errc::key_error when it is missing, unreadable, malformed, readable
// by group or others (the message says to run chmod 600), or owned by another user (as
// OpenSSH refuses such files).
[[nodiscard]] MasterKey load_key_file(const std::filesystem::path& path);
// Writes a new key file, 0600; refuses to overwrite an existing file. The file and its
// directory entry are fsynced before this returns.
void write_key_file(const std::filesystem::path& path, const MasterKey& key);
// Loads the file, or creates it with a fresh key when it does not exist yet.
[[nodiscard]] MasterKey load_or_create_key_file(const std::filesystem::path& path);
// HARVEST_CONNECT_KEY (base64), then HARVEST_CONNECT_KEY_FILE; nullopt when neither is set.
[[nodiscard]] std::optional<MasterKey> key_from_environment();

}  // namespace harvest_connect::crypto

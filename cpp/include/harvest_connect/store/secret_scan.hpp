#pragma once
// A byte scan of a store's files (the database, its WAL, journal and shared memory) for the
// secrets of one connection in clear: the demo's proof, and a user's check, that every
// secret is sealed at rest. The secrets never leave this call; only what was found does.

#include <string>
#include <string_view>
#include <vector>

#include "harvest_connect/store/store.hpp"

namespace harvest_connect::store {

struct SecretScanFinding {
  std::string secret;   // what was looked for: "account ID", "client secret", "access token", ...
  bool found_in_clear;  // true: those bytes appear unencrypted in one of the files
};

// One finding per secret the connection has (the account ID always; the OAuth client's
// secret and the tokens when stored). errc::not_found when there is no such connection;
// errc::unsupported for a PostgreSQL store (it has no files).
[[nodiscard]] std::vector<SecretScanFinding> scan_for_secrets_in_clear(const Store& store,
                                                                       std::string_view connection_name);

}  // namespace harvest_connect::store

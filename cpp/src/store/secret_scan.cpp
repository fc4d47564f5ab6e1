#include "harvest_connect/store/secret_scan.hpp"

#include <openssl/crypto.h>

#include <fstream>
#include <iterator>

#include "harvest_connect/error.hpp"
#include "harvest_connect/store/credentials.hpp"

namespace harvest_connect::store {

std::vector<SecretScanFinding> scan_for_secrets_in_clear(const Store& store, std::string_view connection_name) {
  if (store.path().empty())
    throw error(errc::unsupported, "a PostgreSQL store has no files to scan: what the server holds is checked by "
                                   "reading its rows (every secret in them is sealed)");
  const ConnectionCredentials creds = store.credentials(connection_name);
  std::string files;
  for (const char* suffix : {"", "-wal", "-journal", "-shm"}) {
    std::ifstream in(store.path().string() + suffix, std::ios::binary);
    if (in) files.append(std::istreambuf_iterator<char>(in), {});
  }
  auto found = [&files](const crypto::Secret& secret) {
    return !secret.empty() && files.find(secret.reveal_string()) != std::string::npos;
  };
  std::vector<SecretScanFinding> out;
  out.push_back({"account ID", found(creds.account_id)});
  if (creds.client_secret) out.push_back({"client secret", found(*creds.client_secret)});
  if (creds.access_token) out.push_back({"access token", found(*creds.access_token)});
  if (creds.refresh_token) out.push_back({"refresh token", found(*creds.refresh_token)});
  if (creds.personal_access_token) out.push_back({"access token", found(*creds.personal_access_token)});
  // The files' bytes hold sealed secrets only, unless the scan found one in clear: wipe them.
  OPENSSL_cleanse(files.data(), files.size());
  return out;
}

}  // namespace harvest_connect::store

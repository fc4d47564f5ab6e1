#include "http/detail/system_ca.hpp"

#include <openssl/x509.h>

#include <cstdlib>
#include <system_error>

namespace harvest_connect::http::detail {

std::optional<std::filesystem::path> fallback_ca_bundle(const CaLocations& where,
                                                        std::span<const char* const> candidates) {
  if (where.env_set) return std::nullopt;
  std::error_code ec;
  if (std::filesystem::exists(where.default_file, ec) || std::filesystem::is_directory(where.default_dir, ec)) {
    return std::nullopt;
  }
  for (const char* candidate : candidates) {
    if (std::filesystem::is_regular_file(candidate, ec)) return std::filesystem::path(candidate);
  }
  return std::nullopt;
}

CaLocations openssl_ca_locations() {
  const auto set = [](const char* name) {
    const char* value = std::getenv(name);
    return value != nullptr && *value != '\0';
  };
  return {set(X509_get_default_cert_file_env()) || set(X509_get_default_cert_dir_env()),
          X509_get_default_cert_file(), X509_get_default_cert_dir()};
}

}  // namespace harvest_connect::http::detail

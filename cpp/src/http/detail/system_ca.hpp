#pragma once
// Where the system's trusted CA certificates are when OpenSSL's compiled-in location has
// none. The wheel links a static OpenSSL built on Debian, whose default location is
// /usr/lib/ssl; Fedora, RHEL, openSUSE and Alpine keep their bundle elsewhere, and without
// this every HTTPS request there would fail with unknown_ca.

#include <filesystem>
#include <optional>
#include <span>
#include <string>

namespace harvest_connect::http::detail {

// The bundles of the common Linux distributions, most common first (Debian/Ubuntu/Arch,
// Fedora/RHEL, RHEL 7+ extracted, openSUSE, Alpine).
inline constexpr const char* known_ca_bundles[] = {
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/ca-bundle.pem",
    "/etc/ssl/cert.pem",
};

struct CaLocations {
  bool env_set = false;                  // SSL_CERT_FILE or SSL_CERT_DIR: the user chose
  std::filesystem::path default_file;    // OpenSSL's compiled-in bundle
  std::filesystem::path default_dir;     // and hashed directory
};

// The bundle to load besides OpenSSL's defaults: nullopt when the user set SSL_CERT_FILE /
// SSL_CERT_DIR or OpenSSL's own location exists; else the first of `candidates` that is a
// regular file (nullopt when none is: the verification error then explains).
[[nodiscard]] std::optional<std::filesystem::path> fallback_ca_bundle(const CaLocations& where,
                                                                      std::span<const char* const> candidates);

// This process's CaLocations, read from OpenSSL and the environment.
[[nodiscard]] CaLocations openssl_ca_locations();

}  // namespace harvest_connect::http::detail

#pragma once
// A throwaway PKI for tests and the emulator: a CA and leaf certificates generated at run
// time with OpenSSL (EC P-256), so no certificate or key is ever shipped in the tree.

#include <chrono>
#include <string>
#include <vector>

#include "harvest_connect/crypto/secret.hpp"

namespace harvest_connect::testing {

struct CertificateAuthority {
  std::string certificate_pem;
  crypto::Secret private_key_pem;
};

struct CertificateOptions {
  std::vector<std::string> dns_names{"localhost"};
  std::vector<std::string> ip_addresses{"127.0.0.1", "::1"};
  // Validity relative to now; an already expired certificate has both in the past.
  std::chrono::seconds not_before{-3600};
  std::chrono::seconds not_after{std::chrono::hours(24 * 30)};
};

struct IssuedCertificate {
  std::string certificate_pem;  // the leaf alone
  std::string chain_pem;        // leaf then CA, what a server presents
  crypto::Secret private_key_pem;
};

[[nodiscard]] CertificateAuthority make_certificate_authority(const std::string& common_name);
[[nodiscard]] IssuedCertificate issue_certificate(const CertificateAuthority& ca, const CertificateOptions& options);

}  // namespace harvest_connect::testing

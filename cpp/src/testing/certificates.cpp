// A throwaway PKI built with OpenSSL's EVP and X509 APIs: an EC P-256 CA and leaf
// certificates with subjectAltNames, signed with SHA-256. Nothing here is ever written to disk
// by the library; callers decide where (if anywhere) the PEM goes.

#include "harvest_connect/testing/certificates.hpp"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <string>

#include "crypto/detail/openssl_ptr.hpp"
#include "harvest_connect/error.hpp"

namespace harvest_connect::testing {
namespace {

using crypto::detail::bio_ptr;
using crypto::detail::openssl_deleter;
using crypto::detail::pkey_ptr;
using crypto::detail::x509_ptr;
using x509_extension_ptr = std::unique_ptr<X509_EXTENSION, openssl_deleter<X509_EXTENSION_free>>;
using bignum_ptr = std::unique_ptr<BIGNUM, openssl_deleter<BN_free>>;

[[noreturn]] void fail(const char* what) {
  ERR_clear_error();
  throw error(errc::internal_error, std::string("generating a test certificate failed at ") + what +
                                        ": OpenSSL refused; check that the OpenSSL build supports EC P-256");
}

void check(int ok, const char* what) {
  if (ok != 1) fail(what);
}

pkey_ptr generate_key() {
  pkey_ptr key(EVP_EC_gen("P-256"));
  if (!key) fail("EVP_EC_gen");
  return key;
}

std::string to_pem(X509* cert) {
  bio_ptr bio(BIO_new(BIO_s_mem()));
  if (!bio) fail("BIO_new");
  check(PEM_write_bio_X509(bio.get(), cert), "PEM_write_bio_X509");
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

crypto::Secret key_to_pem(EVP_PKEY* key) {
  bio_ptr bio(BIO_new(BIO_s_mem()));
  if (!bio) fail("BIO_new");
  check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr), "PEM_write_bio_PrivateKey");
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  crypto::Secret pem(reinterpret_cast<const unsigned char*>(data), static_cast<std::size_t>(n));
  // The memory BIO's buffer held the key too: wipe it before BIO_free releases it.
  OPENSSL_cleanse(data, static_cast<std::size_t>(n));
  return pem;
}

pkey_ptr key_from_pem(const crypto::Secret& pem) {
  bio_ptr bio(BIO_new_mem_buf(pem.reveal().data(), static_cast<int>(pem.size())));
  if (!bio) fail("BIO_new_mem_buf");
  pkey_ptr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) fail("PEM_read_bio_PrivateKey");
  return key;
}

x509_ptr cert_from_pem(const std::string& pem) {
  bio_ptr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) fail("BIO_new_mem_buf");
  x509_ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) fail("PEM_read_bio_X509");
  return cert;
}

// A new certificate with a random 127-bit serial (RFC 5280 asks for unique, positive serials),
// the given subject CN and validity, and `key`'s public half.
x509_ptr new_certificate(const std::string& common_name, EVP_PKEY* key, long not_before_s, long not_after_s) {
  x509_ptr cert(X509_new());
  if (!cert) fail("X509_new");
  check(X509_set_version(cert.get(), X509_VERSION_3), "X509_set_version");

  bignum_ptr serial(BN_new());
  if (!serial) fail("BN_new");
  check(BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY), "BN_rand");
  if (BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) == nullptr) fail("BN_to_ASN1_INTEGER");

  if (X509_gmtime_adj(X509_getm_notBefore(cert.get()), not_before_s) == nullptr) fail("X509_gmtime_adj");
  if (X509_gmtime_adj(X509_getm_notAfter(cert.get()), not_after_s) == nullptr) fail("X509_gmtime_adj");

  X509_NAME* name = X509_get_subject_name(cert.get());
  check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(common_name.c_str()),
                                   -1, -1, 0),
        "X509_NAME_add_entry_by_txt");
  check(X509_set_pubkey(cert.get(), key), "X509_set_pubkey");
  return cert;
}

void add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  x509_extension_ptr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  if (!ext) fail("X509V3_EXT_conf_nid");
  check(X509_add_ext(cert, ext.get(), -1), "X509_add_ext");
}

}  // namespace

CertificateAuthority make_certificate_authority(const std::string& common_name) {
  pkey_ptr key = generate_key();
  // Valid from an hour ago (clock skew between the test and OpenSSL's view of now) for ten years.
  x509_ptr cert = new_certificate(common_name, key.get(), -3600, 10L * 365 * 24 * 3600);
  check(X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get())), "X509_set_issuer_name");
  add_extension(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
  add_extension(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  add_extension(cert.get(), cert.get(), NID_subject_key_identifier, "hash");
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) fail("X509_sign");
  return {to_pem(cert.get()), key_to_pem(key.get())};
}

IssuedCertificate issue_certificate(const CertificateAuthority& ca, const CertificateOptions& options) {
  if (options.dns_names.empty() && options.ip_addresses.empty()) {
    throw error(errc::validation_failed, "issue_certificate: give at least one DNS name or IP address for the certificate");
  }
  x509_ptr ca_cert = cert_from_pem(ca.certificate_pem);
  pkey_ptr ca_key = key_from_pem(ca.private_key_pem);
  pkey_ptr key = generate_key();

  std::string san;
  for (const auto& dns : options.dns_names) san += (san.empty() ? "DNS:" : ",DNS:") + dns;
  for (const auto& ip : options.ip_addresses) san += (san.empty() ? "IP:" : ",IP:") + ip;
  const std::string cn = options.dns_names.empty() ? options.ip_addresses.front() : options.dns_names.front();

  x509_ptr cert = new_certificate(cn, key.get(), static_cast<long>(options.not_before.count()),
                                  static_cast<long>(options.not_after.count()));
  check(X509_set_issuer_name(cert.get(), X509_get_subject_name(ca_cert.get())), "X509_set_issuer_name");
  add_extension(cert.get(), ca_cert.get(), NID_basic_constraints, "critical,CA:FALSE");
  add_extension(cert.get(), ca_cert.get(), NID_key_usage, "critical,digitalSignature");
  add_extension(cert.get(), ca_cert.get(), NID_ext_key_usage, "serverAuth");
  add_extension(cert.get(), ca_cert.get(), NID_subject_key_identifier, "hash");
  add_extension(cert.get(), ca_cert.get(), NID_authority_key_identifier, "keyid:always");
  try {
    add_extension(cert.get(), ca_cert.get(), NID_subject_alt_name, san);
  } catch (const error&) {
    throw error(errc::validation_failed, "issue_certificate: a DNS name or IP address is malformed; check the lists given");
  }
  if (X509_sign(cert.get(), ca_key.get(), EVP_sha256()) == 0) fail("X509_sign");

  IssuedCertificate out;
  out.certificate_pem = to_pem(cert.get());
  out.chain_pem = out.certificate_pem + ca.certificate_pem;
  out.private_key_pem = key_to_pem(key.get());
  return out;
}

}  // namespace harvest_connect::testing

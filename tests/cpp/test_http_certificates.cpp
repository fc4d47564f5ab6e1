#include <gtest/gtest.h>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "crypto/detail/openssl_ptr.hpp"
#include "harvest_connect/testing/certificates.hpp"

using namespace harvest_connect;
namespace hct = harvest_connect::testing;
using crypto::detail::bio_ptr;
using crypto::detail::x509_ptr;

namespace {

x509_ptr parse(const std::string& pem) {
  bio_ptr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return x509_ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

int verify(const std::string& ca_pem, const std::string& leaf_pem) {
  auto ca = parse(ca_pem);
  auto leaf = parse(leaf_pem);
  std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(), X509_STORE_free);
  X509_STORE_add_cert(store.get(), ca.get());
  std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> ctx(X509_STORE_CTX_new(), X509_STORE_CTX_free);
  X509_STORE_CTX_init(ctx.get(), store.get(), leaf.get(), nullptr);
  X509_verify_cert(ctx.get());
  return X509_STORE_CTX_get_error(ctx.get());
}

}  // namespace

TEST(HttpCertificates, LeafVerifiesAgainstItsCaAndHasTheNames) {
  auto ca = hct::make_certificate_authority("Test CA");
  auto leaf = hct::issue_certificate(ca, {});
  EXPECT_EQ(verify(ca.certificate_pem, leaf.certificate_pem), X509_V_OK);
  EXPECT_EQ(leaf.chain_pem, leaf.certificate_pem + ca.certificate_pem);
  auto cert = parse(leaf.certificate_pem);
  EXPECT_EQ(X509_check_host(cert.get(), "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "::1", 0), 1);
  EXPECT_NE(X509_check_host(cert.get(), "example.com", 0, 0, nullptr), 1);
  EXPECT_NE(leaf.private_key_pem.reveal_string().find("PRIVATE KEY"), std::string_view::npos);
}

TEST(HttpCertificates, ExpiredAndOtherCa) {
  auto ca = hct::make_certificate_authority("Test CA");
  hct::CertificateOptions options;
  options.not_before = std::chrono::hours(-48);
  options.not_after = std::chrono::hours(-24);
  auto expired = hct::issue_certificate(ca, options);
  EXPECT_EQ(verify(ca.certificate_pem, expired.certificate_pem), X509_V_ERR_CERT_HAS_EXPIRED);
  auto other = hct::make_certificate_authority("Other CA");
  auto leaf = hct::issue_certificate(other, {});
  EXPECT_NE(verify(ca.certificate_pem, leaf.certificate_pem), X509_V_OK);
}

#include <gtest/gtest.h>

#include <set>

#include "harvest_connect/crypto/aes_gcm.hpp"
#include "harvest_connect/crypto/random.hpp"
#include "harvest_connect/error.hpp"

namespace hc = harvest_connect;
using hc::crypto::Secret;

namespace {
hc::crypto::bytes_view view(std::string_view s) { return {reinterpret_cast<const unsigned char*>(s.data()), s.size()}; }
}  // namespace

TEST(CryptoAesGcm, SealOpenRoundTrip) {
  Secret key = hc::crypto::random_secret(32);
  auto sealed = hc::crypto::seal(key, view("aad"), view("account 123456"));
  EXPECT_EQ(sealed.size(), 12 + 14 + 16u);
  EXPECT_EQ(hc::crypto::open(key, view("aad"), sealed).reveal_string(), "account 123456");
}

TEST(CryptoAesGcm, AChangedByteAnywhereFailsToOpen) {
  Secret key = hc::crypto::random_secret(32);
  const auto sealed = hc::crypto::seal(key, view("aad"), view("refresh-token-value"));
  for (std::size_t i = 0; i < sealed.size(); ++i) {
    auto bad = sealed;
    bad[i] ^= 0x01;
    std::error_code ec;
    Secret out = hc::crypto::open(key, view("aad"), bad, ec);
    EXPECT_EQ(ec, hc::errc::decryption_failed) << "byte " << i;
    EXPECT_TRUE(out.empty());
  }
}

TEST(CryptoAesGcm, ExactLengthsAreEnforced) {
  Secret key = hc::crypto::random_secret(32);
  auto sealed = hc::crypto::seal(key, {}, view("x"));
  sealed.pop_back();
  EXPECT_THROW((void)hc::crypto::open(key, {}, sealed), hc::error);
  EXPECT_THROW((void)hc::crypto::open(key, {}, std::vector<unsigned char>(27)), hc::error);
  EXPECT_THROW((void)hc::crypto::seal(hc::crypto::random_secret(16), {}, view("x")), hc::error);
  std::vector<unsigned char> long_nonce(16);
  EXPECT_THROW((void)hc::crypto::aes_gcm_encrypt(key, long_nonce, {}, view("x")), hc::error);
}

TEST(CryptoAesGcm, AnotherKeyOrAadFails) {
  Secret key = hc::crypto::random_secret(32);
  auto sealed = hc::crypto::seal(key, view("record 1"), view("secret"));
  EXPECT_THROW((void)hc::crypto::open(hc::crypto::random_secret(32), view("record 1"), sealed), hc::error);
  EXPECT_THROW((void)hc::crypto::open(key, view("record 2"), sealed), hc::error);
}

TEST(CryptoAesGcm, HundredThousandSealsUseDistinctNonces) {
  Secret key = hc::crypto::random_secret(32);
  std::set<std::vector<unsigned char>> nonces;
  for (int i = 0; i < 100'000; ++i) {
    auto sealed = hc::crypto::seal(key, {}, view("same plaintext"));
    nonces.emplace(sealed.begin(), sealed.begin() + 12);
  }
  EXPECT_EQ(nonces.size(), 100'000u);
}

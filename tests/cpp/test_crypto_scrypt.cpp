// scrypt against the test vectors of RFC 7914 §12, and the passphrase-key rules.
#include <gtest/gtest.h>

#include "harvest_connect/crypto/encoding.hpp"
#include "harvest_connect/crypto/scrypt.hpp"
#include "harvest_connect/error.hpp"

namespace hc = harvest_connect;
namespace hcc = harvest_connect::crypto;

namespace {

std::string scrypt_hex(std::string_view pass, std::string_view salt, std::uint64_t n, std::uint32_t r,
                       std::uint32_t p) {
  auto out = hcc::scrypt(hcc::Secret::from_string(pass),
                         {reinterpret_cast<const unsigned char*>(salt.data()), salt.size()}, {n, r, p}, 64);
  return hcc::hex_encode(out.reveal());
}

}  // namespace

TEST(CryptoScrypt, Rfc7914Vector1) {
  EXPECT_EQ(scrypt_hex("", "", 16, 1, 1),
            "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e"
            "0d3628cf35e20c38d18906");
}

TEST(CryptoScrypt, Rfc7914Vector2) {
  EXPECT_EQ(scrypt_hex("password", "NaCl", 1024, 8, 16),
            "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a"
            "83ee6d8360cbdfa2cc0640");
}

TEST(CryptoScrypt, Rfc7914Vector3) {
  EXPECT_EQ(scrypt_hex("pleaseletmein", "SodiumChloride", 16384, 8, 1),
            "7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2d5432955613f0fcf62d49705242a9af9e61e85dc0d"
            "651e40dfcf017b45575887");
}

TEST(CryptoScrypt, Rfc7914Vector4) {  // N = 2^20: 1 GiB of memory, a few seconds
  EXPECT_EQ(scrypt_hex("pleaseletmein", "SodiumChloride", 1048576, 8, 1),
            "2101cb9b6a511aaeaddbbe09cf70f881ec568d574a2ffd4dabe5ee9820adaa478e56fd8f4ba5d09ffa1c6d927c40f4c337304049e8a"
            "952fbcbf45c6fa77a41a4");
}

TEST(CryptoScrypt, PassphraseKeysUseStrongParametersAndRecordThem) {
  auto a = hcc::derive_passphrase_key(hcc::Secret::from_string("correct horse battery staple"));
  EXPECT_EQ(a.params, hcc::minimum_passphrase_params);
  EXPECT_EQ(a.params.n, 1u << 17);
  EXPECT_EQ(a.salt.size(), hcc::passphrase_salt_size);
  auto again = hcc::derive_passphrase_key(hcc::Secret::from_string("correct horse battery staple"),
                                          hcc::bytes_view(a.salt), a.params);
  EXPECT_EQ(again.key.id(), a.key.id());
  auto other = hcc::derive_passphrase_key(hcc::Secret::from_string("correct horse battery staplf"),
                                          hcc::bytes_view(a.salt), a.params);
  EXPECT_NE(other.key.id(), a.key.id());
}

TEST(CryptoScrypt, WeakParametersAndEmptyPassphrasesAreRefused) {
  EXPECT_THROW((void)hcc::derive_passphrase_key(hcc::Secret::from_string("x"), std::nullopt, {1 << 14, 8, 1}),
               hc::error);
  EXPECT_THROW((void)hcc::derive_passphrase_key(hcc::Secret()), hc::error);
}

// HMAC-SHA256 against RFC 4231's known answers, HKDF-SHA256 against RFC 5869's and every
// Wycheproof vector (tests/data/wycheproof/hkdf_sha256_test.json; a truncated file fails).
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <fstream>
#include <sstream>
#include <string>

#include "harvest_connect/crypto/encoding.hpp"
#include "harvest_connect/crypto/mac.hpp"
#include "harvest_connect/error.hpp"

namespace hc = harvest_connect;
namespace hcc = harvest_connect::crypto;
using hcc::Secret;

namespace {

std::vector<unsigned char> unhex(std::string_view s) {
  auto out = hcc::hex_decode(s);
  if (!out) throw std::runtime_error("bad hex in a test vector");
  return *out;
}
std::vector<unsigned char> bytes(std::string_view s) { return {s.begin(), s.end()}; }
std::vector<unsigned char> repeat(unsigned char b, std::size_t n) { return std::vector<unsigned char>(n, b); }
std::vector<unsigned char> range(unsigned from, unsigned to) {
  std::vector<unsigned char> out;
  for (unsigned i = from; i < to; ++i) out.push_back(static_cast<unsigned char>(i));
  return out;
}
Secret key_of(const std::vector<unsigned char>& b) { return Secret(b.data(), b.size()); }
std::string hex(hcc::bytes_view b) { return hcc::hex_encode(b); }

struct HmacCase {
  std::vector<unsigned char> key, data;
  std::string mac;
};

}  // namespace

TEST(CryptoMac, HmacSha256MatchesRfc4231) {
  const std::vector<HmacCase> cases{
      {repeat(0x0b, 20), bytes("Hi There"), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {bytes("Jefe"), bytes("what do ya want for nothing?"),
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {repeat(0xaa, 20), repeat(0xdd, 50), "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
      {range(1, 26), repeat(0xcd, 50), "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
      // Test case 5 is truncated to 128 bits: compare the prefix.
      {repeat(0x0c, 20), bytes("Test With Truncation"), "a3b6167473100ee06e0c796c2955552b"},
      {repeat(0xaa, 131), bytes("Test Using Larger Than Block-Size Key - Hash Key First"),
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
      {repeat(0xaa, 131),
       bytes("This is a test using a larger than block-size key and a larger than block-size data. The key needs to "
             "be hashed before being used by the HMAC algorithm."),
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const auto& c = cases[i];
    const hcc::Hmac mac = hcc::hmac_sha256(key_of(c.key), c.data);
    EXPECT_EQ(hex(mac).substr(0, c.mac.size()), c.mac) << "RFC 4231 test case " << i + 1;
    if (c.mac.size() == 64) EXPECT_TRUE(hcc::hmac_sha256_verify(key_of(c.key), c.data, unhex(c.mac)));
  }
}

TEST(CryptoMac, HmacOfAnEmptyKeyIsTheZeroPaddedKeysHmac) {
  // RFC 2104 pads the key with zeros to the block size; OpenSSL 3.0 refuses a zero-length
  // key, which we must not pass on to callers. Value from Python's hmac module.
  EXPECT_EQ(hex(hcc::hmac_sha256(Secret(), {})), "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST(CryptoMac, VerifyRejectsAnyChangedOrTruncatedTag) {
  const Secret key = Secret::from_string("row-mac-key");
  const auto msg = bytes("a row");
  hcc::Hmac tag = hcc::hmac_sha256(key, msg);
  EXPECT_TRUE(hcc::hmac_sha256_verify(key, msg, tag));
  EXPECT_FALSE(hcc::hmac_sha256_verify(key, msg, hcc::bytes_view(tag).first(16)));
  EXPECT_FALSE(hcc::hmac_sha256_verify(key, msg, {}));
  EXPECT_FALSE(hcc::hmac_sha256_verify(key, bytes("a row!"), tag));
  tag[31] ^= 1;
  EXPECT_FALSE(hcc::hmac_sha256_verify(key, msg, tag));
}

TEST(CryptoMac, HkdfSha256MatchesRfc5869) {
  struct Case {
    std::vector<unsigned char> ikm, salt, info;
    std::size_t size;
    std::string okm;
  };
  const std::vector<Case> cases{
      {repeat(0x0b, 22), range(0, 13), range(0xf0, 0xfa), 42,
       "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"},
      {range(0, 0x50), range(0x60, 0xb0), range(0xb0, 0x100), 82,
       "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f09"
       "b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87"},
      {repeat(0x0b, 22), {}, {}, 42,
       "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const auto& c = cases[i];
    const Secret okm = hcc::hkdf_sha256(key_of(c.ikm), c.salt, hcc::bytes_view(c.info), c.size);
    EXPECT_EQ(hex(okm.reveal()), c.okm) << "RFC 5869 test case A." << i + 1;
  }
}

TEST(CryptoMac, HkdfRefusesSizesOutsideItsRange) {
  const Secret ikm = Secret::from_string("input key");
  EXPECT_THROW((void)hcc::hkdf_sha256(ikm, {}, "info", 0), hc::error);
  EXPECT_THROW((void)hcc::hkdf_sha256(ikm, {}, "info", hcc::hkdf_sha256_max_size + 1), hc::error);
  EXPECT_EQ(hcc::hkdf_sha256(ikm, {}, "info", hcc::hkdf_sha256_max_size).size(), hcc::hkdf_sha256_max_size);
}

TEST(CryptoMac, HkdfMatchesEveryWycheproofVector) {
  std::ifstream in(std::string(HARVEST_CONNECT_TEST_DATA_DIR) + "/wycheproof/hkdf_sha256_test.json");
  std::stringstream text;
  text << in.rdbuf();
  const boost::json::value doc = boost::json::parse(text.str());
  ASSERT_EQ(doc.at("algorithm").as_string(), "HKDF-SHA-256");
  std::int64_t ran = 0, refused = 0;
  for (const auto& group : doc.at("testGroups").as_array()) {
    for (const auto& t : group.at("tests").as_array()) {
      ++ran;
      const auto id = t.at("tcId").to_number<std::int64_t>();
      const auto ikm = unhex(t.at("ikm").as_string());
      const auto salt = unhex(t.at("salt").as_string());
      const auto info = unhex(t.at("info").as_string());
      const auto size = t.at("size").to_number<std::size_t>();
      if (t.at("result").as_string() == "invalid") {
        EXPECT_THROW((void)hcc::hkdf_sha256(key_of(ikm), salt, hcc::bytes_view(info), size), hc::error) << id;
        ++refused;
        continue;
      }
      const Secret okm = hcc::hkdf_sha256(key_of(ikm), salt, hcc::bytes_view(info), size);
      EXPECT_EQ(hex(okm.reveal()), std::string(t.at("okm").as_string())) << "tcId " << id;
    }
  }
  EXPECT_EQ(ran, doc.at("numberOfTests").to_number<std::int64_t>());
  EXPECT_GT(refused, 0);
}

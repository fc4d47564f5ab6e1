// Every Wycheproof AES-GCM vector: 96-bit IVs must give the expected result, every other IV
// size must be refused as unsupported, and the file's numberOfTests must match what we ran
// (a truncated file fails).
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <fstream>
#include <sstream>

#include "harvest_connect/crypto/aes_gcm.hpp"
#include "harvest_connect/crypto/encoding.hpp"
#include "harvest_connect/error.hpp"

namespace hc = harvest_connect;
using hc::crypto::Secret;

namespace {

std::vector<unsigned char> unhex(const boost::json::value& v) {
  auto out = hc::crypto::hex_decode(v.as_string());
  if (!out) throw std::runtime_error("bad hex in the vector file");
  return *out;
}

boost::json::value load_vectors() {
  std::ifstream in(std::string(HARVEST_CONNECT_TEST_DATA_DIR) + "/wycheproof/aes_gcm_test.json");
  std::stringstream text;
  text << in.rdbuf();
  return boost::json::parse(text.str());
}

}  // namespace

TEST(CryptoAesGcmWycheproof, EveryVectorGivesTheExpectedResult) {
  const boost::json::value doc = load_vectors();
  ASSERT_EQ(doc.at("algorithm").as_string(), "AES-GCM");
  std::int64_t ran = 0, refused = 0, checked = 0;
  for (const auto& group : doc.at("testGroups").as_array()) {
    const auto iv_bits = group.at("ivSize").to_number<std::int64_t>();
    ASSERT_EQ(group.at("tagSize").to_number<std::int64_t>(), 128);
    for (const auto& test : group.at("tests").as_array()) {
      ++ran;
      const auto id = test.at("tcId").to_number<std::int64_t>();
      const Secret key(unhex(test.at("key")));
      const auto iv = unhex(test.at("iv"));
      const auto aad = unhex(test.at("aad"));
      const auto msg = unhex(test.at("msg"));
      auto ct_tag = unhex(test.at("ct"));
      const auto tag = unhex(test.at("tag"));
      ct_tag.insert(ct_tag.end(), tag.begin(), tag.end());
      const bool valid = test.at("result").as_string() == "valid";

      if (iv_bits != 96) {
        // Only 96-bit nonces are supported: both directions refuse, whatever the vector says.
        try {
          (void)hc::crypto::aes_gcm_encrypt(key, iv, aad, msg);
          ADD_FAILURE() << "tcId " << id << ": a " << iv_bits << "-bit IV was accepted";
        } catch (const hc::error& e) {
          EXPECT_EQ(e.kind(), hc::errc::unsupported) << "tcId " << id;
        }
        EXPECT_THROW((void)hc::crypto::aes_gcm_decrypt(key, iv, aad, ct_tag), hc::error) << "tcId " << id;
        ++refused;
        continue;
      }

      std::error_code ec;
      Secret opened = hc::crypto::aes_gcm_decrypt(key, iv, aad, ct_tag, ec);
      if (valid) {
        ASSERT_FALSE(ec) << "tcId " << id << " should decrypt";
        EXPECT_EQ(std::vector<unsigned char>(opened.reveal().begin(), opened.reveal().end()), msg) << "tcId " << id;
        EXPECT_EQ(hc::crypto::aes_gcm_encrypt(key, iv, aad, msg), ct_tag) << "tcId " << id;
      } else {
        EXPECT_EQ(ec, hc::errc::decryption_failed) << "tcId " << id << " should be rejected";
        EXPECT_TRUE(opened.empty()) << "tcId " << id << ": plaintext released before the tag verified";
      }
      ++checked;
    }
  }
  EXPECT_EQ(ran, doc.at("numberOfTests").to_number<std::int64_t>()) << "the vector file is truncated";
  EXPECT_GT(checked, 190);
  EXPECT_GT(refused, 100);
}

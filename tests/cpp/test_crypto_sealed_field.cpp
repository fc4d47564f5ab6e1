#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>
#include <vector>

#include "harvest_connect/crypto/encoding.hpp"
#include "harvest_connect/crypto/random.hpp"
#include "harvest_connect/crypto/sealed_field.hpp"
#include "harvest_connect/error.hpp"

namespace hc = harvest_connect;
namespace hcc = harvest_connect::crypto;

namespace {

hcc::Secret test_key() {
  hcc::Secret key(32);
  for (std::size_t i = 0; i < 32; ++i) key.mutable_bytes()[i] = static_cast<unsigned char>(i);
  return key;
}

hcc::bytes_view view(std::string_view s) { return {reinterpret_cast<const unsigned char*>(s.data()), s.size()}; }

const hcc::FieldContext where{"store-1", "connections", "42", "account_id"};
const hcc::KeyId kid{0x0a, 0x0b, 0x0c, 0x0d};

}  // namespace

// The byte layout is a format on disk: this golden value was computed independently
// (Python's `cryptography` AESGCM with the same key, nonce and associated data).
TEST(CryptoSealedField, GoldenAssociatedData) {
  EXPECT_EQ(hcc::hex_encode(hcc::associated_data(1, kid, where)),
            "0000000101000000040a0b0c0d0000000773746f72652d310000000b636f6e6e656374696f6e730000000234320000000a6163"
            "636f756e745f6964");
}

TEST(CryptoSealedField, GoldenLayout) {
  const auto nonce = *hcc::hex_decode("000102030405060708090a0b");
  const auto sealed = hcc::seal_field_with_nonce(test_key(), kid, where, nonce, view("1234567"));
  EXPECT_EQ(hcc::hex_encode(sealed),
            "010a0b0c0d000102030405060708090a0b7630e52ff0d3f5afb37873dc659e63fff0cb91d7856f74");
  EXPECT_EQ(sealed.size(), hcc::sealed_overhead + 7);
  EXPECT_EQ(hcc::open_field(test_key(), kid, where, sealed).reveal_string(), "1234567");
}

TEST(CryptoSealedField, KeyIdIsDerivedFromTheKey) {
  EXPECT_EQ(hcc::key_id_hex(hcc::key_id_of(test_key())), "cc066651");
}

TEST(CryptoSealedField, AChangedByteAnywhereFails) {
  const auto sealed = hcc::seal_field(test_key(), kid, where, view("refresh-token"));
  for (std::size_t i = 0; i < sealed.size(); ++i) {
    auto bad = sealed;
    bad[i] ^= 0x80;
    std::error_code ec;
    EXPECT_TRUE(hcc::open_field(test_key(), kid, where, bad, ec).empty());
    EXPECT_EQ(ec, hc::errc::decryption_failed) << "byte " << i;
  }
}

TEST(CryptoSealedField, MovedToAnotherPlaceFails) {
  const auto sealed = hcc::seal_field(test_key(), kid, where, view("123456"));
  for (auto other : {hcc::FieldContext{"store-2", "connections", "42", "account_id"},
                     hcc::FieldContext{"store-1", "oauth_clients", "42", "account_id"},
                     hcc::FieldContext{"store-1", "connections", "43", "account_id"},
                     hcc::FieldContext{"store-1", "connections", "42", "access_token"}}) {
    try {
      (void)hcc::open_field(test_key(), kid, other, sealed);
      ADD_FAILURE() << "opened in " << other.table << "/" << other.record_id << "/" << other.field;
    } catch (const hc::error& e) {
      EXPECT_EQ(e.kind(), hc::errc::decryption_failed);
      EXPECT_NE(std::string(e.what()).find(other.field), std::string::npos) << "the message names the field";
      EXPECT_NE(std::string(e.what()).find(other.record_id), std::string::npos) << "and the record";
      EXPECT_EQ(std::string(e.what()).find("123456"), std::string::npos);
    }
  }
}

TEST(CryptoSealedField, AnotherKeyIdOrVersionFails) {
  auto sealed = hcc::seal_field(test_key(), kid, where, view("x"));
  std::error_code ec;
  EXPECT_TRUE(hcc::open_field(test_key(), hcc::KeyId{1, 2, 3, 4}, where, sealed, ec).empty());
  EXPECT_EQ(ec, hc::errc::decryption_failed);
  sealed[0] = 2;
  EXPECT_FALSE(hcc::sealed_key_id(sealed).has_value());
  EXPECT_FALSE(hcc::sealed_key_id(std::vector<unsigned char>(10)).has_value());
}

// Nonces are drawn in per-thread batches: a forked child must not reuse what its parent drew.
TEST(CryptoSealedField, NoncesAreFreshAcrossSealsAndForks) {
  hcc::Secret key(32);
  hcc::random_fill(key.mutable_bytes());
  const auto id = hcc::key_id_of(key);
  const hcc::FieldContext where{"store", "connections", "1", "access_token"};
  const std::vector<unsigned char> plain(64, 'x');
  auto nonce_of = [](const std::vector<unsigned char>& sealed) {
    return std::vector<unsigned char>(sealed.begin() + 1 + hcc::key_id_size,
                                      sealed.begin() + static_cast<std::ptrdiff_t>(hcc::sealed_header_size));
  };
  std::set<std::vector<unsigned char>> seen;
  for (int i = 0; i < 500; ++i) EXPECT_TRUE(seen.insert(nonce_of(hcc::seal_field(key, id, where, plain))).second);

  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const auto n = nonce_of(hcc::seal_field(key, id, where, plain));
    const auto ok = ::write(fds[1], n.data(), n.size()) == static_cast<ssize_t>(n.size());
    ::_exit(ok ? 0 : 1);
  }
  ::close(fds[1]);
  std::vector<unsigned char> from_child(hcc::gcm_nonce_size);
  ASSERT_EQ(::read(fds[0], from_child.data(), from_child.size()), static_cast<ssize_t>(from_child.size()));
  ::close(fds[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  const auto from_parent = nonce_of(hcc::seal_field(key, id, where, plain));
  EXPECT_NE(from_child, from_parent) << "the child reused the parent's next nonce";
  EXPECT_FALSE(seen.count(from_child));
}

// SHA-256 known answers (FIPS 180-4 examples / NIST CAVP short messages) for the one digest
// helper every layer uses (crypto/detail/digest.hpp).
#include <gtest/gtest.h>

#include <string>

#include "crypto/detail/digest.hpp"
#include "harvest_connect/crypto/encoding.hpp"

namespace hcd = harvest_connect::crypto::detail;
using harvest_connect::crypto::hex_encode;

TEST(CryptoDigest, Sha256OfTheEmptyMessageIsTheKnownAnswer) {
  EXPECT_EQ(hex_encode(hcd::sha256(std::string_view())),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(CryptoDigest, Sha256OfAbcIsTheKnownAnswer) {
  EXPECT_EQ(hex_encode(hcd::sha256(std::string_view("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(CryptoDigest, Sha256OfTwoBlocksIsTheKnownAnswer) {
  EXPECT_EQ(hex_encode(hcd::sha256(std::string_view("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(CryptoDigest, PartsAreHashedAsTheirConcatenation) {
  using hcd::as_bytes;
  EXPECT_EQ(hcd::sha256({as_bytes("ab"), as_bytes(""), as_bytes("c")}), hcd::sha256(std::string_view("abc")));
  const std::string with_nul("a\0b", 3);
  EXPECT_EQ(hcd::sha256({as_bytes("a"), as_bytes(std::string_view("\0", 1)), as_bytes("b")}),
            hcd::sha256(std::string_view(with_nul)));
  EXPECT_NE(hcd::sha256({as_bytes("a"), as_bytes("b")}), hcd::sha256(std::string_view(with_nul)));
}

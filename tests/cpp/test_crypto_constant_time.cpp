// The one constant-time comparison (crypto/detail/constant_time.hpp): its results; that it
// takes constant time is CRYPTO_memcmp's promise, not something a unit test can measure.
#include <gtest/gtest.h>

#include <array>
#include <string>

#include "crypto/detail/constant_time.hpp"

using harvest_connect::crypto::detail::constant_time_equal;

TEST(CryptoConstantTime, EqualValuesAreEqual) {
  EXPECT_TRUE(constant_time_equal(std::string_view("s3cret-state"), std::string_view("s3cret-state")));
  EXPECT_TRUE(constant_time_equal(std::string_view(), std::string_view()));
  const std::array<unsigned char, 3> a{1, 2, 3}, b{1, 2, 3};
  EXPECT_TRUE(constant_time_equal(a, b));
}

TEST(CryptoConstantTime, ADifferenceAnywhereMakesThemUnequal) {
  EXPECT_FALSE(constant_time_equal(std::string_view("abcd"), std::string_view("xbcd")));
  EXPECT_FALSE(constant_time_equal(std::string_view("abcd"), std::string_view("abcx")));
  const std::array<unsigned char, 3> a{1, 2, 3}, b{1, 2, 4};
  EXPECT_FALSE(constant_time_equal(a, b));
}

TEST(CryptoConstantTime, DifferentLengthsAreUnequal) {
  EXPECT_FALSE(constant_time_equal(std::string_view("abc"), std::string_view("abcd")));
  EXPECT_FALSE(constant_time_equal(std::string_view("abc"), std::string_view()));
  // A prefix of the other, with a NUL: lengths decide, not C string ends.
  EXPECT_FALSE(constant_time_equal(std::string_view("ab\0", 3), std::string_view("ab")));
}

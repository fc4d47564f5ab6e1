#include <gtest/gtest.h>

#include <sstream>
#include <type_traits>

#include "harvest_connect/crypto/secret.hpp"

using harvest_connect::crypto::Secret;

namespace {

template <class T, class = void>
struct is_streamable : std::false_type {};
template <class T>
struct is_streamable<T, std::void_t<decltype(std::declval<std::ostream&>() << std::declval<const T&>())>>
    : std::true_type {};

}  // namespace

TEST(CryptoSecret, HasNoStreamOutput) { static_assert(!is_streamable<Secret>::value); }

TEST(CryptoSecret, RevealGivesTheBytes) {
  Secret s = Secret::from_string("hunter2");
  EXPECT_EQ(s.size(), 7u);
  EXPECT_EQ(s.reveal_string(), "hunter2");
}

TEST(CryptoSecret, MoveLeavesTheSourceEmpty) {
  Secret a = Secret::from_string("token-value");
  Secret b(std::move(a));
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): the contract under test
  EXPECT_EQ(a.reveal().size(), 0u);
  EXPECT_EQ(b.reveal_string(), "token-value");
  Secret c;
  c = std::move(b);
  EXPECT_TRUE(b.empty());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(c.reveal_string(), "token-value");
}

TEST(CryptoSecret, ClearWipesAndEmpties) {
  Secret s = Secret::from_string("abc");
  s.clear();
  EXPECT_TRUE(s.empty());
}

TEST(CryptoSecret, EqualityComparesContents) {
  EXPECT_EQ(Secret::from_string("same"), Secret::from_string("same"));
  EXPECT_FALSE(Secret::from_string("same") == Secret::from_string("samf"));
  EXPECT_FALSE(Secret::from_string("same") == Secret::from_string("sam"));
  EXPECT_EQ(Secret(), Secret());
}

TEST(CryptoSecret, CopyIsDeep) {
  Secret a = Secret::from_string("deep");
  Secret b = a;
  a.clear();
  EXPECT_EQ(b.reveal_string(), "deep");
}

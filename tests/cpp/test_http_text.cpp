// The shared text rules of http/detail/text.hpp: ASCII case-insensitive comparison and HTML
// escaping (the loopback receiver's and the emulator's pages).
#include <gtest/gtest.h>

#include "http/detail/text.hpp"

using harvest_connect::http::detail::html_escape;
using harvest_connect::http::detail::iequals;

TEST(HttpText, IequalsIgnoresTheCaseOfAsciiLetters) {
  EXPECT_TRUE(iequals("Bearer", "bearer"));
  EXPECT_TRUE(iequals("HARVEST-ACCOUNT-ID", "Harvest-Account-Id"));
  EXPECT_TRUE(iequals("", ""));
  EXPECT_FALSE(iequals("Bearer", "Bearer "));
  EXPECT_FALSE(iequals("Basic", "Bearer"));
}

TEST(HttpText, IequalsFoldsLettersOnly) {
  // '@' and '`', '[' and '{' differ only in bit 0x20 but are not letters.
  EXPECT_FALSE(iequals("@", "`"));
  EXPECT_FALSE(iequals("[x]", "{x}"));
  // Bytes beyond ASCII are compared as they are (no locale).
  EXPECT_FALSE(iequals("\xc3\xa9", "\xc3\x89"));
  EXPECT_TRUE(iequals("\xc3\xa9", "\xc3\xa9"));
}

TEST(HttpText, HtmlEscapeEscapesTheFiveSpecialCharacters) {
  EXPECT_EQ(html_escape(R"(<a href="x?a=1&b='2'">)"), "&lt;a href=&quot;x?a=1&amp;b=&#39;2&#39;&quot;&gt;");
  EXPECT_EQ(html_escape("plain text, é"), "plain text, é");
  EXPECT_EQ(html_escape(""), "");
}

#include <gtest/gtest.h>

#include "harvest_connect/http/message.hpp"

using harvest_connect::http::Headers;

TEST(HttpHeaders, CaseInsensitiveSetAddGetErase) {
  Headers h;
  h.add("Set-Cookie", "a");
  h.add("Content-Type", "text/plain");
  h.add("set-cookie", "b");
  EXPECT_EQ(h.size(), 3u);
  EXPECT_EQ(h.get("SET-COOKIE"), "a");
  h.set("Set-Cookie", "c");
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h.begin()->first, "Set-Cookie");  // the first field keeps its place
  EXPECT_EQ(h.get("set-cookie"), "c");
  h.erase("CONTENT-type");
  EXPECT_FALSE(h.contains("Content-Type"));
  EXPECT_FALSE(h.get("missing").has_value());
  h.set("New", "v");
  EXPECT_EQ(h.get("new"), "v");
}

// The redirect back: path, state, error= and code checks; every failure is an
// authorization error with no secret in its message.
#include <gtest/gtest.h>

#include "harvest_connect/error.hpp"
#include "harvest_connect/oauth/callback.hpp"
#include "harvest_connect/oauth/state.hpp"

namespace hc = harvest_connect;
namespace oauth = harvest_connect::oauth;

namespace {

const char* redirect = "http://127.0.0.1:8765/callback";

std::string check_fails(const std::string& target, const hc::crypto::Secret& state) {
  try {
    auto params = oauth::parse_callback(target);
    (void)oauth::check_callback(params, redirect, state);
  } catch (const hc::error& e) {
    EXPECT_EQ(e.kind(), hc::errc::authorization_failed);
    std::string what = e.what();
    EXPECT_EQ(what.find(std::string(state.reveal_string())), std::string::npos);
    EXPECT_EQ(what.find("SECRETCODE"), std::string::npos);
    return what;
  }
  ADD_FAILURE() << "accepted " << target;
  return {};
}

}  // namespace

TEST(OAuthCallback, AcceptsAGoodRedirect) {
  auto state = oauth::make_state();
  std::string s(state.reveal_string());
  auto params = oauth::parse_callback("/callback?code=SECRETCODE&scope=harvest%3A123&state=" + s);
  auto grant = oauth::check_callback(params, redirect, state);
  EXPECT_EQ(grant.code.reveal_string(), "SECRETCODE");
  ASSERT_TRUE(grant.scope);
  EXPECT_EQ(grant.scope->reveal_string(), "harvest:123");
}

TEST(OAuthCallback, PlusInScopeIsASpace) {
  auto state = oauth::make_state();
  auto params = oauth::parse_callback("/callback?code=C&scope=harvest%3A1+forecast%3A2&state=" +
                                      std::string(state.reveal_string()));
  EXPECT_EQ(params.scope->reveal_string(), "harvest:1 forecast:2");
}

TEST(OAuthCallback, AcceptsAPastedAbsoluteUrl) {
  auto state = oauth::make_state();
  auto params = oauth::parse_callback("http://127.0.0.1:8765/callback?code=C&state=" + std::string(state.reveal_string()));
  EXPECT_TRUE(params.absolute);
  EXPECT_EQ(params.url_without_query, "http://127.0.0.1:8765/callback");
  EXPECT_EQ(oauth::check_callback(params, redirect, state).code.reveal_string(), "C");
  // Another port or host is another redirect.
  auto other = oauth::parse_callback("http://127.0.0.1:9999/callback?code=C&state=" + std::string(state.reveal_string()));
  EXPECT_THROW((void)oauth::check_callback(other, redirect, state), hc::error);
}

TEST(OAuthCallback, WrongPath) {
  auto state = oauth::make_state();
  auto what = check_fails("/other?code=SECRETCODE&state=" + std::string(state.reveal_string()), state);
  EXPECT_NE(what.find("redirect URI"), std::string::npos);
  check_fails("/callback/x?code=SECRETCODE&state=" + std::string(state.reveal_string()), state);
}

TEST(OAuthCallback, WrongState) {
  auto state = oauth::make_state();
  auto other = oauth::make_state();
  auto what = check_fails("/callback?code=SECRETCODE&state=" + std::string(other.reveal_string()), state);
  EXPECT_NE(what.find("state does not match"), std::string::npos);
  EXPECT_EQ(what.find(std::string(other.reveal_string())), std::string::npos);
}

TEST(OAuthCallback, MissingState) {
  auto state = oauth::make_state();
  EXPECT_NE(check_fails("/callback?code=SECRETCODE", state).find("no state"), std::string::npos);
  EXPECT_NE(check_fails("/callback?code=SECRETCODE&state=", state).find("no state"), std::string::npos);
}

TEST(OAuthCallback, ErrorWithoutStateIsNotTrusted) {
  auto state = oauth::make_state();
  auto what = check_fails("/callback?error=access_denied", state);
  EXPECT_NE(what.find("without the state"), std::string::npos);
}

TEST(OAuthCallback, AccessDeniedSaysTheUserDeclined) {
  auto state = oauth::make_state();
  auto what = check_fails("/callback?error=access_denied&error_description=The+user+denied&state=" +
                              std::string(state.reveal_string()),
                          state);
  EXPECT_NE(what.find("declined"), std::string::npos);
  EXPECT_NE(what.find("The user denied"), std::string::npos);
}

TEST(OAuthCallback, OtherErrorsNameTheCode) {
  auto state = oauth::make_state();
  auto what = check_fails("/callback?error=invalid_scope&error_description=%0Abad%00&state=" +
                              std::string(state.reveal_string()),
                          state);
  EXPECT_NE(what.find("invalid_scope"), std::string::npos);
  EXPECT_EQ(what.find('\n'), std::string::npos);
}

TEST(OAuthCallback, MissingCode) {
  auto state = oauth::make_state();
  EXPECT_NE(check_fails("/callback?state=" + std::string(state.reveal_string()), state).find("no authorization code"),
            std::string::npos);
}

TEST(OAuthCallback, RepeatedParametersAreRefused) {
  auto state = oauth::make_state();
  std::string s(state.reveal_string());
  try {
    (void)oauth::parse_callback("/callback?code=A&code=B&state=" + s);
    ADD_FAILURE();
  } catch (const hc::error& e) {
    EXPECT_EQ(e.kind(), hc::errc::authorization_failed);
  }
  EXPECT_THROW((void)oauth::parse_callback("/callback?code=A&state=" + s + "&state=" + s), hc::error);
}

TEST(OAuthCallback, GarbageIsAnAuthorizationError) {
  for (const char* bad : {"not a url", "javascript:alert(1)", "/call back?x", ""}) {
    try {
      auto p = oauth::parse_callback(bad);
      (void)oauth::check_callback(p, redirect, oauth::make_state());
      ADD_FAILURE() << bad;
    } catch (const hc::error& e) {
      EXPECT_EQ(e.kind(), hc::errc::authorization_failed) << bad;
    }
  }
}

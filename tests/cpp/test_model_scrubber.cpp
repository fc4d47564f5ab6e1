#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "harvest_connect/crypto/encoding.hpp"
#include "harvest_connect/crypto/secret.hpp"
#include "harvest_connect/model/scrubber.hpp"

using harvest_connect::crypto::Secret;
using harvest_connect::model::Layout;
using harvest_connect::model::Scrubber;
using harvest_connect::model::strip_control;

namespace {

// Shaped like Harvest's: tokens with '.', '-' and '_' (and a '+' and '/' to exercise
// percent-encoding), a client secret, a numeric account ID.
const std::string token = "1234567.pt.Ab-cD_eFgH+iJ/kLmNoPqRsTuVwXyZ0123456789";
const std::string client_secret = "s3cr3t-CLIENT_secret~value.with/slash";
const std::string account_id = "7654321";

Scrubber scrubber() {
  Scrubber s;
  s.add(Secret::from_string(token));
  s.add_basic_credentials("client-id", Secret::from_string(client_secret));
  s.add(Secret::from_string(account_id));
  return s;
}

std::string bytes(std::string_view s) { return std::string(s); }
std::vector<unsigned char> as_bytes(std::string_view s) { return {s.begin(), s.end()}; }

std::string percent(std::string_view s, bool upper, bool all) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    if (!all && (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += digits[c >> 4];
      out += digits[c & 15];
    }
  }
  return out;
}

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

std::string url_safe(std::string s, bool padded) {
  std::replace(s.begin(), s.end(), '+', '-');
  std::replace(s.begin(), s.end(), '/', '_');
  if (!padded) s.erase(std::remove(s.begin(), s.end(), '='), s.end());
  return s;
}

// Every form of `secret` the scrubber promises to remove.
std::vector<std::string> forms(const std::string& secret) {
  const std::string b64 = harvest_connect::crypto::base64_encode(as_bytes(secret));
  const std::string hex = harvest_connect::crypto::hex_encode(as_bytes(secret));
  std::string no_pad = b64;
  no_pad.erase(std::remove(no_pad.begin(), no_pad.end(), '='), no_pad.end());
  return {secret,
          percent(secret, true, false),
          percent(secret, false, false),
          percent(secret, true, true),
          percent(percent(secret, true, false), true, false),  // encoded twice
          b64,
          no_pad,
          url_safe(b64, true),
          url_safe(b64, false),
          // inside a longer base64 blob, at each alignment
          harvest_connect::crypto::base64_encode(as_bytes("x" + secret + "y")),
          harvest_connect::crypto::base64_encode(as_bytes("xy" + secret)),
          hex,
          upper(hex)};
}

void expect_gone(const Scrubber& s, const std::string& text, const std::string& secret) {
  const std::string out = s.scrub(text);
  for (const std::string& f : forms(secret)) {
    const std::string core = f.substr(0, std::min<std::size_t>(f.size(), 12));
    EXPECT_EQ(out.find(f), std::string::npos) << "a form survived in: " << out;
    if (f.size() >= 12) EXPECT_EQ(out.find(core), std::string::npos) << "a part of a form survived in: " << out;
  }
  EXPECT_NE(out.find(harvest_connect::model::scrubbed), std::string::npos);
  EXPECT_TRUE(s.finds(text));
  EXPECT_FALSE(s.finds(out));
}

}  // namespace

TEST(ModelScrubber, RemovesEverySecretInEveryFormItIsEchoedIn) {
  const Scrubber s = scrubber();
  for (const std::string& secret : {token, client_secret, account_id}) {
    for (const std::string& form : forms(secret)) {
      SCOPED_TRACE(form);
      expect_gone(s, "invalid value '" + form + "' for this request", secret);
      expect_gone(s, form, secret);
      expect_gone(s, "{\"message\":\"" + form + "\"}", secret);
    }
  }
}

TEST(ModelScrubber, RemovesTheBasicCredentialsOfTheClient) {
  const Scrubber s = scrubber();
  const std::string basic = harvest_connect::crypto::base64_encode(as_bytes("client-id:" + percent(client_secret, true, false)));
  const std::string out = s.scrub("Authorization: Basic " + basic + " was refused");
  EXPECT_EQ(out, "Authorization: Basic [redacted] was refused");
}

TEST(ModelScrubber, RemovesJsonEscapedSecrets) {
  const Scrubber s = scrubber();
  std::string escaped;
  for (char c : token) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned char>(c));
    escaped += buf;
  }
  EXPECT_EQ(s.scrub("{\"error_description\":\"" + escaped + "\"}"), "{\"error_description\":\"[redacted]\"}");
  std::string slashes = client_secret;
  slashes.replace(slashes.find('/'), 1, "\\/");
  EXPECT_EQ(s.scrub(slashes), "[redacted]");
}

TEST(ModelScrubber, RemovesATruncatedSecretAtTheEndOrMiddleOfTheText) {
  const Scrubber s = scrubber();
  for (std::size_t keep : {6u, 7u, 20u, 40u}) {
    const std::string cut = token.substr(0, keep);
    EXPECT_EQ(s.scrub("refused token " + cut), "refused token [redacted]") << keep;
    EXPECT_EQ(s.scrub("refused token " + cut + "\u2026 (truncated)"), "refused token [redacted]\u2026 (truncated)");
    EXPECT_EQ(s.scrub("…" + token.substr(token.size() - keep)), "…[redacted]");
  }
  const std::string hex = harvest_connect::crypto::hex_encode(as_bytes(token));
  EXPECT_EQ(s.scrub("x " + hex.substr(0, 12)), "x [redacted]");
  const std::string b64 = harvest_connect::crypto::base64_encode(as_bytes(token));
  EXPECT_EQ(s.scrub("x " + b64.substr(0, 10)), "x [redacted]");
}

TEST(ModelScrubber, TheLengthCapIsAppliedAfterScrubbing) {
  const Scrubber s = scrubber();
  const std::string text = std::string(90, 'a') + token;
  const std::string out = s.scrub(text, Layout::one_line, 95);
  EXPECT_EQ(out, std::string(90, 'a') + "[reda");
  EXPECT_EQ(out.find(token.substr(0, 5)), std::string::npos);
}

TEST(ModelScrubber, FindsASecretSplitOrHiddenByEscapeSequences) {
  const Scrubber s = scrubber();
  const std::string half1 = token.substr(0, 5), half2 = token.substr(5);
  EXPECT_EQ(s.scrub("a " + half1 + "\x1b[0m" + half2 + " b"), "a [redacted] b");
  EXPECT_EQ(s.scrub("a " + half1 + "\x1b]8;;https://x\x07" + half2 + " b"), "a [redacted] b");
  EXPECT_EQ(s.scrub("a " + half1 + "\r" + half2), "a [redacted]");
  EXPECT_EQ(s.scrub("\x1b[31m" + token + "\x1b[0m"), "[redacted]");
  // A CSI whose parameters would swallow a secret's leading digits: matched before stripping.
  EXPECT_EQ(s.scrub("\x1b[" + account_id + "m x"), " x");
  EXPECT_EQ(s.scrub("\x1b[" + token), "[redacted]");  // "1234567." is the CSI, the rest a secret
}

TEST(ModelScrubber, LeavesOrdinaryTextAlone) {
  const Scrubber s = scrubber();
  const std::string text = "Harvest answered 422: per_page must be between 1 and 2000 (user 12345, café)";
  EXPECT_EQ(s.scrub(text), text);
  EXPECT_FALSE(s.finds(text));
  EXPECT_EQ(Scrubber().scrub(text), text);
}

TEST(ModelScrubber, SecretsTooShortToTellApartAreNotAdded) {
  Scrubber s;
  s.add(Secret::from_string("abc"));
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(s.scrub("abc"), "abc");
}

TEST(ModelScrubber, CopiesKeepTheirSecretsAfterTheOriginalIsGone) {
  Scrubber copy;
  {
    const Scrubber original = scrubber();
    copy.add(original);
  }
  EXPECT_EQ(copy.scrub(token), "[redacted]");
}

TEST(ModelScrubber, StripsC0ExceptNewlinesAndTabsInBodies) {
  const std::string text = bytes("a\x01\x02\x07\x08\x0b\x0c\x0d\x1f\x7f" "b\nc\td");
  EXPECT_EQ(strip_control(text, Layout::multi_line), "ab\nc\td");
  EXPECT_EQ(strip_control(text, Layout::one_line), "ab c d");
  EXPECT_EQ(strip_control(std::string("a\0b", 3)), "ab");
}

TEST(ModelScrubber, StripsWholeEscapeSequences) {
  EXPECT_EQ(strip_control("\x1b[31;1mred\x1b[0m"), "red");
  EXPECT_EQ(strip_control("\x1b[?1049h\x1b[2J\x1b[Hx"), "x");
  EXPECT_EQ(strip_control("\x1b]0;new title\x07x"), "x");                  // OSC, BEL
  EXPECT_EQ(strip_control("\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\"), "link");  // OSC 8, ST
  EXPECT_EQ(strip_control("\x1bP+q544e\x1b\\x"), "x");                      // DCS
  EXPECT_EQ(strip_control("\x1b_apc\x1b\\x\x1b^pm\x07y\x1bXsos\x1b\\z"), "xyz");
  EXPECT_EQ(strip_control("\x1b(0x\x1b" "7y\x1b" "c"), "xy");               // charset, DECSC, RIS
  EXPECT_EQ(strip_control("x\x1b]0;never terminated"), "x");
  EXPECT_EQ(strip_control("x\x1b"), "x");
}

TEST(ModelScrubber, StripsC1ControlsAndBidiOverrides) {
  EXPECT_EQ(strip_control("a\xc2\x9b" "31mb"), "ab");               // 8-bit CSI
  EXPECT_EQ(strip_control("a\xc2\x9d" "0;title\xc2\x9c" "b"), "ab");  // 8-bit OSC ... ST
  EXPECT_EQ(strip_control("a\xc2\x85\xc2\x80\xc2\x9f"), "a");
  EXPECT_EQ(strip_control("a\xe2\x80\xae" "b\xe2\x81\xa6" "c"), "abc");  // RLO, LRI
  EXPECT_EQ(strip_control("caf\xc3\xa9 \xe2\x80\xa2"), "caf\xc3\xa9 \xe2\x80\xa2");
}

TEST(ModelScrubber, InvalidUtf8BecomesTheReplacementCharacter) {
  EXPECT_EQ(strip_control("a\x9b" "31mb"), "a\xef\xbf\xbd" "31mb");  // a raw 0x9B byte is not UTF-8
  EXPECT_EQ(strip_control("a\xc0\xafz"), "a\xef\xbf\xbd\xef\xbf\xbdz");  // overlong '/'
  EXPECT_EQ(strip_control("a\xed\xa0\x80z"), "a\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdz");  // surrogate
  EXPECT_EQ(strip_control("a\xe2\x82"), "a\xef\xbf\xbd\xef\xbf\xbd");  // cut
}

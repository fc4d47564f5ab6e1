// The scrubber (model/scrubber.hpp) on any text: it never crashes, its output is valid UTF-8
// without a control character (C0 but \n and \t in multi_line, DEL, C1), and no six
// characters of a secret in a row survive, however the input encodes or splits them.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "harvest_connect/crypto/secret.hpp"
#include "harvest_connect/model/scrubber.hpp"

namespace hc = harvest_connect;

namespace {

// Digits and capitals: no secret shares a character with "[redacted]" or U+FFFD.
constexpr std::string_view secrets[] = {"8675309", "ABCDEF0123456789XYZ", "Q7W2E9R4T6Y1"};

const hc::model::Scrubber& scrubber() {
  static const hc::model::Scrubber s = [] {
    hc::model::Scrubber out;
    for (auto secret : secrets) out.add(hc::crypto::Secret::from_string(secret));
    out.add_basic_credentials("client", hc::crypto::Secret::from_string("CLIENTSECRET42"));
    return out;
  }();
  return s;
}

void check(const std::string& out, hc::model::Layout layout) {
  const auto* s = reinterpret_cast<const unsigned char*>(out.data());
  for (std::size_t i = 0; i < out.size(); ++i) {
    const unsigned char c = s[i];
    const bool kept_space = layout == hc::model::Layout::multi_line && (c == '\n' || c == '\t');
    if ((c < 0x20 && !kept_space) || c == 0x7F) __builtin_trap();
    if (c == 0xC2 && i + 1 < out.size() && s[i + 1] >= 0x80 && s[i + 1] <= 0x9F) __builtin_trap();
    std::size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (len == 0 || i + len > out.size()) __builtin_trap();
    for (std::size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) __builtin_trap();
    }
    i += len - 1;
  }
  for (auto secret : secrets) {
    for (std::size_t i = 0; i + hc::model::scrub_fragment_length <= secret.size(); ++i) {
      if (out.find(secret.substr(i, hc::model::scrub_fragment_length)) != std::string::npos) __builtin_trap();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check(scrubber().scrub(text), hc::model::Layout::one_line);
  check(scrubber().scrub(text, hc::model::Layout::multi_line), hc::model::Layout::multi_line);
  check(scrubber().scrub(text, hc::model::Layout::multi_line, 100), hc::model::Layout::multi_line);
  return 0;
}

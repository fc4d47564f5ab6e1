#include "harvest_connect/crypto/encoding.hpp"

#include <openssl/evp.h>

#include <algorithm>

#include "crypto/detail/constant_time.hpp"

namespace harvest_connect::crypto {
namespace {

bool is_base64_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

// Decodes into `out` (sized by the caller to 3/4 of the input); returns the decoded length
// or -1 when the text is not canonical base64.
long decode_into(std::string_view text, unsigned char* out) {
  if (text.size() % 4 != 0) return -1;
  std::size_t pad = 0;
  if (!text.empty() && text.back() == '=') pad = (text.size() >= 2 && text[text.size() - 2] == '=') ? 2 : 1;
  for (std::size_t i = 0; i < text.size() - pad; ++i)
    if (!is_base64_char(text[i])) return -1;
  if (text.empty()) return 0;
  int n = EVP_DecodeBlock(out, reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return -1;
  return n - static_cast<long>(pad);
}

}  // namespace

std::string base64_encode(bytes_view data) {
  std::string out(4 * ((data.size() + 2) / 3), '\0');
  if (!data.empty())
    EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data.data(), static_cast<int>(data.size()));
  return out;
}

Secret base64_encode_secret(const Secret& data) {
  // EVP_EncodeBlock writes a NUL after the text: it needs one byte more than the text (a
  // std::string has room for it; a Secret of the exact size does not, and the NUL went
  // past its end: heap corruption on every Basic header and key file written).
  const std::size_t size = 4 * ((data.size() + 2) / 3);
  if (data.empty()) return Secret();
  Secret buffer(size + 1);
  EVP_EncodeBlock(buffer.mutable_bytes().data(), data.reveal().data(), static_cast<int>(data.size()));
  return Secret(buffer.reveal().first(size));
}

std::optional<std::vector<unsigned char>> base64_decode(std::string_view text) {
  std::vector<unsigned char> out(text.size() / 4 * 3 + 3);
  long n = decode_into(text, out.data());
  if (n < 0) return std::nullopt;
  out.resize(static_cast<std::size_t>(n));
  // Canonical form only: re-encoding must give the input back (no stray bits in padding).
  if (base64_encode(out) != text) return std::nullopt;
  return out;
}

std::optional<Secret> base64_decode_secret(std::string_view text) {
  Secret buffer(text.size() / 4 * 3 + 3);
  long n = decode_into(text, buffer.mutable_bytes().data());
  if (n < 0) return std::nullopt;
  Secret out(buffer.reveal().first(static_cast<std::size_t>(n)));
  Secret again = base64_encode_secret(out);
  if (!detail::constant_time_equal(again.reveal_string(), text)) return std::nullopt;
  return out;
}

std::string base64url_encode(bytes_view data) {
  std::string out = base64_encode(data);
  while (!out.empty() && out.back() == '=') out.pop_back();
  std::replace(out.begin(), out.end(), '+', '-');
  std::replace(out.begin(), out.end(), '/', '_');
  return out;
}

std::string hex_encode(bytes_view data) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(data.size() * 2);
  for (unsigned char b : data) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 0x0f]);
  }
  return out;
}

std::optional<std::vector<unsigned char>> hex_decode(std::string_view text) {
  if (text.size() % 2) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::vector<unsigned char> out(text.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    int hi = nibble(text[2 * i]), lo = nibble(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<unsigned char>(hi << 4 | lo);
  }
  return out;
}

}  // namespace harvest_connect::crypto

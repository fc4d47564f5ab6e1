#include "harvest_connect/model/scrubber.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <utility>

namespace harvest_connect::model {

namespace {

// A fragment long enough to stand for about scrub_fragment_length bytes of the secret: hex
// takes two characters a byte, base64 four for three. (Shorter hex runs of a numeric account
// ID would also match ordinary numbers.)
std::size_t fragment_length(std::size_t kind) {
  switch (kind) {
    case 1: return 2 * scrub_fragment_length;          // hex
    case 2: return (4 * scrub_fragment_length + 2) / 3;  // base64
    default: return scrub_fragment_length;
  }
}

// --- control characters --------------------------------------------------------------

constexpr char32_t replacement = 0xFFFD;

// UTF-8 to code points; every byte that does not start a well-formed sequence (overlong,
// surrogate, beyond U+10FFFF, cut) becomes U+FFFD.
std::vector<char32_t> decode_utf8(std::string_view text, std::vector<std::size_t>& offset) {
  std::vector<char32_t> out;
  out.reserve(text.size());
  offset.clear();
  offset.reserve(text.size() + 1);
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    const unsigned char b = s[i];
    std::size_t len = 0;
    char32_t cp = 0, min = 0;
    offset.push_back(i);
    if (b < 0x80) {
      out.push_back(b);
      ++i;
      continue;
    } else if ((b & 0xE0) == 0xC0) {
      len = 2, cp = b & 0x1F, min = 0x80;
    } else if ((b & 0xF0) == 0xE0) {
      len = 3, cp = b & 0x0F, min = 0x800;
    } else if ((b & 0xF8) == 0xF0) {
      len = 4, cp = b & 0x07, min = 0x10000;
    }
    bool ok = len != 0 && i + len <= n;
    for (std::size_t k = 1; ok && k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) ok = false;
      else cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if (ok && (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) ok = false;
    out.push_back(ok ? cp : replacement);
    i += ok ? len : 1;
  }
  offset.push_back(n);
  return out;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// The index after a control sequence's parameters and final byte (ECMA-48 §5.4).
std::size_t skip_csi(const std::vector<char32_t>& c, std::size_t j) {
  while (j < c.size() && c[j] >= 0x30 && c[j] <= 0x3F) ++j;
  while (j < c.size() && c[j] >= 0x20 && c[j] <= 0x2F) ++j;
  if (j < c.size() && c[j] >= 0x40 && c[j] <= 0x7E) ++j;
  return j;
}

// The index after a control string (OSC, DCS, SOS, PM, APC): up to BEL or ST. An
// unterminated one runs to the end: a terminal would swallow the rest too.
std::size_t skip_string(const std::vector<char32_t>& c, std::size_t j) {
  for (; j < c.size(); ++j) {
    if (c[j] == 0x07 || c[j] == 0x9C) return j + 1;
    if (c[j] == 0x1B && j + 1 < c.size() && c[j + 1] == '\\') return j + 2;
  }
  return j;
}

// The index after an escape sequence whose ESC was at j - 1.
std::size_t skip_escape(const std::vector<char32_t>& c, std::size_t j) {
  if (j >= c.size()) return j;
  const char32_t d = c[j];
  if (d == '[') return skip_csi(c, j + 1);
  if (d == ']' || d == 'P' || d == 'X' || d == '^' || d == '_') return skip_string(c, j + 1);
  if (d >= 0x20 && d <= 0x2F) {
    while (j < c.size() && c[j] >= 0x20 && c[j] <= 0x2F) ++j;
    if (j < c.size() && c[j] >= 0x30 && c[j] <= 0x7E) ++j;
    return j;
  }
  if (d >= 0x30 && d <= 0x7E) return j + 1;
  return j;  // a lone ESC
}

// Embedding and isolate controls reorder what a terminal shows ("Trojan Source").
bool is_bidi_control(char32_t c) { return (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069); }

// A character that stays, and the bytes of the original it came from.
struct Kept {
  char32_t cp;
  std::size_t begin, end;
};

// What strip_control keeps of `text`, mapped back to it (so that scrub() can replace the
// secrets found before and after stripping in one pass).
std::vector<Kept> strip(std::string_view text, Layout layout) {
  std::vector<std::size_t> offset;  // byte offset of each code point, and the end
  std::vector<char32_t> c = decode_utf8(text, offset);
  std::vector<Kept> out;
  out.reserve(c.size());
  for (std::size_t i = 0; i < c.size();) {
    const char32_t x = c[i];
    if (x == 0x1B) {
      i = skip_escape(c, i + 1);
    } else if (x == 0x9B) {
      i = skip_csi(c, i + 1);
    } else if (x == 0x90 || x == 0x98 || x == 0x9D || x == 0x9E || x == 0x9F) {
      i = skip_string(c, i + 1);
    } else if (x == '\n' || x == '\t') {
      out.push_back({layout == Layout::multi_line ? x : U' ', offset[i], offset[i + 1]});
      ++i;
    } else if (x < 0x20 || (x >= 0x7F && x <= 0x9F) || is_bidi_control(x)) {
      ++i;
    } else {
      out.push_back({x, offset[i], offset[i + 1]});
      ++i;
    }
  }
  OPENSSL_cleanse(c.data(), c.size() * sizeof(char32_t));
  return out;
}

// --- secret forms ----------------------------------------------------------------------

bool is_hex_digit(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
int hex_value(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}
bool is_base64_run(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' ||
         c == '-' || c == '_' || c == '=' || c == '%';  // '%': a percent-encoded '+', '/' or '='
}

crypto::Secret form_encoded(std::string_view value) {
  boost::urls::encoding_opts opts;
  opts.space_as_plus = false;
  const std::size_t size = boost::urls::encoded_size(value, boost::urls::unreserved_chars, opts);
  crypto::Secret out(size);
  if (size)
    (void)boost::urls::encode(reinterpret_cast<char*>(out.mutable_bytes().data()), size, value,
                              boost::urls::unreserved_chars, opts);
  return out;
}

crypto::Secret base64_block(std::span<const unsigned char> bytes) {
  // EVP_EncodeBlock writes a terminating NUL after the 4*ceil(n/3) characters.
  const std::size_t chars = 4 * ((bytes.size() + 2) / 3);
  crypto::Secret buffer(chars + 1);
  if (!bytes.empty()) EVP_EncodeBlock(buffer.mutable_bytes().data(), bytes.data(), static_cast<int>(bytes.size()));
  return crypto::Secret(buffer.reveal().first(chars));
}

// A view of the text as a server may have encoded it, each character mapped back to the
// span of the original it came from. The decoded characters may be a secret: wiped.
struct View {
  std::string text;
  std::vector<std::pair<std::size_t, std::size_t>> from;  // [begin, end) in the original
  View() = default;
  View(const View&) = delete;
  View& operator=(const View&) = delete;
  ~View() {
    if (!text.empty()) OPENSSL_cleanse(text.data(), text.size());
  }
  void push(char c, std::size_t begin, std::size_t end) {
    text += c;
    from.emplace_back(begin, end);
  }
};

void identity_view(std::string_view original, View& v) {
  v.text.reserve(original.size());
  v.from.reserve(original.size());
  for (std::size_t i = 0; i < original.size(); ++i) v.push(original[i], i, i + 1);
}

// Percent-encoding (single or double, either case; '+' as a space when `plus_is_space`) and
// JSON string escapes undone.
void decoded_view(std::string_view s, bool plus_is_space, View& v) {
  v.text.reserve(s.size());
  v.from.reserve(s.size());
  const auto u = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  std::size_t i = 0;
  while (i < s.size()) {
    if (s[i] == '%' && i + 2 < s.size() && is_hex_digit(u(i + 1)) && is_hex_digit(u(i + 2))) {
      int value = hex_value(u(i + 1)) * 16 + hex_value(u(i + 2));
      std::size_t end = i + 3;
      if (value == '%' && end + 1 < s.size() && is_hex_digit(u(end)) && is_hex_digit(u(end + 1))) {
        value = hex_value(u(end)) * 16 + hex_value(u(end + 1));  // "%2541": encoded twice
        end += 2;
      }
      v.push(static_cast<char>(value), i, end);
      i = end;
    } else if (s[i] == '+' && plus_is_space) {
      v.push(' ', i, i + 1);
      ++i;
    } else if (s[i] == '\\' && i + 1 < s.size() &&
               (s[i + 1] == '/' || s[i + 1] == '\\' || s[i + 1] == '"')) {
      v.push(s[i + 1], i, i + 2);
      i += 2;
    } else if (s[i] == '\\' && i + 5 < s.size() && s[i + 1] == 'u' && is_hex_digit(u(i + 2)) &&
               is_hex_digit(u(i + 3)) && is_hex_digit(u(i + 4)) && is_hex_digit(u(i + 5))) {
      const char32_t cp = static_cast<char32_t>((hex_value(u(i + 2)) << 12) | (hex_value(u(i + 3)) << 8) |
                                                (hex_value(u(i + 4)) << 4) | hex_value(u(i + 5)));
      std::string bytes;  // at most 3 bytes: in the small-string buffer, wiped below
      append_utf8(bytes, cp);
      for (char b : bytes) v.push(b, i, i + 6);
      OPENSSL_cleanse(bytes.data(), bytes.size());
      i += 6;
    } else {
      v.push(s[i], i, i + 1);
      ++i;
    }
  }
}

// The same view with the variants of an encoding's alphabet folded: hex to lower case,
// URL-safe base64 to the standard alphabet.
void folded_view(const View& base, bool hex, View& v) {
  v.text = base.text;
  v.from = base.from;
  for (char& c : v.text) {
    if (hex && c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    if (!hex && c == '-') c = '+';
    if (!hex && c == '_') c = '/';
  }
}

}  // namespace

// --- Scrubber ------------------------------------------------------------------------------

void Scrubber::add_form(crypto::Secret text, Kind kind) {
  if (text.size() < min_scrubbed_secret) return;
  for (const auto& f : forms_) {
    if (f.kind == kind && *f.text == text) return;
  }
  forms_.push_back({std::make_shared<const crypto::Secret>(std::move(text)), kind});
}

// Base64 at each of the three alignments a secret can have inside a longer blob: the
// characters that only the secret's bytes determine (complete groups after the first partial
// one), unpadded; a match is then widened to the whole base64 run.
void Scrubber::add_base64_forms(const crypto::Secret& bytes) {
  for (std::size_t k = 0; k < 3; ++k) {
    crypto::Secret shifted(k + bytes.size());
    std::copy(bytes.reveal().begin(), bytes.reveal().end(), shifted.mutable_bytes().begin() + static_cast<long>(k));
    const crypto::Secret encoded = base64_block(shifted.reveal());
    const std::size_t complete = 4 * (shifted.size() / 3);
    const std::size_t start = k == 0 ? 0 : 4;
    // add_form drops cores under min_scrubbed_secret characters (a secret of 4 to 6 bytes
    // has none at some alignments: such a copy inside a longer base64 run is not found).
    if (complete > start)
      add_form(crypto::Secret(encoded.reveal().subspan(start, complete - start)), Kind::base64);
  }
}

void Scrubber::add(const crypto::Secret& secret) {
  if (secret.size() < min_scrubbed_secret) return;
  add_form(secret, Kind::plain);
  crypto::Secret hex(2 * secret.size());
  static constexpr char digits[] = "0123456789abcdef";
  auto out = hex.mutable_bytes();
  for (std::size_t i = 0; i < secret.size(); ++i) {
    out[2 * i] = static_cast<unsigned char>(digits[secret.reveal()[i] >> 4]);
    out[2 * i + 1] = static_cast<unsigned char>(digits[secret.reveal()[i] & 0x0F]);
  }
  add_form(std::move(hex), Kind::hex);
  add_base64_forms(secret);
  // HTTP Basic form-encodes before base64: that is another byte string.
  crypto::Secret encoded = form_encoded(secret.reveal_string());
  if (!(encoded == secret)) add_base64_forms(encoded);
  reindex();
}

void Scrubber::add_basic_credentials(std::string_view client_id, const crypto::Secret& client_secret) {
  add(client_secret);
  if (client_secret.size() < min_scrubbed_secret) return;
  const crypto::Secret id = form_encoded(client_id);
  const crypto::Secret secret = form_encoded(client_secret.reveal_string());
  crypto::Secret joined(id.size() + 1 + secret.size());
  auto p = joined.mutable_bytes().begin();
  p = std::copy(id.reveal().begin(), id.reveal().end(), p);
  *p++ = ':';
  std::copy(secret.reveal().begin(), secret.reveal().end(), p);
  crypto::Secret whole = base64_block(joined.reveal());
  std::size_t size = whole.size();
  while (size > 0 && whole.reveal()[size - 1] == '=') --size;
  add_form(crypto::Secret(whole.reveal().first(size)), Kind::base64);
  reindex();
}

void Scrubber::add(const Scrubber& other) {
  for (const auto& f : other.forms_) {
    const bool known = std::any_of(forms_.begin(), forms_.end(),
                                   [&](const Form& g) { return g.kind == f.kind && *g.text == *f.text; });
    if (!known) forms_.push_back(f);
  }
  reindex();
}

void Scrubber::reindex() {
  for (auto& v : fragments_) v.clear();
  for (auto& v : short_forms_) v.clear();
  for (const auto& f : forms_) {
    const std::string_view text = f.text->reveal_string();
    const auto kind = static_cast<std::size_t>(f.kind);
    const std::size_t n = fragment_length(kind);
    if (text.size() <= n) {
      short_forms_[kind].push_back(text);
      continue;
    }
    for (std::size_t i = 0; i + n <= text.size(); ++i) fragments_[kind].push_back(text.substr(i, n));
  }
  for (auto& v : fragments_) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
  }
}

std::vector<bool> Scrubber::marks(std::string_view text) const {
  std::vector<bool> marked(text.size(), false);
  if (forms_.empty() || text.empty()) return marked;

  const auto search = [&](const View& v, Kind kind) {
    const auto k = static_cast<std::size_t>(kind);
    const std::string_view t = v.text;
    const auto mark = [&](std::size_t begin, std::size_t end) {  // view positions
      std::size_t from = v.from[begin].first, to = v.from[end - 1].second;
      if (kind == Kind::base64) {
        while (from > 0 && is_base64_run(static_cast<unsigned char>(text[from - 1]))) --from;
        while (to < text.size() && is_base64_run(static_cast<unsigned char>(text[to]))) ++to;
      } else if (kind == Kind::hex) {
        while (from > 0 && is_hex_digit(static_cast<unsigned char>(text[from - 1]))) --from;
        while (to < text.size() && is_hex_digit(static_cast<unsigned char>(text[to]))) ++to;
      }
      std::fill(marked.begin() + static_cast<long>(from), marked.begin() + static_cast<long>(to), true);
    };
    if (!fragments_[k].empty()) {
      const std::size_t n = fragment_length(k);
      for (std::size_t i = 0; i + n <= t.size(); ++i) {
        if (std::binary_search(fragments_[k].begin(), fragments_[k].end(), t.substr(i, n))) mark(i, i + n);
      }
    }
    for (const std::string_view form : short_forms_[k]) {
      for (std::size_t at = t.find(form); at != std::string_view::npos; at = t.find(form, at + 1))
        mark(at, at + form.size());
    }
  };

  View raw;
  identity_view(text, raw);
  View decoded;
  decoded_view(text, false, decoded);
  View decoded_plus;
  if (text.find('+') != std::string_view::npos) decoded_view(text, true, decoded_plus);
  for (const View* base : {&raw, &decoded, &decoded_plus}) {
    if (base->text.empty()) continue;
    search(*base, Kind::plain);
    View hex;
    folded_view(*base, true, hex);
    search(hex, Kind::hex);
    View base64;
    folded_view(*base, false, base64);
    search(base64, Kind::base64);
  }
  return marked;
}

namespace {

// Cuts at most `max` bytes, not inside a UTF-8 sequence.
void cut(std::string& text, std::size_t max) {
  if (text.size() <= max) return;
  std::size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  text.resize(end);
}

}  // namespace

std::string Scrubber::scrub(std::string_view text, Layout layout) const {
  if (forms_.empty()) return strip_control(text, layout);
  // Secrets are looked for before stripping (a CSI could swallow a secret's first digits)
  // and after (an escape sequence inside a secret splits it); a character of either match
  // is replaced, and the rest is what strip_control keeps.
  const std::vector<bool> before = marks(text);
  std::vector<Kept> kept = strip(text, layout);
  std::string stripped;
  std::vector<std::size_t> owner;  // the kept character of each byte of `stripped`
  stripped.reserve(text.size());
  owner.reserve(text.size());
  for (std::size_t i = 0; i < kept.size(); ++i) {
    append_utf8(stripped, kept[i].cp);
    owner.resize(stripped.size(), i);
  }
  const std::vector<bool> after = marks(stripped);
  std::vector<bool> hit(kept.size(), false);
  for (std::size_t b = 0; b < stripped.size(); ++b) {
    if (after[b]) hit[owner[b]] = true;
  }
  for (std::size_t i = 0; i < kept.size(); ++i) {
    for (std::size_t r = kept[i].begin; !hit[i] && r < kept[i].end; ++r) hit[i] = before[r];
  }
  std::string out;
  out.reserve(stripped.size());
  for (std::size_t i = 0; i < kept.size(); ++i) {
    if (!hit[i]) append_utf8(out, kept[i].cp);
    else if (i == 0 || !hit[i - 1]) out += scrubbed;
  }
  OPENSSL_cleanse(stripped.data(), stripped.size());
  OPENSSL_cleanse(kept.data(), kept.size() * sizeof(Kept));
  return out;
}

std::string Scrubber::scrub(std::string_view text, Layout layout, std::size_t max_bytes) const {
  // An error body may be megabytes: only its start can be kept, so only its start is read.
  // The secret cut there leaves a fragment, which is found like any other.
  std::string out = scrub(text.substr(0, std::min(text.size(), 2 * max_bytes + 1024)), layout);
  cut(out, max_bytes);
  return out;
}

bool Scrubber::finds(std::string_view text) const {
  const auto any = [](const std::vector<bool>& m) { return std::find(m.begin(), m.end(), true) != m.end(); };
  if (any(marks(text))) return true;
  const std::string stripped = strip_control(text, Layout::multi_line);
  return any(marks(stripped));
}

std::string strip_control(std::string_view text, Layout layout) {
  std::vector<Kept> kept = strip(text, layout);
  std::string out;
  out.reserve(text.size());
  for (const Kept& k : kept) append_utf8(out, k.cp);
  OPENSSL_cleanse(kept.data(), kept.size() * sizeof(Kept));  // may hold a secret split by a control
  return out;
}

}  // namespace harvest_connect::model

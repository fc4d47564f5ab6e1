#pragma once
// The one scrubber for text that came from a server (or passed through one) before it is put
// in an exception, stored in the plaintext last_error column, or printed.
//
// A Scrubber knows the secrets of one connection (client secret, access, refresh and personal
// access tokens, account ID, PKCE verifier, state, code) and removes each of them, in every
// form a server might echo it in:
//
// - raw, and percent-encoded (upper or lower hex, '+' for a space, doubly encoded "%25XX",
//   mixed with literal characters), and JSON-escaped ("\u0041", "\/"): the text is matched
//   both as written and decoded;
// - hex (either case);
// - base64, standard or URL-safe, padded or not, at any of the three byte alignments, so a
//   secret inside a longer base64 blob (HTTP Basic's base64 of "client_id:client_secret") is
//   found; the whole base64 or hex run around a match is removed, since every character of
//   it is derived from the secret;
// - truncated or cut out: any run of at least scrub_fragment_length characters of a secret
//   (12 of its hex, 8 of its base64: as many bytes' worth) is removed, wherever it is in the
//   text, so a secret cut at the end of a truncated message, or "…" in its middle, is still
//   found. Shorter secrets are only found whole; secrets shorter than min_scrubbed_secret are
//   not recognised at all (they cannot be told apart from ordinary text).
//
// Each removed span becomes `scrubbed`. Then control characters are stripped: C0 (keeping \n
// and \t only in Layout::multi_line), DEL, C1, whole ESC/CSI/OSC/DCS sequences and the
// Unicode bidirectional overrides, so text from a server cannot drive a terminal; invalid
// UTF-8 becomes U+FFFD. Secrets are matched again after stripping, so a secret split by an
// escape sequence is found too.
//
// The encoded forms derived from the secrets are secrets too: they live in crypto::Secret
// buffers (wiped when the last copy of the Scrubber goes), and the index over them holds
// only views into those buffers.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harvest_connect/crypto/secret.hpp"

namespace harvest_connect::model {

// What a removed secret is replaced with: ASCII, so that it survives every later filter
// (RFC 6749's character set for descriptions, terminals without UTF-8).
inline constexpr std::string_view scrubbed = "[redacted]";
// Runs of this many characters of a secret (as many bytes' worth of an encoding) are removed.
inline constexpr std::size_t scrub_fragment_length = 6;
// Shorter secrets are not recognised.
inline constexpr std::size_t min_scrubbed_secret = 4;

enum class Layout {
  one_line,    // a message: newlines and tabs become spaces
  multi_line,  // a body: newlines and tabs stay
};

class Scrubber {
 public:
  Scrubber() = default;

  // Removes `secret` (and its encodings) from every text scrubbed from now on.
  void add(const crypto::Secret& secret);
  void add(const std::optional<crypto::Secret>& secret) {
    if (secret) add(*secret);
  }
  // The client secret, and HTTP Basic's credentials (RFC 6749 §2.3.1: base64 of the
  // form-encoded "client_id:client_secret"); the client ID alone is not secret.
  void add_basic_credentials(std::string_view client_id, const crypto::Secret& client_secret);
  // Every secret `other` knows.
  void add(const Scrubber& other);

  [[nodiscard]] bool empty() const noexcept { return forms_.empty(); }

  // `text` without any form of the secrets and without control characters.
  [[nodiscard]] std::string scrub(std::string_view text, Layout layout = Layout::one_line) const;
  // Same, at most `max_bytes` long (cut at a character boundary), for a body kept in an error.
  // The text is scrubbed before the cut, so the cut never leaves a secret's prefix; only the
  // first 2 * max_bytes + 1 KiB of `text` are read.
  [[nodiscard]] std::string scrub(std::string_view text, Layout layout, std::size_t max_bytes) const;
  // Whether `text` holds a form of a secret (what scrub() would remove).
  [[nodiscard]] bool finds(std::string_view text) const;

 private:
  enum class Kind { plain, hex, base64 };
  struct Form {
    std::shared_ptr<const crypto::Secret> text;
    Kind kind;
  };
  void add_form(crypto::Secret text, Kind kind);
  void add_base64_forms(const crypto::Secret& bytes);
  void reindex();
  [[nodiscard]] std::vector<bool> marks(std::string_view text) const;

  std::vector<Form> forms_;
  // Per kind: the fragments (views into forms_' buffers) sorted, for binary search.
  std::vector<std::string_view> fragments_[3];
  // Per kind: the forms shorter than a fragment, found only whole.
  std::vector<std::string_view> short_forms_[3];
};

// Only the control-character part of scrub(), for server text that holds no secret of ours.
[[nodiscard]] std::string strip_control(std::string_view text, Layout layout = Layout::one_line);

}  // namespace harvest_connect::model

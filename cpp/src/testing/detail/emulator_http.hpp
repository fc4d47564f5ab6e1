#pragma once
// The emulator's HTTP vocabulary, shared by its ID service, its API v2 and its dispatcher:
// decoded query and form parameters, and the answers Harvest gives (JSON errors in Harvest's
// and OAuth's shapes, HTML pages with a strict Content-Security-Policy).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "harvest_connect/http/server.hpp"

namespace harvest_connect::testing::detail {

// Decoded query or form parameters, in order; '+' is a space (application/x-www-form-urlencoded).
struct Params {
  std::vector<std::pair<std::string, std::string>> items;

  [[nodiscard]] const std::string* get(std::string_view key) const {
    for (const auto& [k, v] : items)
      if (k == key) return &v;
    return nullptr;
  }
  [[nodiscard]] std::string value(std::string_view key) const {
    const auto* v = get(key);
    return v ? *v : std::string();
  }
};

// Names whose values the request log and the links the emulator writes never show.
[[nodiscard]] bool is_secret_param(std::string_view key);

// nullopt when the query (or form body) is malformed.
[[nodiscard]] std::optional<Params> parse_params(std::string_view encoded);
// A form-encoded value ('+' is a space); nullopt when its percent-encoding is malformed.
[[nodiscard]] std::optional<std::string> form_decode(std::string_view s);
// Percent-encodes everything but RFC 3986's unreserved characters.
[[nodiscard]] std::string pct(std::string_view s);
// A whole decimal number (no sign, no spaces).
[[nodiscard]] bool parse_u64(std::string_view s, std::uint64_t& v);
// base64url of `bytes` random bytes: codes, tokens, client IDs and secrets.
[[nodiscard]] std::string random_token(std::size_t bytes);
// base64url with or without padding (Harvest's cursors); nullopt when malformed.
[[nodiscard]] std::optional<std::string> base64url_decode(std::string_view text);

// Answers: JSON; Harvest's {status, error, message}; a 422 {message}; 401 invalid_token (with
// WWW-Authenticate); an OAuth error {error, error_description}, not cached.
[[nodiscard]] http::ServerResponse json_answer(int status, std::string body);
[[nodiscard]] http::ServerResponse message_answer(int status, std::string_view error_name, std::string_view message);
[[nodiscard]] http::ServerResponse unprocessable(std::string_view message);
[[nodiscard]] http::ServerResponse invalid_token();
[[nodiscard]] http::ServerResponse oauth_error(int status, std::string_view code, std::string_view description);

// An HTML page, not cached, no referrer, loading nothing (Content-Security-Policy).
[[nodiscard]] http::ServerResponse html_answer(int status, std::string body);
// The ID service's error page (for what Harvest shows instead of redirecting).
[[nodiscard]] std::string error_page(std::string_view message);
// The style of every HTML page of the ID service (inline: the pages load nothing).
inline constexpr std::string_view page_style =
    "body{font-family:system-ui,sans-serif;background:#f6f3ee;margin:0}main{max-width:26rem;margin:4rem auto;"
    "background:#fff;padding:2rem;border-radius:8px;box-shadow:0 1px 4px #0002}h1{font-size:1.3rem;color:#f36c00}"
    "label{display:block;margin:.8rem 0 .2rem}input,select{width:100%;padding:.5rem;box-sizing:border-box}"
    "button{margin-top:1.2rem;padding:.6rem 1rem;border:0;border-radius:4px;cursor:pointer}"
    ".allow{background:#188433;color:#fff}.deny{background:#ddd;margin-left:.5rem}.err{color:#b00020}";

}  // namespace harvest_connect::testing::detail

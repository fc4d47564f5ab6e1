#pragma once
// Absolute http(s) URLs, query strings and HTML forms, parsed and built with Boost.URL.
// Parsing is strict: anything that is not a well-formed absolute http or https URL with a host
// is an error (errc::validation_failed), never a best guess.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace harvest_connect::http {

// Name/value pairs in order; names may repeat (a query string or a form body).
using Params = std::vector<std::pair<std::string, std::string>>;

class Url {
 public:
  // Parses an absolute http:// or https:// URL. Refused: other schemes, relative references,
  // an empty host, user info (credentials do not belong in URLs), a port outside 1-65535,
  // malformed percent-escapes, and host names with characters DNS cannot carry.
  // Error messages never quote the query (it may hold an OAuth code).
  [[nodiscard]] static Url parse(std::string_view text);

  // The URL as given (normalised: scheme and host lower-cased).
  [[nodiscard]] const std::string& str() const noexcept { return text_; }
  [[nodiscard]] const std::string& scheme() const noexcept { return scheme_; }  // "http" | "https"
  [[nodiscard]] bool is_https() const noexcept { return scheme_ == "https"; }
  // The host without brackets: "example.com", "127.0.0.1", "::1".
  [[nodiscard]] const std::string& host() const noexcept { return host_; }
  [[nodiscard]] bool host_is_ip() const noexcept { return host_is_ip_; }
  // The explicit port, or 80 / 443 by scheme.
  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  // Path and query as sent in a request line ("/" when the path is empty); never the fragment.
  [[nodiscard]] std::string target() const;
  // The percent-encoded path ("/v2/users/me"), possibly empty.
  [[nodiscard]] std::string path() const;
  // The value of the Host header: the host (IPv6 in brackets) and the port when not the default.
  [[nodiscard]] std::string authority() const;
  // scheme://authority, e.g. "https://api.harvestapp.com"; what decides if two URLs share a
  // connection or a trust decision.
  [[nodiscard]] std::string origin() const;
  // The URL without query and fragment, safe to show in a message or a log.
  [[nodiscard]] std::string redacted() const;

  // The decoded query parameters, in order ('+' is a space, as forms and Harvest use it).
  [[nodiscard]] Params query_params() const;
  // The first value of a query parameter.
  [[nodiscard]] std::optional<std::string> query_param(std::string_view name) const;
  // A copy with `params` appended to the query (encoded as needed).
  [[nodiscard]] Url with_query(const Params& params) const;
  // A copy with every parameter named like one in `params` replaced (others kept, then the
  // remaining ones of `params` appended).
  [[nodiscard]] Url with_query_replaced(const Params& params) const;
  // Resolves a reference (absolute URL, "/abs/path", "rel/path", "?query") against this URL as
  // RFC 3986 section 5 says; the result must again be an absolute http(s) URL.
  [[nodiscard]] Url resolve(std::string_view reference) const;

  friend bool operator==(const Url& a, const Url& b) noexcept { return a.text_ == b.text_; }

 private:
  Url() = default;
  std::string text_;
  std::string scheme_;
  std::string host_;
  bool host_is_ip_ = false;
  std::uint16_t port_ = 0;
};

// application/x-www-form-urlencoded (the body of OAuth token requests): spaces as '+', every
// byte but ALPHA / DIGIT / "-" / "." / "_" / "~" percent-encoded.
[[nodiscard]] std::string form_encode(const Params& params);
// The inverse; a malformed escape is errc::validation_failed. Empty pieces ("a=1&&b=2") are skipped.
[[nodiscard]] Params form_decode(std::string_view body);
// Percent-encodes one query or form component the same way as form_encode.
[[nodiscard]] std::string form_encode_component(std::string_view text);

// True for exactly "localhost" (any case, an optional final dot), 127.0.0.0/8 and ::1 (also
// written in brackets, and IPv4-mapped ::ffff:127.x.y.z); not for names under ".localhost".
// Plain http:// is allowed only to such hosts, and the client then also checks that the name
// resolved to a loopback address before it connects.
[[nodiscard]] bool is_loopback_host(std::string_view host) noexcept;

}  // namespace harvest_connect::http

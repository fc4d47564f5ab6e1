#pragma once
// Private helpers of oauth/: URL checks through Boost.URL, and text safe for messages.

#include <string>
#include <string_view>

#include <boost/url.hpp>

namespace harvest_connect::oauth::detail {

// An absolute http(s) URL with a host and no fragment; errc::validation_failed naming
// `field` otherwise (the URL itself is not repeated: it may hold a secret).
[[nodiscard]] boost::urls::url parse_http_url(std::string_view field, std::string_view text);

// The port of an http(s) URL, the scheme's default when none is written.
[[nodiscard]] std::uint16_t effective_port(const boost::urls::url_view& url);

// True when `a` and `b` name the same endpoint: scheme, host (case-insensitive), port
// (defaults filled in) and path, ignoring the query.
[[nodiscard]] bool same_endpoint(const boost::urls::url_view& a, const boost::urls::url_view& b);

// Text from a remote party, made fit for an error message: printable ASCII only (RFC 6749
// §5.2's character set for error codes and descriptions), at most `max` characters.
[[nodiscard]] std::string printable(std::string_view text, std::size_t max = 200);

}  // namespace harvest_connect::oauth::detail

#pragma once
// Two small text rules shared by the HTTP-facing code (header fields, the loopback
// receiver's page, the emulator's pages): ASCII case-insensitive comparison, as HTTP field
// names, auth schemes and token types are compared, and escaping text for an HTML page.

#include <string>
#include <string_view>

namespace harvest_connect::http::detail {

// ASCII letters only (Boost.Beast's iequals): no locale, so a Turkish 'I' cannot match 'i'.
[[nodiscard]] bool iequals(std::string_view a, std::string_view b) noexcept;

// Text made safe for an HTML element's content or a quoted attribute value: & < > " '.
[[nodiscard]] std::string html_escape(std::string_view text);

}  // namespace harvest_connect::http::detail

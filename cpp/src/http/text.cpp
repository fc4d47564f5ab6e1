#include "http/detail/text.hpp"

#include <boost/beast/core/string.hpp>

namespace harvest_connect::http::detail {

bool iequals(std::string_view a, std::string_view b) noexcept { return boost::beast::iequals(a, b); }

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

}  // namespace harvest_connect::http::detail

#include "oauth/detail/url_check.hpp"

#include <algorithm>
#include <cctype>

#include "harvest_connect/error.hpp"

namespace harvest_connect::oauth::detail {

boost::urls::url parse_http_url(std::string_view field, std::string_view text) {
  auto parsed = boost::urls::parse_absolute_uri(text);
  if (!parsed) parsed = boost::urls::parse_uri(text);
  std::string name(field);
  if (!parsed) throw error(errc::validation_failed, name + ": must be an absolute http or https URL");
  boost::urls::url url(*parsed);
  if (url.scheme_id() != boost::urls::scheme::http && url.scheme_id() != boost::urls::scheme::https)
    throw error(errc::validation_failed, name + ": must be an http or https URL");
  if (!url.has_authority() || url.encoded_host().empty())
    throw error(errc::validation_failed, name + ": must name a host");
  if (url.has_fragment()) throw error(errc::validation_failed, name + ": must not have a #fragment");
  if (url.has_userinfo()) throw error(errc::validation_failed, name + ": must not hold a user name or password");
  return url;
}

std::uint16_t effective_port(const boost::urls::url_view& url) {
  if (url.has_port()) return url.port_number();
  return url.scheme_id() == boost::urls::scheme::https ? 443 : 80;
}

bool same_endpoint(const boost::urls::url_view& a, const boost::urls::url_view& b) {
  auto lower = [](std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
  };
  if (a.scheme_id() != b.scheme_id()) return false;
  if (lower(std::string(a.encoded_host())) != lower(std::string(b.encoded_host()))) return false;
  if (effective_port(a) != effective_port(b)) return false;
  std::string pa = a.path(), pb = b.path();
  if (pa.empty()) pa = "/";
  if (pb.empty()) pb = "/";
  return pa == pb;
}

std::string printable(std::string_view text, std::size_t max) {
  std::string out;
  for (unsigned char c : text) {
    if (out.size() >= max) {
      out += "...";
      break;
    }
    out += (c >= 0x20 && c <= 0x7e && c != '"' && c != '\\') ? static_cast<char>(c) : '?';
  }
  return out;
}

}  // namespace harvest_connect::oauth::detail

#include "model/detail/url_check.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <algorithm>
#include <cctype>

namespace harvest_connect::model::detail {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

bool loopback(const boost::urls::url_view& u) {
  switch (u.host_type()) {
    case boost::urls::host_type::ipv4:
      return (u.host_ipv4_address().to_uint() >> 24) == 127;
    case boost::urls::host_type::ipv6:
      return u.host_ipv6_address().is_loopback();
    case boost::urls::host_type::name:
      return iequals(u.encoded_host(), "localhost");
    default:
      return false;
  }
}

}  // namespace

bool is_loopback_host(std::string_view url) {
  auto r = boost::urls::parse_absolute_uri(url);
  return r && loopback(*r);
}

std::string check_endpoint_url(std::string_view url, const UrlPolicy& policy, std::string& problem) {
  problem.clear();
  if (url.empty()) {
    problem = "is required (an https:// URL)";
    return {};
  }
  for (char c : url)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      problem = "must not contain spaces or control characters";
      return {};
    }
  auto r = boost::urls::parse_absolute_uri(url);
  if (!r) {
    problem = "must be an absolute URL such as https://example.com/path";
    return {};
  }
  boost::urls::url u(*r);
  const std::string scheme(u.scheme());
  if (!iequals(scheme, "https") && !iequals(scheme, "http")) {
    problem = "must use https:// (http:// is allowed for loopback hosts only)";
    return {};
  }
  if (!u.has_authority() || u.encoded_host().empty()) {
    problem = "must name a host, as in https://example.com/path";
    return {};
  }
  if (iequals(scheme, "http") && !loopback(u)) {
    problem = "must use https:// (http:// is allowed only for 127.0.0.1, ::1 and localhost)";
    return {};
  }
  if (u.has_userinfo()) {
    problem = "must not contain a user name or password; credentials are stored separately";
    return {};
  }
  if (u.has_fragment()) {
    problem = "must not contain a fragment (#...)";
    return {};
  }
  if (!policy.allow_query && u.has_query()) {
    problem = "must not contain a query (?...)";
    return {};
  }
  u.normalize_scheme();
  u.normalize_authority();  // lower-case host, canonical percent-encoding
  std::string out(u.buffer());
  if (policy.strip_trailing_slash)
    while (!out.empty() && out.back() == '/' && out.size() > scheme.size() + 3) out.pop_back();
  return out;
}

}  // namespace harvest_connect::model::detail

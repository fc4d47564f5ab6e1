#include "harvest_connect/harvest/api_path.hpp"

#include <boost/url.hpp>

#include "harvest_connect/error.hpp"

namespace harvest_connect::harvest {

namespace urls = boost::urls;

namespace {

[[noreturn]] void invalid(const std::string& what) { throw error(errc::validation_failed, "path: " + what); }

urls::url parse_api_url(std::string_view api_url) {
  auto parsed = urls::parse_absolute_uri(api_url);
  if (!parsed) throw error(errc::validation_failed, "api_url: not an absolute URL");
  urls::url url(*parsed);
  url.remove_query();
  url.remove_fragment();
  return url;
}

// The API URL's path without a trailing slash ("/v2"; "" for a bare host).
std::string base_path(const urls::url& api) {
  std::string path(api.encoded_path());
  while (!path.empty() && path.back() == '/') path.pop_back();
  return path;
}

std::uint16_t effective_port(const urls::url_view& u) {
  if (u.has_port()) return u.port_number();
  if (u.scheme_id() == urls::scheme::https) return 443;
  if (u.scheme_id() == urls::scheme::http) return 80;
  return 0;
}

bool has_control_or_space(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x21 || c == 0x7f) return true;
  }
  return false;
}

// Rejects dot segments so that "/../oauth2/token" cannot leave the API path. A segment is
// checked as a server sees it once it decodes the path: percent-decoded first (".%2e",
// "%2E.", "%2e%2E" are all ".."), and split again at an encoded '/' or at '\\' (servers
// that decode %2F, or treat a backslash as a separator, would see more segments).
void check_segments(std::string_view path) {
  auto dot_segment = [](std::string_view piece) { return piece == "." || piece == ".."; };
  std::size_t start = 0;
  while (start <= path.size()) {
    const auto end = path.find('/', start);
    const auto seg = path.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    auto encoded = urls::make_pct_string_view(seg);
    if (!encoded) invalid("a segment has a malformed percent-encoding");
    const std::string decoded = encoded->decode();
    std::size_t from = 0;
    while (from <= decoded.size()) {
      const auto to = decoded.find_first_of("/\\", from);
      const std::string_view piece =
          std::string_view(decoded).substr(from, to == std::string::npos ? std::string::npos : to - from);
      if (dot_segment(piece)) invalid("'.' and '..' segments are not allowed (percent-encoded ones neither)");
      if (to == std::string::npos) break;
      from = to + 1;
    }
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
}

}  // namespace

std::string resolve_api_url(std::string_view api_url, std::string_view path_or_url, const QueryParams& params) {
  const urls::url api = parse_api_url(api_url);
  const std::string base = base_path(api);
  if (path_or_url.empty()) invalid("empty; give a path such as \"/users/me\"");
  if (has_control_or_space(path_or_url)) invalid("contains spaces or control characters; percent-encode them");

  urls::url target;
  const bool absolute = path_or_url.find("://") != std::string_view::npos;
  if (absolute) {
    auto parsed = urls::parse_absolute_uri(path_or_url);
    if (!parsed) invalid("not a valid absolute URL");
    if (parsed->scheme_id() != api.scheme_id() || parsed->encoded_host() != api.encoded_host() ||
        effective_port(*parsed) != effective_port(api) || parsed->has_userinfo()) {
      invalid("an absolute URL must be on the connection's API host (" + std::string(api.scheme()) + "://" +
              std::string(api.encoded_host_and_port()) + "); the token is sent to that host only");
    }
    std::string_view p = parsed->encoded_path();
    if (!(p == base || p.starts_with(base + "/"))) invalid("an absolute URL must be under the API URL's path " + base);
    target = urls::url(*parsed);
    target.remove_fragment();
  } else {
    if (path_or_url.starts_with("//")) invalid("a scheme-relative URL is not allowed; give a path such as \"/users/me\"");
    std::string relative(path_or_url);
    if (relative.front() != '/') relative.insert(relative.begin(), '/');
    // A leading "/v2" (the API URL's own path) is accepted and not doubled.
    if (!base.empty() && (relative == base || relative.starts_with(base + "/") || relative.starts_with(base + "?"))) {
      relative.erase(0, base.size());
    }
    auto ref = urls::parse_relative_ref(relative);
    if (!ref) invalid("not a valid path; percent-encode special characters");
    if (ref->has_fragment()) invalid("a fragment (#...) is not allowed");
    target = api;
    target.set_encoded_path(base + std::string(ref->encoded_path()));
    if (ref->has_query()) target.set_encoded_query(ref->encoded_query());
  }
  check_segments(target.encoded_path());
  for (const auto& [name, value] : params) {
    if (name.empty()) invalid("a query parameter needs a name");
    target.params().set(name, value);
  }
  return std::string(target.buffer());
}

std::string api_relative_path(std::string_view api_url, std::string_view resolved_url) {
  const urls::url api = parse_api_url(api_url);
  const std::string base = base_path(api);
  auto parsed = urls::parse_absolute_uri(resolved_url);
  if (!parsed) invalid("not a valid absolute URL");
  std::string path(parsed->encoded_path());
  if (!base.empty() && (path == base || path.starts_with(base + "/"))) path.erase(0, base.size());
  if (path.empty()) path = "/";
  return path;
}

bool is_reports_path(std::string_view relative_path) noexcept {
  return relative_path == "/reports" || relative_path.starts_with("/reports/");
}

std::string resource_name(std::string_view relative_path) {
  if (is_reports_path(relative_path)) return "results";
  while (!relative_path.empty() && relative_path.back() == '/') relative_path.remove_suffix(1);
  const auto slash = relative_path.rfind('/');
  return std::string(slash == std::string_view::npos ? relative_path : relative_path.substr(slash + 1));
}

}  // namespace harvest_connect::harvest

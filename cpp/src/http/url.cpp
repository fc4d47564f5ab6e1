#include "harvest_connect/http/url.hpp"

#include <algorithm>
#include <boost/url/encode.hpp>
#include <boost/url/ipv4_address.hpp>
#include <boost/url/ipv6_address.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/pct_string_view.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <boost/url/url.hpp>
#include <cctype>
#include <charconv>

#include "harvest_connect/error.hpp"

namespace harvest_connect::http {
namespace urls = boost::urls;

namespace {

[[noreturn]] void invalid(const std::string& why) {
  throw error(errc::validation_failed, "invalid URL: " + why);
}

urls::encoding_opts form_opts() {
  urls::encoding_opts opt;
  opt.space_as_plus = true;
  return opt;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool valid_host_name(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  // LDH names (plus '_', which some internal DNS uses); no empty labels except a final root dot.
  std::size_t label = 0;
  for (std::size_t i = 0; i < host.size(); ++i) {
    const char c = host[i];
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) return false;
    if (++label > 63) return false;
  }
  return true;
}

urls::url build(const urls::url_view& view) {
  urls::url u(view);
  u.normalize_scheme();
  u.normalize_authority();
  u.remove_fragment();
  return u;
}

}  // namespace

Url Url::parse(std::string_view text) {
  // parse_uri (RFC 3986 "URI") requires a scheme, so relative references fail here too.
  auto parsed = urls::parse_uri(text);
  if (!parsed) {
    const bool relative = text.find("://") == std::string_view::npos;
    invalid(relative ? "expected an absolute http:// or https:// URL, got a relative or schemeless reference"
                     : "the text is not a well-formed URL (" + std::string(parsed.error().message()) + ")");
  }
  if (parsed->encoded_host().find('%') != std::string_view::npos) invalid("percent-escapes in the host are not allowed");
  urls::url u = build(*parsed);
  Url out;
  out.scheme_ = std::string(u.scheme());
  if (out.scheme_ != "http" && out.scheme_ != "https") {
    invalid("scheme '" + out.scheme_ + "' is not supported; use https:// (or http:// for a loopback host)");
  }
  if (!u.has_authority() || u.encoded_host().empty()) invalid("the URL has no host");
  if (u.has_userinfo()) invalid("user name or password in the URL is not allowed; pass credentials separately");

  switch (u.host_type()) {
    case urls::host_type::ipv4:
      out.host_ = u.host_ipv4_address().to_string();
      out.host_is_ip_ = true;
      break;
    case urls::host_type::ipv6:
      out.host_ = u.host_ipv6_address().to_string();
      out.host_is_ip_ = true;
      break;
    case urls::host_type::name: {
      out.host_ = lower(u.encoded_host());
      if (!valid_host_name(out.host_)) invalid("the host name '" + out.host_ + "' is not a valid DNS name");
      break;
    }
    default:
      invalid("the host form is not supported");
  }

  if (u.has_port()) {
    const auto port = u.port();
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || value == 0 || value > 65535) {
      invalid("the port must be a number from 1 to 65535");
    }
    out.port_ = static_cast<std::uint16_t>(value);
  } else {
    out.port_ = out.scheme_ == "https" ? 443 : 80;
  }
  out.text_ = std::string(u.buffer());
  return out;
}

std::string Url::target() const {
  urls::url_view u(text_);
  std::string t(u.encoded_path());
  if (t.empty()) t = "/";
  if (u.has_query()) {
    t += '?';
    t += u.encoded_query();
  }
  return t;
}

std::string Url::path() const { return std::string(urls::url_view(text_).encoded_path()); }

std::string Url::authority() const {
  std::string a = host_.find(':') != std::string::npos ? "[" + host_ + "]" : host_;
  const bool default_port = (scheme_ == "https" && port_ == 443) || (scheme_ == "http" && port_ == 80);
  if (!default_port) a += ":" + std::to_string(port_);
  return a;
}

std::string Url::origin() const { return scheme_ + "://" + authority(); }

std::string Url::redacted() const { return origin() + path(); }

Params Url::query_params() const {
  urls::url_view u(text_);
  if (!u.has_query()) return {};
  return form_decode(u.encoded_query());
}

std::optional<std::string> Url::query_param(std::string_view name) const {
  for (auto& [k, v] : query_params()) {
    if (k == name) return v;
  }
  return std::nullopt;
}

Url Url::with_query(const Params& params) const {
  urls::url u(text_);
  std::string query(u.encoded_query());
  for (const auto& [k, v] : params) {
    if (!query.empty()) query += '&';
    query += form_encode_component(k);
    query += '=';
    query += form_encode_component(v);
  }
  if (!query.empty()) u.set_encoded_query(query);
  return parse(u.buffer());
}

Url Url::with_query_replaced(const Params& params) const {
  Params kept;
  // (A named pair, not a structured binding: clang before 16 cannot capture those.)
  for (auto& param : query_params()) {
    const bool replaced =
        std::any_of(params.begin(), params.end(), [&](const auto& p) { return p.first == param.first; });
    if (!replaced) kept.emplace_back(param.first, param.second);
  }
  kept.insert(kept.end(), params.begin(), params.end());
  urls::url u(text_);
  u.remove_query();
  Url base = parse(u.buffer());
  return base.with_query(kept);
}

Url Url::resolve(std::string_view reference) const {
  auto ref = urls::parse_uri_reference(reference);
  if (!ref) invalid("the reference to resolve is malformed (" + std::string(ref.error().message()) + ")");
  urls::url dest(text_);
  auto rv = dest.resolve(*ref);
  if (!rv) invalid("the reference cannot be resolved against the base URL (" + std::string(rv.error().message()) + ")");
  return parse(dest.buffer());
}

std::string form_encode_component(std::string_view text) {
  return urls::encode(text, urls::unreserved_chars, form_opts());
}

std::string form_encode(const Params& params) {
  std::string out;
  for (const auto& [k, v] : params) {
    if (!out.empty()) out += '&';
    out += form_encode_component(k);
    out += '=';
    out += form_encode_component(v);
  }
  return out;
}

Params form_decode(std::string_view body) {
  Params out;
  auto decode = [](std::string_view piece) {
    auto pct = urls::make_pct_string_view(piece);
    if (!pct) throw error(errc::validation_failed, "malformed percent-escape in a form or query string");
    return pct->decode(form_opts());
  };
  while (!body.empty()) {
    const auto amp = body.find('&');
    const std::string_view piece = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view{} : body.substr(amp + 1);
    if (piece.empty()) continue;
    const auto eq = piece.find('=');
    if (eq == std::string_view::npos) {
      out.emplace_back(decode(piece), std::string());
    } else {
      out.emplace_back(decode(piece.substr(0, eq)), decode(piece.substr(eq + 1)));
    }
  }
  return out;
}

bool is_loopback_host(std::string_view host) noexcept {
  try {
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    std::string h = lower(host);
    if (!h.empty() && h.back() == '.') h.pop_back();
    // Exactly "localhost": names under .localhost (RFC 6761 section 6.3) are only as loopback as
    // the local resolver makes them, and nothing here checks where they resolve to before a
    // policy decision is taken on the name alone.
    if (h == "localhost") return true;
    if (auto v4 = urls::parse_ipv4_address(h)) return (v4->to_uint() >> 24) == 127;
    if (auto v6 = urls::parse_ipv6_address(h)) {
      if (v6->is_loopback()) return true;
      if (v6->is_v4_mapped()) return v6->to_bytes()[12] == 127;
    }
    return false;
  } catch (...) {
    return false;
  }
}

}  // namespace harvest_connect::http

#include "harvest_connect/http/proxy.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <boost/url/decode_view.hpp>
#include <boost/url/ipv4_address.hpp>
#include <boost/url/ipv6_address.hpp>
#include <boost/url/parse.hpp>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <cstring>

#include "harvest_connect/crypto/encoding.hpp"
#include "harvest_connect/error.hpp"
#include "crypto/detail/digest.hpp"

namespace harvest_connect::http {
namespace urls = boost::urls;

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// A std::string that is wiped when it goes: the proxy URL text may hold a password.
struct WipedString {
  std::string text;
  ~WipedString() {
    if (!text.empty()) OPENSSL_cleanse(text.data(), text.size());
  }
};

std::optional<std::array<unsigned char, 16>> parse_address(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  if (auto v4 = urls::parse_ipv4_address(text)) return urls::ipv6_address(*v4).to_bytes();
  if (auto v6 = urls::parse_ipv6_address(text)) return v6->to_bytes();
  return std::nullopt;
}

bool in_network(const std::array<unsigned char, 16>& address, const std::array<unsigned char, 16>& network,
                int prefix) {
  int bits = prefix;
  for (std::size_t i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    const unsigned mask = bits >= 8 ? 0xffu : (0xffu << (8 - bits)) & 0xffu;
    if ((address[i] & mask) != (network[i] & mask)) return false;
  }
  return true;
}

// The first non-empty of the variables, and its name.
std::optional<std::pair<std::string, std::string>> first_set(std::initializer_list<const char*> names) {
  for (const char* name : names) {
    const char* value = std::getenv(name);
    if (value && *value) return std::make_pair(std::string(name), std::string(value));
  }
  return std::nullopt;
}

}  // namespace

Proxy Proxy::parse(std::string_view url, std::string source) {
  const std::string subject = source.empty() ? std::string("the proxy URL") : source;
  auto invalid = [&](const std::string& why) -> Proxy {
    throw error(errc::validation_failed,
                subject + " is not a usable proxy URL: " + why +
                    "; expected http://[user:password@]host:port (its value is not repeated here: it may hold a "
                    "password)");
  };
  WipedString text;
  text.text = url.find("://") == std::string_view::npos ? "http://" + std::string(url) : std::string(url);
  auto parsed = urls::parse_uri(text.text);
  if (!parsed) return invalid("it is malformed");
  const std::string scheme = lower(parsed->scheme());
  if (scheme != "http") {
    return invalid("the scheme '" + scheme +
                   "' is not supported, only http:// proxies are (an https:// target is still encrypted end to end "
                   "through the tunnel)");
  }
  if (parsed->encoded_host().empty()) return invalid("it has no host");
  if (!(parsed->encoded_path().empty() || parsed->encoded_path() == "/") || parsed->has_query() ||
      parsed->has_fragment()) {
    return invalid("a proxy URL has no path, query or fragment");
  }
  Proxy out;
  switch (parsed->host_type()) {
    case urls::host_type::ipv4:
      out.host = parsed->host_ipv4_address().to_string();
      break;
    case urls::host_type::ipv6:
      out.host = parsed->host_ipv6_address().to_string();
      break;
    case urls::host_type::name:
      if (parsed->encoded_host().find('%') != std::string_view::npos) return invalid("the host is percent-encoded");
      out.host = lower(parsed->encoded_host());
      break;
    default:
      return invalid("the host form is not supported");
  }
  if (parsed->has_port()) {
    const auto port = parsed->port();
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || value == 0 || value > 65535) {
      return invalid("the port must be a number from 1 to 65535");
    }
    out.port = static_cast<std::uint16_t>(value);
  }
  if (parsed->has_userinfo()) {
    // Decoded straight into the Secret: no plain copy of the password is made.
    const auto user = parsed->encoded_user();
    const auto password = parsed->encoded_password();
    crypto::Secret credentials(user.decoded_size() + 1 + password.decoded_size());
    auto bytes = credentials.mutable_bytes();
    std::size_t i = 0;
    for (char c : *user) bytes[i++] = static_cast<unsigned char>(c);
    bytes[i++] = ':';
    for (char c : *password) bytes[i++] = static_cast<unsigned char>(c);
    out.credentials = std::move(credentials);
  }
  out.source = std::move(source);
  return out;
}

std::string Proxy::authority() const {
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string Proxy::describe() const {
  return "the proxy " + authority() + (source.empty() ? "" : " (" + source + ")");
}

NoProxy NoProxy::parse(std::string_view list) {
  NoProxy out;
  std::size_t i = 0;
  while (i < list.size()) {
    const std::size_t end = list.find_first_of(", \t\r\n", i);
    std::string_view entry = list.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i);
    i = end == std::string_view::npos ? list.size() : end + 1;
    if (entry.empty()) continue;
    if (entry == "*") {
      out.all_ = true;
      continue;
    }
    // An address, or a network in CIDR notation.
    std::string_view address = entry;
    int prefix = -1;
    if (const auto slash = entry.find('/'); slash != std::string_view::npos) {
      address = entry.substr(0, slash);
      const auto digits = entry.substr(slash + 1);
      int value = 0;
      auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
      if (digits.empty() || ec != std::errc{} || p != digits.data() + digits.size()) continue;
      prefix = value;
    }
    if (auto bytes = parse_address(address)) {
      const bool v4 = urls::parse_ipv4_address(address).has_value();
      const int width = v4 ? 32 : 128;
      if (prefix < 0) prefix = width;
      if (prefix > width) continue;
      out.networks_.push_back({*bytes, v4 ? prefix + 96 : prefix});
      continue;
    }
    if (prefix >= 0) continue;  // "name/8" is nothing
    // A name: "*.example.com", ".example.com" and "example.com" all mean the domain.
    std::string name = lower(entry);
    if (name.starts_with("*.")) name.erase(0, 2);
    while (!name.empty() && name.front() == '.') name.erase(0, 1);
    while (!name.empty() && name.back() == '.') name.pop_back();
    if (name.empty() || name.find_first_of(":*[]") != std::string::npos) continue;
    out.names_.push_back(std::move(name));
  }
  return out;
}

bool NoProxy::matches(std::string_view host) const noexcept {
  if (all_) return true;
  try {
    if (auto address = parse_address(host)) {
      return std::any_of(networks_.begin(), networks_.end(),
                         [&](const Network& n) { return in_network(*address, n.address, n.prefix); });
    }
    std::string h = lower(host);
    while (!h.empty() && h.back() == '.') h.pop_back();
    return std::any_of(names_.begin(), names_.end(), [&](const std::string& name) {
      return h == name || (h.size() > name.size() && h.ends_with(name) && h[h.size() - name.size() - 1] == '.');
    });
  } catch (...) {
    return false;  // (allocation failure) the proxy is used
  }
}

std::string NoProxy::normalized() const {
  std::string out = all_ ? "*" : "";
  for (const auto& name : names_) out += (out.empty() ? "" : ",") + name;
  for (const auto& n : networks_) {
    out += out.empty() ? "" : ",";
    out += urls::ipv6_address(n.address).to_string() + "/" + std::to_string(n.prefix);
  }
  return out;
}

ProxyConfig ProxyConfig::from_environment() {
  ProxyConfig config;
  if (auto v = first_set({"https_proxy", "HTTPS_PROXY"})) config.https = Proxy::parse(v->second, v->first);
  const bool cgi = std::getenv("REQUEST_METHOD") != nullptr;
  auto http = cgi ? first_set({"http_proxy"}) : first_set({"http_proxy", "HTTP_PROXY"});
  if (http) config.http = Proxy::parse(http->second, http->first);
  if (auto v = first_set({"no_proxy", "NO_PROXY"})) config.no_proxy = NoProxy::parse(v->second);
  if (const char* v = std::getenv("HARVEST_CONNECT_PROXY_LOOPBACK")) config.proxy_loopback = std::strcmp(v, "1") == 0;
  return config;
}

const Proxy* ProxyConfig::for_url(const Url& url) const noexcept {
  const auto& proxy = url.is_https() ? https : http;
  if (!proxy) return nullptr;
  if (!proxy_loopback && is_loopback_host(url.host())) return nullptr;
  if (no_proxy.matches(url.host())) return nullptr;
  return &*proxy;
}

std::string ProxyConfig::fingerprint() const {
  auto one = [](const std::optional<Proxy>& p) -> std::string {
    if (!p) return "direct";
    std::string out = p->authority() + "|" + p->source + "|";
    if (!p->credentials.empty()) {
      out += crypto::hex_encode(crypto::detail::sha256(p->credentials.reveal()));
    }
    return out;
  };
  return "https=" + one(https) + "\nhttp=" + one(http) + "\nno_proxy=" + no_proxy.normalized() +
         "\nloopback=" + (proxy_loopback ? "1" : "0");
}

}  // namespace harvest_connect::http

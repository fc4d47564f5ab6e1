#pragma once
// Forward proxies: which requests go through which proxy, read from the environment the way
// curl and most tools read it. The client (http/client.hpp) opens an HTTP CONNECT tunnel
// through the chosen proxy; TLS to an https:// target runs end to end inside the tunnel, with
// SNI and the certificate check against the target, never the proxy.
//
// The environment (the lower-case name wins when both are set; an empty value counts as unset):
//   https_proxy / HTTPS_PROXY   the proxy for https:// targets
//   http_proxy  / HTTP_PROXY    the proxy for http:// targets. HTTP_PROXY is ignored when
//                               REQUEST_METHOD is set (a CGI program, where a request's "Proxy:"
//                               header arrives as HTTP_PROXY: "httpoxy"); http_proxy still counts.
//   no_proxy    / NO_PROXY      targets reached directly, entries separated by commas or spaces:
//     *                          every target
//     example.com, .example.com  that name and every name under it; a leading dot (or "*.")
//                                changes nothing; never "notexample.com"
//     192.0.2.7, ::1, [::1]      that address (when the URL names it as an address)
//     10.0.0.0/8, fd00::/8       every address in that network (CIDR)
//     Entries with a port, and anything else, match nothing.
//   HARVEST_CONNECT_PROXY_LOOPBACK=1   loopback targets go through the proxy too (see below).
//
// Loopback targets (localhost, 127.0.0.0/8, ::1) are never proxied by default, whatever
// NO_PROXY says: a proxy on another machine would reach its own loopback, not this one's, and
// cleartext meant for this machine must not leave it. A proxy on this machine (a debugging
// proxy, or a test's) can be given loopback traffic on purpose with proxy_loopback /
// HARVEST_CONNECT_PROXY_LOOPBACK=1; NO_PROXY still applies then.
//
// A proxy URL is [http://][user:password@]host[:port][/]; the port defaults to 80. Only http://
// proxies are supported (the connection to the proxy is plain TCP; an https:// target is still
// TLS end to end inside the tunnel): https:// and socks proxy URLs are refused with
// errc::validation_failed, rather than silently bypassing a proxy the network may require. The
// percent-decoded user name and password become the CONNECT request's
// "Proxy-Authorization: Basic" header; they are kept in a crypto::Secret and never appear in a
// message, a log line or a repr. Errors name the variable and the proxy's host:port, never the
// URL (it may hold the password).

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harvest_connect/crypto/secret.hpp"
#include "harvest_connect/http/url.hpp"

namespace harvest_connect::http {

// One proxy: where it is and how to authenticate to it.
struct Proxy {
  std::string host;  // lower-case name or address, IPv6 without brackets
  std::uint16_t port = 80;
  crypto::Secret credentials;  // "user:password" (decoded), empty for none
  std::string source;          // where it was configured, e.g. "HTTPS_PROXY"; "" when given in code

  // Parses a proxy URL (see above). `source` names it in error messages, which never quote the
  // URL. Throws errc::validation_failed.
  [[nodiscard]] static Proxy parse(std::string_view url, std::string source = {});
  // "host:port" (an IPv6 address in brackets): what messages show. Never the credentials.
  [[nodiscard]] std::string authority() const;
  // "the proxy 10.0.0.1:3128 (HTTPS_PROXY)": the subject of every proxy error message.
  [[nodiscard]] std::string describe() const;
};

// The NO_PROXY list, parsed once.
class NoProxy {
 public:
  NoProxy() = default;
  // Never throws on content: an entry it cannot read matches nothing (other tools read the
  // same variable, and their syntax must not stop this one).
  [[nodiscard]] static NoProxy parse(std::string_view list);
  // Whether a request to `host` (a name, or an address as Url::host() gives it) goes direct.
  [[nodiscard]] bool matches(std::string_view host) const noexcept;
  // The entries as understood, normalised, in order (for a cache key and for messages).
  [[nodiscard]] std::string normalized() const;
  [[nodiscard]] bool empty() const noexcept { return !all_ && names_.empty() && networks_.empty(); }

 private:
  struct Network {
    std::array<unsigned char, 16> address{};  // IPv4 as IPv4-mapped IPv6
    int prefix = 128;
  };
  bool all_ = false;
  std::vector<std::string> names_;  // lower-case, without leading and trailing dots
  std::vector<Network> networks_;
};

struct ProxyConfig {
  std::optional<Proxy> https;  // for https:// targets
  std::optional<Proxy> http;   // for http:// targets
  NoProxy no_proxy;
  bool proxy_loopback = false;  // loopback targets go through the proxy too

  // Reads the variables above. Throws errc::validation_failed for a proxy URL it cannot use.
  [[nodiscard]] static ProxyConfig from_environment();
  // The proxy a request to `url` goes through, or nullptr to connect directly.
  [[nodiscard]] const Proxy* for_url(const Url& url) const noexcept;
  // Differs whenever two configurations route or authenticate differently; credentials enter
  // only as a SHA-256 digest. For keying caches of clients.
  [[nodiscard]] std::string fingerprint() const;
};

}  // namespace harvest_connect::http

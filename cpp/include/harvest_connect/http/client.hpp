#pragma once
// The HTTPS client every part of harvest_connect uses to talk to Harvest (and to the emulator).
//
// Boost.Beast over OpenSSL: the peer's certificate is verified against the system's CAs
// (honouring SSL_CERT_FILE / SSL_CERT_DIR) plus an optional bundle per client, the host name
// (or IP address) is checked, SNI is sent, and TLS below 1.2 is refused. Plain http:// is
// allowed only to loopback hosts (IP literals in 127.0.0.0/8 or ::1, or exactly "localhost"),
// and is then sent only to an address that is loopback once resolved, unless the options say
// otherwise. Redirects are returned to the caller, not followed, unless `follow_redirects` is set.
//
// Proxies (http/proxy.hpp): by default the proxy settings are read from the environment
// (HTTPS_PROXY, HTTP_PROXY, NO_PROXY, ...) once, when the Client is made; options() then shows
// what was read. A request through a proxy opens an HTTP CONNECT tunnel (every step under the
// same timeouts as a direct connection) and runs TLS to the target inside it.
//
// Threading: one Client may be used from many threads at once. Each request runs on the
// calling thread: it takes an idle keep-alive connection for that origin from a mutex-guarded
// pool (or opens one), drives it with the connection's own io_context, and gives it back.
// No background threads, so a Python caller can release the GIL around a request, and
// concurrency is exactly the number of calling threads.
//
// Errors (harvest_connect::error; what() never holds a header value, a body or a query):
//   errc::network_error  name resolution failed, connection refused/reset, the peer closed
//                        early, or a malformed HTTP answer (protocol error)
//   errc::tls_error      handshake or certificate verification failed; the message gives the
//                        reason (expired, unknown CA / self-signed, host name mismatch, old
//                        protocol)
//   errc::timeout        connect, a single read or write, or the whole request took too long
//   errc::too_large      the answer's header or body exceeded the cap
//   errc::validation_failed  the URL or request is malformed, http:// to a non-loopback host or
//                        to a name that does not resolve to a loopback address, or an unusable
//                        proxy setting
// For network and TLS errors, error::server_error() holds a stable reason keyword a program can
// test: "name_resolution", "connection_refused", "connection_closed", "protocol_error",
// "certificate_expired", "certificate_not_yet_valid", "unknown_ca", "host_mismatch",
// "protocol_version", "certificate_invalid", "handshake_failed"; through a proxy also
// "proxy_unreachable" (its name does not resolve, nothing listens, the connection failed or
// closed), "proxy_refused" (it answered the CONNECT with an error) and "proxy_auth_required"
// (HTTP 407: no or wrong credentials). Proxy errors name the proxy (host:port and the
// variable it came from), never its credentials.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "harvest_connect/http/message.hpp"
#include "harvest_connect/http/proxy.hpp"
#include "harvest_connect/http/url.hpp"

namespace harvest_connect::http {

struct ClientOptions {
  std::chrono::milliseconds connect_timeout{10'000};   // TCP connect and TLS handshake
  std::chrono::milliseconds io_timeout{30'000};        // each read and each write
  std::chrono::milliseconds request_timeout{120'000};  // the whole request, all steps
  std::size_t max_header_size = 64 << 10;
  std::size_t max_body_size = 256 << 20;
  // Idle keep-alive connections kept per origin (scheme, host, port); 0 disables reuse.
  std::size_t max_idle_per_host = 8;
  // An idle connection older than this is closed instead of reused (servers drop idle
  // connections after a while; Harvest's limit is not documented, so stay well below common ones).
  std::chrono::milliseconds max_idle_time{30'000};
  // Trust the system's CA store (SSL_CERT_FILE / SSL_CERT_DIR override its location).
  bool use_system_ca = true;
  // Additional trusted CAs: a PEM bundle file and/or PEM text (e.g. the emulator's CA).
  std::string ca_file;
  std::string ca_pem;
  // Follow 301/302/303/307/308 up to max_redirects; Authorization is dropped when the origin
  // changes, and https -> http is never followed.
  bool follow_redirects = false;
  int max_redirects = 5;
  // Plain http:// to a host that is not loopback. Off: credentials must not cross a network in clear.
  bool allow_insecure_http = false;
  // Which requests go through which proxy. With proxy_from_environment (the default) the Client
  // replaces `proxy` with ProxyConfig::from_environment() when it is made; otherwise `proxy` is
  // used as given (an empty ProxyConfig: always direct).
  bool proxy_from_environment = true;
  ProxyConfig proxy;
  // Sent when the request has no User-Agent of its own.
  std::string user_agent = "harvest-connect";
};

struct ClientStats {
  std::size_t requests = 0;             // requests sent (each redirect hop counts)
  std::size_t connections_opened = 0;   // TCP (and TLS) connections established
  std::size_t connections_reused = 0;   // requests sent on a pooled keep-alive connection
};

// Receives the body of a streamed response piece by piece, in order; the view is valid only
// during the call. Return false to stop reading (the connection is then closed, not reused).
using BodySink = std::function<bool(std::string_view chunk)>;

class Client {
 public:
  // Throws errc::validation_failed when ca_file cannot be read, ca_pem holds no certificate, or
  // (proxy_from_environment) a proxy variable holds a proxy URL it cannot use.
  explicit Client(ClientOptions options = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends `request` (its target an absolute URL) and returns the full answer, whatever its
  // status. Content-Length is set from the body; Host and User-Agent when missing.
  [[nodiscard]] Response send(const Request& request);
  // Like send, but the body is read into `body_buffer`'s memory (its content replaced, its
  // capacity kept). A caller reading many large answers passes each finished body back in:
  // a fresh multi-megabyte buffer per answer costs mapping, faulting in and unmapping memory.
  [[nodiscard]] Response send(const Request& request, std::string body_buffer);
  // Like send, but the body goes to `sink` as it arrives instead of into Response::body, so a
  // large answer is never held twice. max_body_size still applies.
  Response send_streaming(const Request& request, const BodySink& sink);

  [[nodiscard]] Response get(std::string_view url, const Headers& headers = {});
  // POST application/x-www-form-urlencoded.
  [[nodiscard]] Response post_form(std::string_view url, const Params& form, const Headers& headers = {});

  [[nodiscard]] ClientStats stats() const noexcept;
  [[nodiscard]] const ClientOptions& options() const noexcept;
  // Closes every idle pooled connection.
  void close_idle_connections() noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace harvest_connect::http

// The HTTPS client. Each request runs on the calling thread: a connection (socket, TLS state,
// read buffer and its own io_context) is taken from a mutex-guarded pool of idle keep-alive
// connections or opened, one C++20 coroutine drives the exchange on it, and the connection goes
// back to the pool if both sides allow keep-alive. A socket is bound to the io_context that made
// it, so giving each connection its own io_context is what lets any thread pick up any pooled
// connection, with no background threads.
//
// Every I/O step has a timeout: min(step limit, time left of the whole-request deadline), set
// on the Beast tcp_stream before the step, so one expiry mechanism covers both.

#include "harvest_connect/http/client.hpp"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <limits>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "crypto/detail/openssl_ptr.hpp"
#include "harvest_connect/crypto/encoding.hpp"
#include "harvest_connect/error.hpp"
#include "http/detail/system_ca.hpp"

namespace harvest_connect::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
// A streamed body (send_streaming) is parsed into a buffer of this size and handed to the
// sink from there; a collected body is parsed straight into its own memory.
constexpr std::size_t chunk_size = 64 << 10;

[[noreturn]] void fail(errc code, const std::string& message, const char* reason) {
  throw error(code, message, 0, {}, reason);
}

std::string ms(milliseconds d) { return std::to_string(d.count()) + " ms"; }

struct Connection {
  explicit Connection(std::string origin) : origin(std::move(origin)) {}
  asio::io_context ioc;
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;
  std::unique_ptr<char[]> chunk{new char[chunk_size]};
  std::string origin;
  Clock::time_point idle_since{};

  beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }

  // A pooled connection the server has closed (or sent unsolicited bytes on) is readable
  // while idle; such a connection would fail the next request, so it is dropped instead.
  bool looks_alive() {
    if (buffer.size() != 0) return false;
    auto& sock = lowest().socket();
    if (!sock.is_open()) return false;
    pollfd pfd{sock.native_handle(), POLLIN, 0};
    return ::poll(&pfd, 1, 0) == 0;
  }
};

// Limits for one exchange: each step's timeout is cut to what the request deadline leaves.
struct Budget {
  Clock::time_point deadline;
  milliseconds request_timeout;
  bool last_was_deadline = false;

  milliseconds step(milliseconds limit) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (left <= milliseconds(0)) {
      last_was_deadline = true;
      return milliseconds(1);
    }
    last_was_deadline = left < limit;
    return last_was_deadline ? left : limit;
  }
};

[[noreturn]] void throw_timeout(const Budget& budget, const std::string& doing, milliseconds step_limit,
                                const char* option) {
  if (budget.last_was_deadline) {
    fail(errc::timeout,
         "the request timed out while " + doing + ": the whole request exceeded request_timeout (" +
             ms(budget.request_timeout) + "); raise it if the server is known to be slow",
         "request_timeout");
  }
  fail(errc::timeout,
       "timed out after " + ms(step_limit) + " while " + doing + "; check the network or raise " + option, option);
}

[[noreturn]] void throw_tls(SSL* ssl, const boost::system::error_code& ec, const std::string& where) {
  const long verify = SSL_get_verify_result(ssl);
  if (verify != X509_V_OK) {
    const std::string detail = X509_verify_cert_error_string(verify);
    const char* reason = "certificate_invalid";
    std::string advice = "check the server's certificate";
    switch (verify) {
      case X509_V_ERR_CERT_HAS_EXPIRED:
        reason = "certificate_expired";
        advice = "the server's certificate has expired: the server must renew it (also check this machine's clock)";
        break;
      case X509_V_ERR_CERT_NOT_YET_VALID:
        reason = "certificate_not_yet_valid";
        advice = "the certificate is not valid yet: check this machine's clock";
        break;
      case X509_V_ERR_HOSTNAME_MISMATCH:
      case X509_V_ERR_IP_ADDRESS_MISMATCH:
        reason = "host_mismatch";
        advice = "host name mismatch: the certificate does not name the host in the URL; use the host name the "
                 "certificate was issued for";
        break;
      case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
      case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
      case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
      case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
      case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
        reason = "unknown_ca";
        advice = "the certificate is self-signed or issued by an unknown CA: if a proxy or your company inspects "
                 "TLS, or the server uses a private CA, trust that CA with SSL_CERT_FILE or the client's CA bundle "
                 "option (ca_file / ca_pem)";
        break;
      default:
        break;
    }
    ERR_clear_error();
    fail(errc::tls_error, "TLS certificate verification failed for " + where + ": " + detail + "; " + advice, reason);
  }
  const bool ssl_category = ec.category() == asio::error::get_ssl_category();
  const int lib_reason = ssl_category ? ERR_GET_REASON(static_cast<unsigned long>(ec.value())) : 0;
  ERR_clear_error();
  if (lib_reason == SSL_R_UNSUPPORTED_PROTOCOL || lib_reason == SSL_R_TLSV1_ALERT_PROTOCOL_VERSION ||
      lib_reason == SSL_R_NO_PROTOCOLS_AVAILABLE || lib_reason == SSL_R_VERSION_TOO_LOW) {
    fail(errc::tls_error,
         "TLS handshake with " + where + " failed: the server offers only a protocol older than TLS 1.2 (" +
             ec.message() + "); it must be upgraded, older versions are not safe",
         "protocol_version");
  }
  if (lib_reason == SSL_R_WRONG_VERSION_NUMBER || lib_reason == SSL_R_PACKET_LENGTH_TOO_LONG) {
    fail(errc::tls_error,
         "TLS handshake with " + where + " failed: the server did not answer with TLS (" + ec.message() +
             "); is it plain http:// rather than https://?",
         "handshake_failed");
  }
  fail(errc::tls_error, "TLS handshake with " + where + " failed: " + ec.message() + "; check the URL and the server",
       "handshake_failed");
}

bool is_loopback_address(const asio::ip::address& a) {
  if (a.is_v4()) return (a.to_v4().to_uint() >> 24) == 127;
  const auto v6 = a.to_v6();
  if (v6.is_loopback()) return true;
  return v6.is_v4_mapped() && (asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_uint() >> 24) == 127;
}

// A string wiped when it goes (or earlier, with wipe()): it holds a proxy password.
struct Wiped {
  std::string text;
  void wipe() noexcept {
    if (!text.empty()) OPENSSL_cleanse(text.data(), text.size());
    text.clear();
  }
  ~Wiped() { wipe(); }
};

bool header_value_ok(std::string_view v) { return v.find_first_of("\r\n") == std::string_view::npos && v.find('\0') == std::string_view::npos; }

bool is_redirect(int status) { return status == 301 || status == 302 || status == 303 || status == 307 || status == 308; }

// What one exchange needs besides the connection.
struct Exchange {
  const Url* url;
  bhttp::request<bhttp::string_body>* request;
  const ClientOptions* options;
  const Proxy* proxy;  // the route, decided once for this exchange; nullptr: direct
  Budget* budget;
  // Called once the status and headers are known; returns the sink for the body or nullptr to
  // collect the body into the Response.
  std::function<const BodySink*(const Response&)> choose_sink;
  Response response;
  bool reusable = false;
  std::string body_buffer;  // memory for a collected body (Client::send with a buffer)
};

}  // namespace

struct Client::impl {
  ClientOptions options;
  asio::ssl::context ssl{asio::ssl::context::tls_client};
  std::mutex pool_mutex;
  std::unordered_map<std::string, std::vector<std::unique_ptr<Connection>>> idle;
  std::atomic<std::size_t> requests{0}, opened{0}, reused{0};

  void configure_tls() {
    SSL_CTX* ctx = ssl.native_handle();
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    // Honours SSL_CERT_FILE / SSL_CERT_DIR; where OpenSSL's compiled-in location does not
    // exist (the wheel's OpenSSL outside Debian), the distribution's bundle (detail/system_ca.hpp).
    // A machine without a CA store just trusts nothing from it, which the verification error
    // then explains.
    if (options.use_system_ca) {
      SSL_CTX_set_default_verify_paths(ctx);
      if (auto bundle = detail::fallback_ca_bundle(detail::openssl_ca_locations(), detail::known_ca_bundles)) {
        SSL_CTX_load_verify_locations(ctx, bundle->c_str(), nullptr);
        ERR_clear_error();  // an unreadable bundle trusts nothing more; verification says so
      }
    }
    if (!options.ca_file.empty() && SSL_CTX_load_verify_locations(ctx, options.ca_file.c_str(), nullptr) != 1) {
      ERR_clear_error();
      throw error(errc::validation_failed, "cannot load the CA bundle file '" + options.ca_file +
                                               "': it must exist, be readable and hold PEM certificates");
    }
    if (!options.ca_pem.empty()) {
      crypto::detail::bio_ptr bio(BIO_new_mem_buf(options.ca_pem.data(), static_cast<int>(options.ca_pem.size())));
      X509_STORE* store = SSL_CTX_get_cert_store(ctx);
      int added = 0;
      while (crypto::detail::x509_ptr cert{PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)}) {
        if (X509_STORE_add_cert(store, cert.get()) == 1) ++added;
      }
      ERR_clear_error();  // the loop ends on a "no start line" error by design
      if (added == 0) throw error(errc::validation_failed, "ca_pem holds no PEM certificate; pass the CA's PEM text");
    }
  }

  std::unique_ptr<Connection> checkout(const std::string& origin) {
    for (;;) {
      std::unique_ptr<Connection> c;
      {
        std::lock_guard lock(pool_mutex);
        auto it = idle.find(origin);
        if (it == idle.end() || it->second.empty()) return nullptr;
        // Most recently used first: the least likely to have been closed by the server.
        c = std::move(it->second.back());
        it->second.pop_back();
      }
      if (Clock::now() - c->idle_since < options.max_idle_time && c->looks_alive()) return c;
      // else: dropped here, outside the lock (closing a socket is a system call)
    }
  }

  void give_back(std::unique_ptr<Connection> c) {
    if (options.max_idle_per_host == 0) return;
    c->idle_since = Clock::now();
    std::lock_guard lock(pool_mutex);
    auto& list = idle[c->origin];
    if (list.size() < options.max_idle_per_host) list.push_back(std::move(c));
  }

  template <class Stream>
  asio::awaitable<void> talk(Connection& c, Stream& stream, Exchange& x) {
    const std::string where = x.url->authority();
    auto& lowest = c.lowest();
    auto& budget = *x.budget;
    const auto io = x.options->io_timeout;

    {
      lowest.expires_after(budget.step(io));
      auto [ec, n] = co_await bhttp::async_write(stream, *x.request, use_tuple);
      if (ec == beast::error::timeout) throw_timeout(budget, "sending the request to " + where, io, "io_timeout");
      if (ec) {
        fail(errc::network_error,
             "the connection to " + where + " failed while sending the request: " + ec.message() + "; try again",
             "connection_closed");
      }
    }

    bhttp::response_parser<bhttp::buffer_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(x.options->max_header_size, UINT32_MAX)));
    parser.body_limit(x.options->max_body_size);
    if (x.request->method() == bhttp::verb::head) parser.skip(true);

    auto check = [&](const boost::system::error_code& ec, const char* doing) {
      if (!ec) return;
      const std::string what = std::string(doing) + " from " + where;
      if (ec == beast::error::timeout) throw_timeout(budget, what, io, "io_timeout");
      if (ec == bhttp::error::header_limit) {
        fail(errc::too_large, "the response header from " + where + " exceeds max_header_size (" +
                                  std::to_string(x.options->max_header_size) + " bytes)", "too_large");
      }
      if (ec == bhttp::error::body_limit) {
        fail(errc::too_large, "the response body from " + where + " exceeds max_body_size (" +
                                  std::to_string(x.options->max_body_size) +
                                  " bytes); raise the cap or ask for smaller pages", "too_large");
      }
      if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message || ec == asio::error::eof ||
          ec == asio::error::connection_reset || ec == asio::ssl::error::stream_truncated ||
          ec == asio::error::broken_pipe) {
        fail(errc::network_error,
             "the connection to " + where + " closed before the response was complete (" + ec.message() +
                 "); the server dropped it, try again",
             "connection_closed");
      }
      if (ec.category() == bhttp::make_error_code(bhttp::error::bad_version).category()) {
        fail(errc::network_error,
             "protocol error: the answer from " + where + " is not valid HTTP/1.1 (" + ec.message() + ")",
             "protocol_error");
      }
      fail(errc::network_error, "reading the response from " + where + " failed: " + ec.message(), "connection_closed");
    };

    {
      lowest.expires_after(budget.step(io));
      auto [ec, n] = co_await bhttp::async_read_header(stream, c.buffer, parser, use_tuple);
      check(ec, "reading the response header");
    }
    auto& head = parser.get();
    x.response.status = static_cast<int>(head.result_int());
    for (const auto& f : head) x.response.headers.add(f.name_string(), f.value());
    const BodySink* sink = x.choose_sink(x.response);

    bool stopped = false;
    if (sink) {
      while (!parser.is_done()) {
        head.body().data = c.chunk.get();
        head.body().size = chunk_size;
        lowest.expires_after(budget.step(io));
        auto [ec, n] = co_await bhttp::async_read_some(stream, c.buffer, parser, use_tuple);
        if (ec == bhttp::error::need_buffer) ec = {};
        check(ec, "reading the response body");
        const std::size_t got = chunk_size - head.body().size;
        if (got != 0 && !(*sink)(std::string_view(c.chunk.get(), got))) {
          stopped = true;
          break;
        }
      }
    } else {
      // Parsed straight into the body's own memory, grown by doubling as the bytes arrive (up
      // to Content-Length, or the body cap when chunked): a server announcing a large body and
      // sending little costs address space, not RAM (at most twice what came is zero-filled).
      // resize() zero-fills only memory the body has not held before, so a lent buffer
      // (Client::send with a buffer) of the right size is written once, not twice.
      std::string& body = x.response.body;
      const bool lent = !x.body_buffer.empty();
      body = std::move(x.body_buffer);
      const std::size_t cap = x.options->max_body_size;
      const auto announced = parser.content_length();  // within max_body_size: the parser checked
      const std::size_t limit = announced ? static_cast<std::size_t>(std::min<std::uint64_t>(*announced, cap))
                                          : (cap > std::numeric_limits<std::size_t>::max() - chunk_size ? cap : cap + chunk_size);
      if (!parser.is_done() && announced && body.capacity() < limit) {
        body.clear();  // nothing of a lent buffer's old content is worth copying
        // Memory that is lent again gets an eighth more, to fit a slightly longer next page.
        body.reserve(lent ? limit + std::min(limit / 8, std::numeric_limits<std::size_t>::max() - limit) : limit);
      }
      std::size_t filled = 0;
      while (!parser.is_done()) {
        if (body.size() - filled < chunk_size && body.size() < limit) {
          body.resize(std::min(limit, filled + std::max(chunk_size, filled)));
        }
        const std::size_t room = body.size() - filled;
        if (room == 0) {
          // Beast stops at Content-Length and enforces the body cap before this could happen;
          // the guard keeps a parser that did otherwise from spinning on an empty buffer.
          fail(errc::network_error, "protocol error: the answer from " + where + " is longer than it announced",
               "protocol_error");
        }
        head.body().data = body.data() + filled;
        head.body().size = room;
        lowest.expires_after(budget.step(io));
        auto [ec, n] = co_await bhttp::async_read_some(stream, c.buffer, parser, use_tuple);
        if (ec == bhttp::error::need_buffer) ec = {};
        check(ec, "reading the response body");
        filled += room - head.body().size;
      }
      body.resize(filled);
    }
    x.reusable = !stopped && parser.is_done() && parser.keep_alive();
  }

  // Resolves where the connection goes: the target, or the proxy when there is one. The
  // request of an http:// target is cleartext (sent to the target, or to the proxy that
  // forwards it), so then only loopback addresses are kept: a name that passed the loopback
  // check as "localhost" must also resolve to this machine.
  asio::awaitable<std::vector<tcp::endpoint>> resolve(Connection& c, const Url& url, const Proxy* proxy) {
    const std::string& host = proxy ? proxy->host : url.host();
    const std::uint16_t port = proxy ? proxy->port : url.port();
    boost::system::error_code not_ip;
    (void)asio::ip::make_address(host, not_ip);
    tcp::resolver resolver(c.ioc);
    // getaddrinfo cannot be interrupted; the system resolver's own timeouts bound this step.
    auto flags = !not_ip ? tcp::resolver::numeric_host | tcp::resolver::numeric_service
                         : tcp::resolver::numeric_service;
    auto [rec, results] = co_await resolver.async_resolve(host, std::to_string(port), flags, use_tuple);
    if (rec && proxy) {
      fail(errc::network_error,
           "cannot resolve the host name of " + proxy->describe() + ": " + rec.message() +
               "; check the proxy setting and DNS",
           "proxy_unreachable");
    }
    if (rec) {
      fail(errc::network_error,
           "cannot resolve the host name '" + host + "': " + rec.message() +
               "; check the URL, the network and DNS (if this network reaches outside only through a proxy, set "
               "HTTPS_PROXY)",
           "name_resolution");
    }
    std::vector<tcp::endpoint> endpoints;
    for (const auto& entry : results) endpoints.push_back(entry.endpoint());
    if (!url.is_https() && !options.allow_insecure_http) {
      std::erase_if(endpoints, [](const tcp::endpoint& e) { return !is_loopback_address(e.address()); });
      if (endpoints.empty() && proxy) {
        throw error(errc::validation_failed,
                    "refusing to send plain http:// to " + url.authority() + " through " + proxy->describe() +
                        ": the proxy does not resolve to a loopback address, and cleartext is sent only to this "
                        "machine; use https://, or unset the proxy for this host (NO_PROXY)");
      }
      if (endpoints.empty()) {
        throw error(errc::validation_failed,
                    "refusing plain http:// to " + url.authority() + ": '" + host +
                        "' does not resolve to a loopback address (127.0.0.0/8 or ::1), and cleartext is sent only "
                        "to this machine; check the hosts file, or use https://");
      }
    }
    co_return endpoints;
  }

  // What the CONNECT exchange gave; judged (and reported) by check_tunnel.
  struct TunnelResult {
    boost::system::error_code write_error, read_error;
    unsigned status = 0;
    bool early_data = false;
  };

  // HTTP CONNECT through `proxy` on the freshly connected plain stream: afterwards the stream
  // is a byte pipe to the target. The answer may take as long as the proxy's own connection to
  // the target, so it is read under the connect timeout. It returns what happened;
  // check_tunnel turns that into the error, which names the proxy.
  asio::awaitable<TunnelResult> tunnel(Connection& c, const Url& url, const Proxy& proxy, Budget& budget) {
    TunnelResult result;
    auto& lowest = *c.plain;
    const std::string target =
        (url.host().find(':') != std::string::npos ? "[" + url.host() + "]" : url.host()) + ":" + std::to_string(url.port());
    const bool send_agent = !options.user_agent.empty() && header_value_ok(options.user_agent);
    // Written by hand rather than as a Beast message: the header holds the proxy's password,
    // and this one buffer (reserved up front, so it never moves) is wiped once sent.
    Wiped request;
    {
      crypto::Secret basic;
      if (!proxy.credentials.empty()) basic = crypto::base64_encode_secret(proxy.credentials);
      request.text.reserve(160 + 2 * target.size() + basic.size() + (send_agent ? options.user_agent.size() : 0));
      request.text += "CONNECT " + target + " HTTP/1.1\r\nHost: " + target + "\r\n";
      if (!basic.empty()) {
        request.text += "Proxy-Authorization: Basic ";
        request.text += basic.reveal_string();
        request.text += "\r\n";
      }
      if (send_agent) {
        request.text += "User-Agent: ";
        request.text += options.user_agent;
        request.text += "\r\n";
      }
      request.text += "\r\n";
    }
    lowest.expires_after(budget.step(options.io_timeout));
    auto [wec, written] = co_await asio::async_write(lowest, asio::buffer(request.text), use_tuple);
    request.wipe();
    result.write_error = wec;
    if (wec) co_return result;

    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::empty_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(options.max_header_size, UINT32_MAX)));
    parser.skip(true);  // an answer to CONNECT has no body: the tunnel starts after the header
    lowest.expires_after(budget.step(options.connect_timeout));
    auto [rec, received] = co_await bhttp::async_read_header(lowest, buffer, parser, use_tuple);
    result.read_error = rec;
    if (rec) co_return result;
    result.status = parser.get().result_int();
    result.early_data = buffer.size() != 0;
    co_return result;
  }

  void check_tunnel(const TunnelResult& r, const Proxy& proxy, Budget& budget) {
    const std::string peer = proxy.describe();
    if (r.write_error == beast::error::timeout) {
      throw_timeout(budget, "sending the CONNECT request to " + peer, options.io_timeout, "io_timeout");
    }
    if (r.write_error) {
      fail(errc::network_error,
           "the connection to " + peer + " failed while asking it for a tunnel: " + r.write_error.message() +
               "; check the proxy setting",
           "proxy_unreachable");
    }
    const auto& rec = r.read_error;
    if (rec == beast::error::timeout) {
      throw_timeout(budget, "waiting for " + peer + " to open a tunnel", options.connect_timeout, "connect_timeout");
    }
    if (rec == bhttp::error::end_of_stream || rec == bhttp::error::partial_message || rec == asio::error::eof ||
        rec == asio::error::connection_reset || rec == asio::error::broken_pipe) {
      fail(errc::network_error,
           peer + " closed the connection before answering the CONNECT request (" + rec.message() +
               "); check the proxy setting",
           "proxy_unreachable");
    }
    if (rec) {
      fail(errc::network_error,
           "protocol error: the answer of " + peer + " to the CONNECT request is not valid HTTP (" + rec.message() + ")",
           "protocol_error");
    }
    const std::string status_text =
        "HTTP " + std::to_string(r.status) + " " + std::string(bhttp::obsolete_reason(bhttp::int_to_status(r.status)));
    // 407 is the standard answer; some proxies (tinyproxy) answer wrong credentials with 401.
    if (r.status == 407 || r.status == 401) {
      fail(errc::network_error,
           peer + " requires authentication (" + status_text + ")" +
               (proxy.credentials.empty()
                    ? ": put the user name and password in the proxy URL, http://user:password@host:port"
                    : ": it refused the user name and password of the proxy URL; check them"),
           "proxy_auth_required");
    }
    if (r.status < 200 || r.status > 299) {
      fail(errc::network_error,
           peer + " refused to open a tunnel (" + status_text +
               "): it may not allow connections to this host or port; ask its administrator, or list the host in "
               "NO_PROXY if it can be reached directly",
           "proxy_refused");
    }
    if (r.early_data) {
      fail(errc::network_error, "protocol error: " + peer + " sent data into the tunnel before the request",
           "protocol_error");
    }
  }

  asio::awaitable<void> open(Connection& c, const Url& url, const Proxy* proxy, Budget& budget) {
    const std::string where = url.authority();
    // Who the TCP connection goes to, for messages.
    const std::string peer = proxy ? proxy->describe() : where;
    const std::vector<tcp::endpoint> endpoints = co_await resolve(c, url, proxy);
    c.plain = std::make_unique<beast::tcp_stream>(c.ioc);
    auto& lowest = *c.plain;
    const auto connect_limit = options.connect_timeout;
    lowest.expires_after(budget.step(connect_limit));
    auto [cec, ep] = co_await lowest.async_connect(endpoints, use_tuple);
    if (cec == beast::error::timeout) throw_timeout(budget, "connecting to " + peer, connect_limit, "connect_timeout");
    if (cec == asio::error::connection_refused && proxy) {
      fail(errc::network_error,
           "connection refused by " + peer + ": no proxy accepts connections there; check the proxy setting and that "
           "the proxy is running",
           "proxy_unreachable");
    }
    if (cec == asio::error::connection_refused) {
      fail(errc::network_error,
           "connection refused by " + where + ": nothing accepts connections there; check the host and port, "
           "and that the server is running",
           "connection_refused");
    }
    if (cec) {
      fail(errc::network_error, "cannot connect to " + peer + ": " + cec.message() + "; check the network",
           proxy ? "proxy_unreachable" : "connection_failed");
    }
    beast::error_code ignored;
    lowest.socket().set_option(tcp::no_delay(true), ignored);
    opened.fetch_add(1, std::memory_order_relaxed);

    if (proxy) check_tunnel(co_await tunnel(c, url, *proxy, budget), *proxy, budget);
    if (!url.is_https()) co_return;

    // TLS to the target, end to end (through the tunnel when proxied): SNI and the certificate
    // check name the target, never the proxy.
    const std::string tls_where = proxy ? where + " (through " + proxy->describe() + ")" : where;
    c.tls = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(std::move(*c.plain), ssl);
    c.plain.reset();
    SSL* s = c.tls->native_handle();
    if (url.host_is_ip()) {
      // RFC 6066 forbids IP literals in SNI; the certificate must name the address instead.
      if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s), url.host().c_str()) != 1) {
        fail(errc::internal_error, "cannot set the IP address to verify for " + where, "handshake_failed");
      }
    } else {
      if (SSL_set_tlsext_host_name(s, url.host().c_str()) != 1 || SSL_set1_host(s, url.host().c_str()) != 1) {
        fail(errc::internal_error, "cannot set the host name to verify for " + where, "handshake_failed");
      }
      SSL_set_hostflags(s, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    }
    c.tls->next_layer().expires_after(budget.step(connect_limit));
    auto [hec] = co_await c.tls->async_handshake(asio::ssl::stream_base::client, use_tuple);
    if (hec == beast::error::timeout) {
      throw_timeout(budget, "in the TLS handshake with " + tls_where, connect_limit, "connect_timeout");
    }
    if (hec) throw_tls(s, hec, tls_where);
  }

  asio::awaitable<void> run(Connection& c, bool fresh, Exchange& x) {
    if (fresh) co_await open(c, *x.url, x.proxy, *x.budget);
    if (c.tls) {
      co_await talk(c, *c.tls, x);
    } else {
      co_await talk(c, *c.plain, x);
    }
  }

  // One request/response on one origin, on a pooled or new connection.
  Response perform(const Url& url, bhttp::request<bhttp::string_body>& req, Budget& budget,
                   const std::function<const BodySink*(const Response&)>& choose_sink, std::string body_buffer) {
    const std::string origin = url.origin();
    std::unique_ptr<Connection> c = checkout(origin);
    const bool fresh = !c;
    if (fresh) {
      c = std::make_unique<Connection>(origin);
    } else {
      reused.fetch_add(1, std::memory_order_relaxed);
    }
    requests.fetch_add(1, std::memory_order_relaxed);

    // The route depends only on the URL and this client's fixed proxy settings, so a pooled
    // connection of this origin took the same route.
    Exchange x{&url, &req, &options, options.proxy.for_url(url), &budget, choose_sink, {}, false, std::move(body_buffer)};
    std::exception_ptr failure;
    c->ioc.restart();
    asio::co_spawn(c->ioc, run(*c, fresh, x), [&](std::exception_ptr e) { failure = e; });
    c->ioc.run();
    if (failure) std::rethrow_exception(failure);  // the connection is dropped with `c`
    if (x.reusable) give_back(std::move(c));
    return std::move(x.response);
  }

  Response send(const Request& request, const BodySink* sink, std::string body_buffer = {}) {
    Url url = Url::parse(request.target);
    Budget budget{Clock::now() + options.request_timeout, options.request_timeout};

    std::string method = request.method.empty() ? "GET" : request.method;
    Headers headers = request.headers;
    std::string body = request.body;
    for (int hop = 0;; ++hop) {
      if (!url.is_https() && !options.allow_insecure_http && !is_loopback_host(url.host())) {
        throw error(errc::validation_failed,
                    "refusing plain http:// to " + url.authority() +
                        ": credentials would cross the network unencrypted; use https:// (http:// is allowed only "
                        "for loopback hosts)");
      }
      bhttp::request<bhttp::string_body> req;
      const auto verb = bhttp::string_to_verb(method);
      if (verb == bhttp::verb::unknown) {
        if (method.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-") != std::string::npos) {
          throw error(errc::validation_failed, "the HTTP method '" + method + "' is not a valid token");
        }
        req.method_string(method);
      } else {
        req.method(verb);
      }
      req.target(url.target());
      req.version(11);
      for (const auto& [name, value] : headers) {
        if (name.empty() || !header_value_ok(name) || name.find_first_of(": ") != std::string::npos ||
            !header_value_ok(value)) {
          // Do not echo the value: it may be a token.
          throw error(errc::validation_failed, "header '" + (header_value_ok(name) ? name : std::string("?")) +
                                                   "' has an invalid name or a value with a line break");
        }
        req.insert(name, value);
      }
      if (!headers.contains("Host")) req.set(bhttp::field::host, url.authority());
      if (!headers.contains("User-Agent") && !options.user_agent.empty()) req.set(bhttp::field::user_agent, options.user_agent);
      req.body() = body;
      req.prepare_payload();

      const bool may_follow = options.follow_redirects && hop < options.max_redirects;
      auto choose = [&](const Response& head) -> const BodySink* {
        if (may_follow && is_redirect(head.status) && head.headers.contains("Location")) return nullptr;
        return sink;
      };
      Response res = perform(url, req, budget, choose, std::move(body_buffer));  // the first hop gets it
      if (!options.follow_redirects || !is_redirect(res.status) || !res.headers.contains("Location")) return res;
      if (!may_follow) {
        fail(errc::network_error,
             "too many redirects (more than " + std::to_string(options.max_redirects) + ") starting from " +
                 Url::parse(request.target).redacted(),
             "too_many_redirects");
      }
      Url next = url.resolve(*res.headers.get("Location"));
      if (url.is_https() && !next.is_https()) return res;  // never downgrade; the caller sees the 3xx
      if (res.status == 303 || ((res.status == 301 || res.status == 302) && method == "POST")) {
        method = "GET";
        body.clear();
        headers.erase("Content-Type");
        headers.erase("Content-Length");
      }
      if (next.origin() != url.origin()) {
        // Credentials were meant for the first origin only.
        headers.erase("Authorization");
        headers.erase("Cookie");
        headers.erase("Harvest-Account-Id");
        headers.erase("Host");
      }
      url = std::move(next);
    }
  }
};

Client::Client(ClientOptions options) : impl_(std::make_unique<impl>()) {
  impl_->options = std::move(options);
  if (impl_->options.proxy_from_environment) {
    // Read once: every request of this client takes the route decided now, so a request is
    // never split between two settings (and options() shows which were used).
    impl_->options.proxy = ProxyConfig::from_environment();
    impl_->options.proxy_from_environment = false;
  }
  impl_->configure_tls();
}

Client::~Client() = default;

Response Client::send(const Request& request) { return impl_->send(request, nullptr); }

Response Client::send(const Request& request, std::string body_buffer) {
  return impl_->send(request, nullptr, std::move(body_buffer));
}

Response Client::send_streaming(const Request& request, const BodySink& sink) { return impl_->send(request, &sink); }

Response Client::get(std::string_view url, const Headers& headers) {
  Request r;
  r.method = "GET";
  r.target = std::string(url);
  r.headers = headers;
  return send(r);
}

Response Client::post_form(std::string_view url, const Params& form, const Headers& headers) {
  Request r;
  r.method = "POST";
  r.target = std::string(url);
  r.headers = headers;
  r.headers.set("Content-Type", "application/x-www-form-urlencoded");
  r.body = form_encode(form);
  return send(r);
}

ClientStats Client::stats() const noexcept {
  return {impl_->requests.load(), impl_->opened.load(), impl_->reused.load()};
}

const ClientOptions& Client::options() const noexcept { return impl_->options; }

void Client::close_idle_connections() noexcept {
  decltype(impl_->idle) drop;
  {
    std::lock_guard lock(impl_->pool_mutex);
    drop.swap(impl_->idle);
  }
}

}  // namespace harvest_connect::http

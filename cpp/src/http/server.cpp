// The small HTTP/1.1 server: one io_context run by `threads` threads, one C++20 coroutine per
// connection on its own strand. Coroutines keep the per-connection logic (read, handler,
// optional delay, fault or answer, keep-alive) readable top to bottom, and a delay is a timer
// wait, so a slow answer never holds a thread.

#include "harvest_connect/http/server.hpp"

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <mutex>
#include <thread>
#include <vector>

#include "harvest_connect/error.hpp"

namespace harvest_connect::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

std::string host_for_url(const asio::ip::address& address) {
  return address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
}

bhttp::response<bhttp::string_body> plain_error(unsigned status, unsigned version, const char* text) {
  bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(status), version};
  res.set(bhttp::field::content_type, "text/plain; charset=utf-8");
  res.body() = text;
  res.keep_alive(false);
  res.prepare_payload();
  return res;
}

}  // namespace

struct Server::impl {
  ServerOptions options;
  Handler handler;
  std::unique_ptr<asio::io_context> ioc;
  std::unique_ptr<asio::ssl::context> ssl;
  std::unique_ptr<tcp::acceptor> acceptor;
  tcp::endpoint local;
  std::atomic<std::size_t> accepted{0};
  std::vector<std::thread> threads;
  std::mutex stop_mutex;
  bool stopped = false;

  asio::awaitable<void> accept_loop() {
    for (;;) {
      // Each connection gets its own strand: its coroutine never runs on two threads at once.
      tcp::socket socket(asio::make_strand(*ioc));
      auto [ec] = co_await acceptor->async_accept(socket, use_tuple);
      if (ec == asio::error::operation_aborted || !acceptor->is_open()) co_return;
      if (ec) continue;  // e.g. EMFILE or a peer that reset before accept: keep serving others
      accepted.fetch_add(1, std::memory_order_relaxed);
      boost::system::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      auto executor = socket.get_executor();
      if (ssl) {
        asio::co_spawn(executor, serve_tls(std::move(socket)), asio::detached);
      } else {
        asio::co_spawn(executor, serve(beast::tcp_stream(std::move(socket))), asio::detached);
      }
    }
  }

  asio::awaitable<void> serve_tls(tcp::socket socket) {
    beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), *ssl);
    beast::get_lowest_layer(stream).expires_after(options.idle_timeout);
    auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, use_tuple);
    if (ec) co_return;  // the client refused us (that is what the TLS tests want) or vanished
    co_await serve(std::move(stream));
  }

  template <class Stream>
  asio::awaitable<void> serve(Stream stream) {
    auto& lowest = beast::get_lowest_layer(stream);
    std::string remote;
    {
      boost::system::error_code ec;
      auto ep = lowest.socket().remote_endpoint(ec);
      if (!ec) remote = ep.address().to_string();
    }
    beast::flat_buffer buffer;
    for (;;) {
      bhttp::request_parser<bhttp::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(options.max_header_size, UINT32_MAX)));
      parser.body_limit(options.max_body_size);
      lowest.expires_after(options.idle_timeout);
      auto [rec, n] = co_await bhttp::async_read(stream, buffer, parser, use_tuple);
      if (rec == bhttp::error::header_limit || rec == bhttp::error::body_limit) {
        const bool header = rec == bhttp::error::header_limit;
        auto res = plain_error(header ? 431 : 413, 11,
                               header ? "request header fields too large\n" : "request body too large\n");
        lowest.expires_after(options.idle_timeout);
        co_await bhttp::async_write(stream, res, use_tuple);
        break;
      }
      if (rec) {
        if (rec != bhttp::error::end_of_stream && rec != beast::error::timeout && rec != asio::error::eof &&
            rec != asio::error::connection_reset && rec != asio::error::operation_aborted &&
            rec != asio::ssl::error::stream_truncated && !parser.is_header_done()) {
          // A malformed request: say so once, then drop the connection (it cannot be resynced).
          auto res = plain_error(400, 11, "malformed request\n");
          lowest.expires_after(options.idle_timeout);
          co_await bhttp::async_write(stream, res, use_tuple);
        }
        break;
      }

      auto& req = parser.get();
      ServerRequest request;
      request.method = std::string(req.method_string());
      request.target = std::string(req.target());
      for (const auto& f : req) request.headers.add(f.name_string(), f.value());
      request.body = std::move(req.body());
      request.remote_address = remote;
      const unsigned version = req.version();
      const bool client_keep_alive = req.keep_alive();

      ServerResponse answer;
      try {
        answer = handler(request);
      } catch (...) {
        // A handler bug must not take the server down; the client sees a plain 500.
        answer = ServerResponse{};
        answer.status = 500;
        answer.headers.set("Content-Type", "text/plain; charset=utf-8");
        answer.body = "internal server error\n";
        answer.close = true;
      }

      if (answer.delay.count() > 0) {
        asio::steady_timer timer(co_await asio::this_coro::executor);
        timer.expires_after(answer.delay);
        auto [tec] = co_await timer.async_wait(use_tuple);
        if (tec) break;
      }

      if (answer.fault == ServerResponse::Fault::close_without_answer) {
        boost::system::error_code ignored;
        lowest.socket().shutdown(tcp::socket::shutdown_both, ignored);
        lowest.socket().close(ignored);
        co_return;
      }

      bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(answer.status), version};
      for (const auto& [name, value] : answer.headers) res.insert(name, value);
      res.body() = std::move(answer.body);
      const bool keep_alive = client_keep_alive && !answer.close &&
                              answer.fault == ServerResponse::Fault::none;
      res.keep_alive(keep_alive);
      if (!res.has_content_length() && !res.chunked()) res.prepare_payload();

      lowest.expires_after(options.idle_timeout);
      if (answer.fault == ServerResponse::Fault::truncate_body) {
        // Promise the full length, deliver half, then cut the connection without a TLS
        // close_notify: exactly what a dropped connection looks like to a client.
        res.content_length(res.body().size());
        bhttp::response_serializer<bhttp::string_body> sr{res};
        auto [hec, hn] = co_await bhttp::async_write_header(stream, sr, use_tuple);
        if (!hec) {
          co_await asio::async_write(stream, asio::buffer(res.body().data(), res.body().size() / 2), use_tuple);
        }
        boost::system::error_code ignored;
        lowest.socket().shutdown(tcp::socket::shutdown_both, ignored);
        lowest.socket().close(ignored);
        co_return;
      }

      auto [wec, wn] = co_await bhttp::async_write(stream, res, use_tuple);
      if (wec || !keep_alive) break;
    }
    co_await close_gracefully(stream);
  }

  asio::awaitable<void> close_gracefully(beast::tcp_stream& stream) {
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    co_return;
  }

  asio::awaitable<void> close_gracefully(beast::ssl_stream<beast::tcp_stream>& stream) {
    // Send close_notify so that clients can tell a complete answer from a truncated one; do
    // not wait long for theirs (many clients never send it).
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(2));
    co_await stream.async_shutdown(use_tuple);
  }
};

Server::Server(ServerOptions options, Handler handler) : impl_(std::make_unique<impl>()) {
  auto& s = *impl_;
  if (!handler) throw error(errc::validation_failed, "http::Server: a request handler is required");
  if (options.threads == 0) options.threads = 1;
  s.options = std::move(options);
  s.handler = std::move(handler);
  const std::string where = s.options.host + ":" + std::to_string(s.options.port);

  boost::system::error_code ec;
  const auto address = asio::ip::make_address(s.options.host, ec);
  if (ec) {
    throw error(errc::validation_failed, "http::Server: host '" + s.options.host +
                                             "' is not an IP address; give one such as 127.0.0.1 or ::1");
  }

  if (s.options.tls) {
    const auto& tls = *s.options.tls;
    s.ssl = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
    SSL_CTX* ctx = s.ssl->native_handle();
    if (tls.max_protocol_version != 0 && tls.max_protocol_version < TLS1_2_VERSION) {
      // OpenSSL 3 (and distribution configs) forbid TLS < 1.2 above security level 0. Tests ask
      // for an old-protocol server precisely to check that clients refuse it, so allow it here.
      SSL_CTX_set_security_level(ctx, 0);
      SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0");
    }
    if (tls.min_protocol_version != 0 || (tls.max_protocol_version != 0 && tls.max_protocol_version < TLS1_2_VERSION)) {
      SSL_CTX_set_min_proto_version(ctx, tls.min_protocol_version);
    }
    if (tls.max_protocol_version != 0) SSL_CTX_set_max_proto_version(ctx, tls.max_protocol_version);
    s.ssl->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3);
    s.ssl->use_certificate_chain(asio::buffer(tls.certificate_chain_pem), ec);
    if (ec) throw error(errc::tls_error, "http::Server: the TLS certificate chain is not valid PEM (leaf first)");
    s.ssl->use_private_key(asio::buffer(tls.private_key_pem.reveal().data(), tls.private_key_pem.size()),
                           asio::ssl::context::pem, ec);
    if (ec || SSL_CTX_check_private_key(ctx) != 1) {
      ERR_clear_error();
      throw error(errc::tls_error, "http::Server: the TLS private key is not valid PEM or does not match the certificate");
    }
  }

  s.ioc = std::make_unique<asio::io_context>(static_cast<int>(s.options.threads));
  s.acceptor = std::make_unique<tcp::acceptor>(*s.ioc);
  const tcp::endpoint endpoint(address, s.options.port);
  s.acceptor->open(endpoint.protocol(), ec);
  if (!ec && address.is_v6()) s.acceptor->set_option(asio::ip::v6_only(true), ec);
  // SO_REUSEADDR lets a restarted receiver bind a port still in TIME_WAIT; on Linux it does not
  // allow two live listeners on the same port, so "port in use" is still reported.
  if (!ec) s.acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) s.acceptor->bind(endpoint, ec);
  if (!ec) s.acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    const bool in_use = ec == asio::error::address_in_use;
    throw error(errc::network_error,
                "cannot listen on " + where + ": " + ec.message() +
                    (in_use ? "; another program uses that port: stop it or choose another port (0 picks a free one)"
                            : "; check the address and port"));
  }
  s.local = s.acceptor->local_endpoint();

  asio::co_spawn(s.acceptor->get_executor(), s.accept_loop(), asio::detached);
  s.threads.reserve(s.options.threads);
  for (unsigned i = 0; i < s.options.threads; ++i) {
    s.threads.emplace_back([ioc = s.ioc.get()] { ioc->run(); });
  }
}

Server::~Server() { stop(); }

std::uint16_t Server::port() const noexcept { return impl_->local.port(); }

std::string Server::base_url() const {
  return std::string(impl_->ssl ? "https://" : "http://") + host_for_url(impl_->local.address()) + ":" +
         std::to_string(impl_->local.port());
}

std::size_t Server::accepted_connections() const noexcept {
  return impl_->accepted.load(std::memory_order_relaxed);
}

void Server::stop() noexcept {
  if (!impl_) return;
  std::lock_guard lock(impl_->stop_mutex);
  if (impl_->stopped) return;
  impl_->stopped = true;
  impl_->ioc->stop();
  for (auto& t : impl_->threads) {
    if (t.joinable()) t.join();
  }
  impl_->threads.clear();
  // Destroying the io_context destroys every suspended connection coroutine, which closes its
  // socket; the acceptor goes first because it belongs to the io_context's services.
  impl_->acceptor.reset();
  impl_->ioc.reset();
}

}  // namespace harvest_connect::http

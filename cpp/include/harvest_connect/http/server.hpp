#pragma once
// A small HTTP/1.1 server over Boost.Beast, plain or TLS, for the OAuth loopback receiver and
// the Harvest emulator. It listens on one address (127.0.0.1 port 0 by default), serves
// keep-alive connections on a few threads, and hands each request to a handler.
//
// Handlers may ask for a delay or a fault, so that tests can simulate a slow or broken
// server without blocking the server's threads.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "harvest_connect/crypto/secret.hpp"
#include "harvest_connect/http/message.hpp"

namespace harvest_connect::http {

struct ServerTls {
  std::string certificate_chain_pem;  // leaf first
  crypto::Secret private_key_pem;
  // Highest protocol version offered, e.g. TLS1_1_VERSION to test that clients refuse it;
  // 0 means the library's default.
  int max_protocol_version = 0;
  int min_protocol_version = 0;
};

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;            // 0: the system picks a free port
  std::optional<ServerTls> tls;      // plain HTTP when empty
  unsigned threads = 2;
  std::size_t max_body_size = 1 << 20;
  std::size_t max_header_size = 16 << 10;
  std::chrono::milliseconds idle_timeout{30'000};
};

struct ServerRequest : Request {
  std::string remote_address;
};

struct ServerResponse : Response {
  // What to do instead of (or while) answering normally, for fault injection.
  enum class Fault {
    none,
    close_without_answer,  // close the connection before sending anything
    truncate_body,         // send the headers and half the body, then close
  };
  Fault fault = Fault::none;
  std::chrono::milliseconds delay{0};  // wait this long before answering (timer, not sleep)
  bool close = false;                  // close the connection after this answer
};

// Called on one of the server's threads, possibly concurrently for different connections;
// an exception it throws becomes a plain 500 answer and closes that connection.
using Handler = std::function<ServerResponse(const ServerRequest&)>;

class Server {
 public:
  // Binds and starts listening at once; throws errc::network_error (naming the address and
  // port) when it cannot, e.g. when the port is in use.
  Server(ServerOptions options, Handler handler);
  ~Server();  // stops
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  [[nodiscard]] std::uint16_t port() const noexcept;
  // "http://127.0.0.1:PORT" or "https://127.0.0.1:PORT" (IPv6 hosts in brackets).
  [[nodiscard]] std::string base_url() const;
  // TCP connections accepted so far (tests use it to prove keep-alive reuse).
  [[nodiscard]] std::size_t accepted_connections() const noexcept;
  // Stops accepting, closes open connections (pending delays are abandoned) and joins the
  // threads. Idempotent. Call it from outside the server: a handler calling it would wait for
  // its own thread.
  void stop() noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace harvest_connect::http

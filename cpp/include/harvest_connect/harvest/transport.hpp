#pragma once
// What HarvestClient sends its requests through: the HTTPS client (keep-alive, TLS checks)
// in production, a fake in tests. It sends exactly one request; retries, rate limits and
// tokens are the client's business.

#include <chrono>
#include <string>

#include "harvest_connect/http/message.hpp"

namespace harvest_connect::harvest {

class Transport {
 public:
  virtual ~Transport() = default;
  // Sends `request` (target: an absolute URL) and returns the answer, whatever its status.
  // Throws harvest_connect::error when no complete answer came: errc::network_error
  // (refused, reset, dropped, truncated), errc::tls_error, errc::timeout. Safe to call from
  // several threads at once.
  [[nodiscard]] virtual http::Response send(const http::Request& request,
                                            std::chrono::steady_clock::time_point deadline) = 0;
  // The same, reading the body into `body_buffer`'s memory where the transport can (see
  // http::Client::send); the default ignores the buffer.
  [[nodiscard]] virtual http::Response send_into(const http::Request& request,
                                                 std::chrono::steady_clock::time_point deadline,
                                                 std::string body_buffer) {
    (void)body_buffer;
    return send(request, deadline);
  }
};

}  // namespace harvest_connect::harvest

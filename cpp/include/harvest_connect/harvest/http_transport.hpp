#pragma once
// The production Transport: harvest_connect::http::Client (HTTPS with peer and host
// verification, keep-alive pool, timeouts), shared by every client of a process that uses
// the same TLS settings.

#include <memory>

#include "harvest_connect/harvest/transport.hpp"
#include "harvest_connect/http/client.hpp"

namespace harvest_connect::harvest {

[[nodiscard]] std::shared_ptr<Transport> make_http_transport(std::shared_ptr<http::Client> client);
// A client for these options, shared with other callers whose options are all the same (the
// proxy settings read from the environment and SSL_CERT_FILE / SSL_CERT_DIR included).
[[nodiscard]] std::shared_ptr<http::Client> shared_http_client(const http::ClientOptions& options);

}  // namespace harvest_connect::harvest

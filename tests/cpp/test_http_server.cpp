// The server alone, driven by a few lines of raw Beast so that these tests do not depend on
// our own client (the client's tests use the server; this keeps the two from hiding each
// other's bugs).

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <thread>

#include "harvest_connect/error.hpp"
#include "harvest_connect/http/server.hpp"
#include "harvest_connect/testing/certificates.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using namespace harvest_connect;
namespace hct = harvest_connect::testing;
using namespace harvest_connect::http;

namespace {

ServerResponse echo(const ServerRequest& req) {
  ServerResponse res;
  res.headers.set("Content-Type", "text/plain");
  res.body = req.method + " " + req.target + " " + req.body;
  return res;
}

struct RawClient {
  asio::io_context ioc;
  beast::tcp_stream stream{ioc};
  beast::flat_buffer buffer;

  explicit RawClient(std::uint16_t port, const char* host = "127.0.0.1") {
    stream.connect(tcp::endpoint(asio::ip::make_address(host), port));
  }
  bhttp::response<bhttp::string_body> call(const std::string& target, std::string body = {}) {
    bhttp::request<bhttp::string_body> req{body.empty() ? bhttp::verb::get : bhttp::verb::post, target, 11};
    req.set(bhttp::field::host, "127.0.0.1");
    req.body() = std::move(body);
    req.prepare_payload();
    bhttp::write(stream, req);
    bhttp::response<bhttp::string_body> res;
    bhttp::read(stream, buffer, res);
    return res;
  }
};

}  // namespace

TEST(HttpServer, AnswersAndKeepsTheConnectionAlive) {
  Server server({}, echo);
  EXPECT_EQ(server.base_url(), "http://127.0.0.1:" + std::to_string(server.port()));
  RawClient client(server.port());
  for (int i = 0; i < 5; ++i) {
    auto res = client.call("/a?b=" + std::to_string(i), "body");
    EXPECT_EQ(res.result_int(), 200);
    EXPECT_EQ(res.body(), "POST /a?b=" + std::to_string(i) + " body");
  }
  EXPECT_EQ(server.accepted_connections(), 1u);
}

TEST(HttpServer, PassesHeadersAndRemoteAddress) {
  Server server({}, [](const ServerRequest& req) {
    ServerResponse res;
    res.status = 201;
    res.headers.set("X-Seen", std::string(req.headers.get("x-custom").value_or("none")));
    res.body = req.remote_address;
    return res;
  });
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server.port()));
  bhttp::request<bhttp::string_body> req{bhttp::verb::get, "/", 11};
  req.set("X-Custom", "hello");
  bhttp::write(stream, req);
  beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> res;
  bhttp::read(stream, buffer, res);
  EXPECT_EQ(res.result_int(), 201);
  EXPECT_EQ(res["X-Seen"], "hello");
  EXPECT_EQ(res.body(), "127.0.0.1");
}

TEST(HttpServer, PortInUseIsANetworkErrorNamingTheAddress) {
  Server first({}, echo);
  ServerOptions options;
  options.port = first.port();
  try {
    Server second(options, echo);
    FAIL() << "a second server bound the same port";
  } catch (const error& e) {
    EXPECT_EQ(e.kind(), errc::network_error);
    EXPECT_NE(std::string(e.what()).find("127.0.0.1:" + std::to_string(first.port())), std::string::npos) << e.what();
  }
}

TEST(HttpServer, DelayDoesNotBlockOtherConnections) {
  ServerOptions options;
  options.threads = 1;  // one thread: a sleeping handler would stall the second request
  std::atomic<bool> slow_done{false};
  Server server(options, [&](const ServerRequest& req) {
    ServerResponse res;
    if (req.target == "/slow") res.delay = std::chrono::milliseconds(300);
    res.body = req.target;
    return res;
  });
  std::thread slow([&] {
    RawClient c(server.port());
    EXPECT_EQ(c.call("/slow").body(), "/slow");
    slow_done = true;
  });
  // Not a timing assertion: only that the fast answer arrives while the slow one is pending
  // would be, so we only check both answers are right and arrive.
  RawClient c(server.port());
  EXPECT_EQ(c.call("/fast").body(), "/fast");
  slow.join();
  EXPECT_TRUE(slow_done);
}

TEST(HttpServer, FaultsCloseOrTruncate) {
  Server server({}, [](const ServerRequest& req) {
    ServerResponse res;
    res.body = std::string(1000, 'x');
    if (req.target == "/close") res.fault = ServerResponse::Fault::close_without_answer;
    if (req.target == "/truncate") res.fault = ServerResponse::Fault::truncate_body;
    return res;
  });
  {
    RawClient c(server.port());
    EXPECT_THROW(c.call("/close"), boost::system::system_error);
  }
  {
    RawClient c(server.port());
    try {
      c.call("/truncate");
      FAIL() << "a truncated body was read as complete";
    } catch (const boost::system::system_error& e) {
      EXPECT_EQ(e.code(), bhttp::error::partial_message) << e.code().message();
    }
  }
}

TEST(HttpServer, OversizedBodyGets413) {
  ServerOptions options;
  options.max_body_size = 100;
  Server server(options, echo);
  RawClient c(server.port());
  EXPECT_EQ(c.call("/", std::string(101, 'y')).result_int(), 413);
}

TEST(HttpServer, HandlerExceptionIs500) {
  Server server({}, [](const ServerRequest&) -> ServerResponse { throw std::runtime_error("bug"); });
  RawClient c(server.port());
  EXPECT_EQ(c.call("/").result_int(), 500);
}

TEST(HttpServer, StopIsIdempotentAndClosesConnections) {
  Server server({}, echo);
  RawClient c(server.port());
  EXPECT_EQ(c.call("/").result_int(), 200);
  server.stop();
  server.stop();
  EXPECT_THROW(c.call("/"), boost::system::system_error);
}

TEST(HttpServer, ServesTlsWithAGeneratedCertificate) {
  auto ca = hct::make_certificate_authority("harvest-connect test CA");
  auto leaf = hct::issue_certificate(ca, {});
  ServerOptions options;
  options.tls = ServerTls{leaf.chain_pem, leaf.private_key_pem};
  Server server(options, echo);
  EXPECT_EQ(server.base_url().rfind("https://127.0.0.1:", 0), 0u);

  asio::io_context ioc;
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  ctx.add_certificate_authority(asio::buffer(ca.certificate_pem));
  ctx.set_verify_mode(asio::ssl::verify_peer);
  beast::ssl_stream<beast::tcp_stream> stream(ioc, ctx);
  SSL_set1_host(stream.native_handle(), "localhost");
  SSL_set_tlsext_host_name(stream.native_handle(), "localhost");
  beast::get_lowest_layer(stream).connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server.port()));
  stream.handshake(asio::ssl::stream_base::client);
  bhttp::request<bhttp::string_body> req{bhttp::verb::get, "/tls", 11};
  bhttp::write(stream, req);
  beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> res;
  bhttp::read(stream, buffer, res);
  EXPECT_EQ(res.body(), "GET /tls ");
}

TEST(HttpServer, IPv6Loopback) {
  std::unique_ptr<Server> server;
  ServerOptions options;
  options.host = "::1";
  try {
    server = std::make_unique<Server>(options, echo);
  } catch (const error&) {
    GTEST_SKIP() << "::1 is not available on this machine";
  }
  EXPECT_EQ(server->base_url(), "http://[::1]:" + std::to_string(server->port()));
  RawClient c(server->port(), "::1");
  EXPECT_EQ(c.call("/v6").body(), "GET /v6 ");
}

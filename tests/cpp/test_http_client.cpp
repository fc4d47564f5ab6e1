// The client against our own server on loopback, plain and TLS, with certificates generated
// for each suite: verification failures, caps, keep-alive reuse, concurrency, timeouts.

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/buffers_iterator.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "harvest_connect/error.hpp"
#include "harvest_connect/http/client.hpp"
#include "harvest_connect/http/proxy.hpp"
#include "harvest_connect/http/server.hpp"
#include "harvest_connect/testing/certificates.hpp"

using namespace harvest_connect;
using namespace harvest_connect::http;
namespace hct = harvest_connect::testing;

namespace {

ServerResponse echo(const ServerRequest& req) {
  ServerResponse res;
  res.headers.set("Content-Type", "text/plain");
  res.body = req.method + " " + req.target + " " + req.body;
  return res;
}

// Runs `f`, expecting a harvest_connect::error of `kind`; returns it for further checks.
template <class F>
error expect_error(errc kind, F&& f) {
  try {
    f();
  } catch (const error& e) {
    EXPECT_EQ(e.kind(), kind) << errc_name(e.kind()) << ": " << e.what();
    return e;
  }
  ADD_FAILURE() << "no error thrown, expected " << errc_name(kind);
  return error(errc::internal_error, "none");
}

class HttpClientTls : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ca_ = new hct::CertificateAuthority(hct::make_certificate_authority("harvest-connect test CA"));
  }
  static void TearDownTestSuite() {
    delete ca_;
    ca_ = nullptr;
  }

  static std::unique_ptr<Server> tls_server(const hct::CertificateOptions& cert = {}, int max_version = 0,
                                            std::string host = "127.0.0.1") {
    auto leaf = hct::issue_certificate(*ca_, cert);
    ServerOptions options;
    options.host = std::move(host);
    options.threads = 4;
    options.tls = ServerTls{leaf.chain_pem, leaf.private_key_pem, max_version, 0};
    return std::make_unique<Server>(options, echo);
  }
  static ClientOptions trusting() {
    ClientOptions o;
    o.ca_pem = ca_->certificate_pem;
    return o;
  }

  static hct::CertificateAuthority* ca_;
};
hct::CertificateAuthority* HttpClientTls::ca_ = nullptr;

}  // namespace

TEST_F(HttpClientTls, CustomCaPemSucceedsByIpAndByName) {
  auto server = tls_server();
  Client client(trusting());
  auto res = client.get(server->base_url() + "/hello?x=1");
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.body, "GET /hello?x=1 ");
  EXPECT_EQ(res.headers.get("content-type"), "text/plain");
  EXPECT_EQ(client.get("https://localhost:" + std::to_string(server->port()) + "/n").body, "GET /n ");
}

TEST_F(HttpClientTls, CaBundleFileSucceeds) {
  auto server = tls_server();
  const std::string path = ::testing::TempDir() + "harvest_connect_ca_" + std::to_string(server->port()) + ".pem";
  std::ofstream(path) << ca_->certificate_pem;
  ClientOptions o;
  o.ca_file = path;
  Client client(o);
  EXPECT_EQ(client.get(server->base_url() + "/f").status, 200);
  std::remove(path.c_str());

  ClientOptions missing;
  missing.ca_file = path + ".missing";
  expect_error(errc::validation_failed, [&] { Client c(missing); });
}

TEST_F(HttpClientTls, UnknownCaIsATlsError) {
  auto server = tls_server();
  Client client;  // system CAs only: our test CA is unknown to them
  auto e = expect_error(errc::tls_error, [&] { (void)client.get(server->base_url() + "/"); });
  EXPECT_EQ(e.server_error(), "unknown_ca") << e.what();
  EXPECT_NE(std::string(e.what()).find("SSL_CERT_FILE"), std::string::npos) << e.what();
}

TEST_F(HttpClientTls, WrongHostNameIsATlsErrorNamingTheMismatch) {
  hct::CertificateOptions other;
  other.dns_names = {"other.example"};
  other.ip_addresses = {};
  auto server = tls_server(other);
  Client client(trusting());
  for (const std::string host : {"127.0.0.1", "localhost"}) {
    auto e = expect_error(errc::tls_error,
                          [&] { (void)client.get("https://" + host + ":" + std::to_string(server->port()) + "/"); });
    EXPECT_EQ(e.server_error(), "host_mismatch") << e.what();
    EXPECT_NE(std::string(e.what()).find("host name mismatch"), std::string::npos) << e.what();
  }
}

TEST_F(HttpClientTls, ExpiredCertificateIsATlsErrorMentioningExpiry) {
  hct::CertificateOptions expired;
  expired.not_before = std::chrono::hours(-48);
  expired.not_after = std::chrono::hours(-24);
  auto server = tls_server(expired);
  Client client(trusting());
  auto e = expect_error(errc::tls_error, [&] { (void)client.get(server->base_url() + "/"); });
  EXPECT_EQ(e.server_error(), "certificate_expired") << e.what();
  EXPECT_NE(std::string(e.what()).find("expired"), std::string::npos) << e.what();
}

TEST_F(HttpClientTls, ServerOfferingOnlyTls11IsRefused) {
  auto server = tls_server({}, TLS1_1_VERSION);
  Client client(trusting());
  auto e = expect_error(errc::tls_error, [&] { (void)client.get(server->base_url() + "/"); });
  EXPECT_EQ(e.server_error(), "protocol_version") << e.what();
}

TEST_F(HttpClientTls, PlainHttpServerIsATlsHandshakeError) {
  Server plain({}, echo);
  Client client(trusting());
  auto e = expect_error(errc::tls_error,
                        [&] { (void)client.get("https://127.0.0.1:" + std::to_string(plain.port()) + "/"); });
  EXPECT_EQ(e.server_error(), "handshake_failed") << e.what();
}

TEST_F(HttpClientTls, KeepAliveReusesOneConnection) {
  auto server = tls_server();
  Client client(trusting());
  for (int i = 0; i < 50; ++i) {
    ASSERT_EQ(client.get(server->base_url() + "/r" + std::to_string(i)).body, "GET /r" + std::to_string(i) + " ");
  }
  EXPECT_EQ(server->accepted_connections(), 1u);
  auto stats = client.stats();
  EXPECT_EQ(stats.requests, 50u);
  EXPECT_EQ(stats.connections_opened, 1u);
  EXPECT_EQ(stats.connections_reused, 49u);
}

TEST_F(HttpClientTls, EightThreadsShareOneClient) {
  auto server = tls_server();
  Client client(trusting());
  std::atomic<int> wrong{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        const std::string path = "/t" + std::to_string(t) + "/" + std::to_string(i);
        try {
          auto res = client.send({"POST", server->base_url() + path, {}, "b" + std::to_string(i)});
          if (res.status != 200 || res.body != "POST " + path + " b" + std::to_string(i)) ++wrong;
        } catch (const std::exception&) {
          ++failed;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(client.stats().requests, 1600u);
  // Each thread holds at most one connection at a time and the pool keeps up to 8 idle ones.
  EXPECT_LE(server->accepted_connections(), 8u);
}

TEST_F(HttpClientTls, IPv6Loopback) {
  std::unique_ptr<Server> server;
  try {
    server = tls_server({}, 0, "::1");
  } catch (const error&) {
    GTEST_SKIP() << "::1 is not available on this machine";
  }
  Client client(trusting());
  auto res = client.get(server->base_url() + "/six");
  EXPECT_EQ(res.body, "GET /six ");
}

TEST(HttpClient, BodyOverTheCapIsTooLarge) {
  Server server({}, [](const ServerRequest&) {
    ServerResponse r;
    r.body = std::string(10'001, 'x');
    return r;
  });
  ClientOptions o;
  o.max_body_size = 10'000;
  Client client(o);
  expect_error(errc::too_large, [&] { (void)client.get(server.base_url() + "/"); });
  o.max_body_size = 10'001;
  Client enough(o);
  EXPECT_EQ(enough.get(server.base_url() + "/").body.size(), 10'001u);
}

TEST(HttpClient, ChunkedBodyOverTheCapIsTooLarge) {
  Server server({}, [](const ServerRequest&) {
    ServerResponse r;
    r.headers.set("Transfer-Encoding", "chunked");
    r.body = std::string(5000, 'x');
    return r;
  });
  ClientOptions o;
  o.max_body_size = 4000;
  Client client(o);
  expect_error(errc::too_large, [&] { (void)client.get(server.base_url() + "/"); });
}

TEST(HttpClient, HeaderOverTheCapIsTooLarge) {
  Server server({}, [](const ServerRequest&) {
    ServerResponse r;
    r.headers.set("X-Big", std::string(4000, 'h'));
    return r;
  });
  ClientOptions o;
  o.max_header_size = 1000;
  Client client(o);
  expect_error(errc::too_large, [&] { (void)client.get(server.base_url() + "/"); });
}

TEST(HttpClient, ChunkedAndStreamedBodies) {
  const std::string big(1'000'000, 'z');
  Server server({}, [&](const ServerRequest& req) {
    ServerResponse r;
    if (req.target == "/chunked") r.headers.set("Transfer-Encoding", "chunked");
    r.body = big;
    return r;
  });
  Client client;
  auto res = client.get(server.base_url() + "/chunked");
  EXPECT_EQ(res.headers.get("Transfer-Encoding"), "chunked");
  EXPECT_EQ(res.body, big);

  std::size_t total = 0, pieces = 0;
  auto head = client.send_streaming({"GET", server.base_url() + "/length", {}, {}}, [&](std::string_view chunk) {
    total += chunk.size();
    ++pieces;
    return chunk.find_first_not_of('z') == std::string_view::npos;
  });
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
  EXPECT_EQ(total, big.size());
  EXPECT_GT(pieces, 1u);
  EXPECT_EQ(server.accepted_connections(), 1u);
}

TEST(HttpClient, BodyIsReadIntoALentBuffer) {
  Server server({}, [](const ServerRequest& req) {
    ServerResponse r;
    r.body = req.target.starts_with("/big") ? std::string(300'000, 'b') : "{}";
    if (req.target.ends_with("chunked")) r.headers.set("Transfer-Encoding", "chunked");
    return r;
  });
  Client client;
  std::string lent(400'000, 'x');  // old content that must not survive
  const char* memory = lent.data();
  auto res = client.send({"GET", server.base_url() + "/big", {}, {}}, std::move(lent));
  EXPECT_EQ(res.body, std::string(300'000, 'b'));
  EXPECT_EQ(res.body.data(), memory);  // the same memory, not a new allocation
  memory = res.body.data();
  res = client.send({"GET", server.base_url() + "/chunked", {}, {}}, std::move(res.body));
  EXPECT_EQ(res.body, "{}");
  EXPECT_EQ(res.body.data(), memory);
  res = client.send({"GET", server.base_url() + "/small", {}, {}}, std::string());
  EXPECT_EQ(res.body, "{}");
  // A chunked answer larger than the lent buffer grows it.
  res = client.send({"GET", server.base_url() + "/big-chunked", {}, {}}, std::string(10, 'x'));
  EXPECT_EQ(res.body, std::string(300'000, 'b'));
}

namespace {
std::size_t resident_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoul(line.substr(6));
  }
  return 0;
}
}  // namespace

// A server that announces a large body and sends a few bytes must not make the client commit
// memory for the whole announced size: the body grows as bytes arrive (sizing it to
// Content-Length up front, which the lent-buffer path needs to avoid copies, would fail here).
TEST(HttpClient, AnnouncedBodySizeIsNotCommittedBeforeTheBytesArrive) {
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener, 1), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const std::string url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/";

  std::promise<void> release;
  std::thread server([listener, done = release.get_future()]() mutable {
    const int c = ::accept(listener, nullptr, nullptr);
    char request[4096];
    (void)::recv(c, request, sizeof request, 0);
    const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 200000000\r\n\r\n0123456789";
    (void)::send(c, head.data(), head.size(), MSG_NOSIGNAL);
    done.wait();
    ::close(c);
  });
  const std::size_t before = resident_kib();
  std::thread client_thread([&] {
    Client client;
    expect_error(errc::network_error, [&] { (void)client.get(url); });
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the client now waits for the rest
  const std::size_t during = resident_kib();
  release.set_value();
  client_thread.join();
  server.join();
  ::close(listener);
  EXPECT_LT(during, before + 50 * 1024) << "KiB resident before " << before << ", while waiting " << during;
}

TEST(HttpClient, ConnectionRefusedIsANetworkError) {
  std::uint16_t port = 0;
  {
    Server s({}, echo);
    port = s.port();
  }
  Client client;
  auto e = expect_error(errc::network_error, [&] { (void)client.get("http://127.0.0.1:" + std::to_string(port) + "/"); });
  EXPECT_EQ(e.server_error(), "connection_refused") << e.what();
  EXPECT_NE(std::string(e.what()).find("127.0.0.1:" + std::to_string(port)), std::string::npos) << e.what();
}

TEST(HttpClient, SlowServerHitsTheReadTimeout) {
  Server server({}, [](const ServerRequest&) {
    ServerResponse r;
    r.delay = std::chrono::seconds(30);
    return r;
  });
  ClientOptions o;
  o.io_timeout = std::chrono::milliseconds(200);
  Client client(o);
  auto e = expect_error(errc::timeout, [&] { (void)client.get(server.base_url() + "/"); });
  EXPECT_EQ(e.server_error(), "io_timeout") << e.what();
}

TEST(HttpClient, SlowServerHitsTheRequestDeadline) {
  Server server({}, [](const ServerRequest&) {
    ServerResponse r;
    r.delay = std::chrono::seconds(30);
    return r;
  });
  ClientOptions o;
  o.request_timeout = std::chrono::milliseconds(200);
  Client client(o);
  auto e = expect_error(errc::timeout, [&] { (void)client.get(server.base_url() + "/"); });
  EXPECT_EQ(e.server_error(), "request_timeout") << e.what();
}

TEST(HttpClient, DroppedAndTruncatedAnswersAreNetworkErrors) {
  Server server({}, [](const ServerRequest& req) {
    ServerResponse r;
    r.body = std::string(1000, 'x');
    if (req.target == "/drop") r.fault = ServerResponse::Fault::close_without_answer;
    if (req.target == "/cut") r.fault = ServerResponse::Fault::truncate_body;
    return r;
  });
  Client client;
  auto a = expect_error(errc::network_error, [&] { (void)client.get(server.base_url() + "/drop"); });
  EXPECT_EQ(a.server_error(), "connection_closed") << a.what();
  auto b = expect_error(errc::network_error, [&] { (void)client.get(server.base_url() + "/cut"); });
  EXPECT_EQ(b.server_error(), "connection_closed") << b.what();
  EXPECT_EQ(client.get(server.base_url() + "/ok").status, 200);  // the client recovers
}

TEST(HttpClient, GarbageAnswerIsAProtocolError) {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor acceptor(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
  std::thread peer([&] {
    auto sock = acceptor.accept();
    boost::asio::streambuf buf;
    boost::asio::read_until(sock, buf, "\r\n\r\n");
    boost::asio::write(sock, boost::asio::buffer(std::string("HTTP/1.1 abc nonsense\r\n\r\n")));
  });
  Client client;
  auto e = expect_error(errc::network_error,
                        [&] { (void)client.get("http://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port())); });
  EXPECT_EQ(e.server_error(), "protocol_error") << e.what();
  peer.join();
}

TEST(HttpClient, RedirectsAreReturnedUnlessFollowing) {
  Server server({}, [](const ServerRequest& req) {
    ServerResponse r;
    if (req.target == "/old") {
      r.status = 302;
      r.headers.set("Location", "/new");
    } else {
      r.body = req.method + " " + req.target + " auth=" + std::string(req.headers.get("Authorization").value_or(""));
    }
    return r;
  });
  Client plain;
  auto res = plain.get(server.base_url() + "/old");
  EXPECT_EQ(res.status, 302);
  EXPECT_EQ(res.headers.get("Location"), "/new");

  ClientOptions o;
  o.follow_redirects = true;
  Client following(o);
  Headers h;
  h.set("Authorization", "Bearer t");
  auto followed = following.get(server.base_url() + "/old", h);
  EXPECT_EQ(followed.status, 200);
  EXPECT_EQ(followed.body, "GET /new auth=Bearer t");  // same origin: kept
}

TEST(HttpClient, PostFormSendsEncodedBody) {
  Server server({}, [](const ServerRequest& req) {
    ServerResponse r;
    r.body = std::string(req.headers.get("Content-Type").value_or("")) + "|" + req.body;
    return r;
  });
  Client client;
  auto res = client.post_form(server.base_url() + "/token", {{"grant_type", "refresh_token"}, {"x", "a b&c"}});
  EXPECT_EQ(res.body, "application/x-www-form-urlencoded|grant_type=refresh_token&x=a+b%26c");
}

TEST(HttpClient, RefusesPlainHttpToNonLoopbackAndBadInput) {
  Client client;
  auto e = expect_error(errc::validation_failed, [&] { (void)client.get("http://example.com/x?code=SECRET"); });
  EXPECT_EQ(std::string(e.what()).find("SECRET"), std::string::npos);
  expect_error(errc::validation_failed, [&] { (void)client.get("not a url"); });
  Headers h;
  h.set("X-Evil", "a\r\nInjected: yes");
  expect_error(errc::validation_failed, [&] { (void)client.get("http://127.0.0.1:1/", h); });
}

TEST_F(HttpClientTls, SslCertFileEnvironmentIsHonoured) {
  auto server = tls_server();
  const std::string path = ::testing::TempDir() + "harvest_connect_env_ca_" + std::to_string(server->port()) + ".pem";
  std::ofstream(path) << ca_->certificate_pem;
  // ctest runs each test in its own process, so changing the environment here is contained;
  // restore it anyway for runs of the whole binary.
  const char* old = std::getenv("SSL_CERT_FILE");
  const std::string saved = old ? old : "";
  ::setenv("SSL_CERT_FILE", path.c_str(), 1);
  Client client;  // system CAs only, which now means the file above
  EXPECT_EQ(client.get(server->base_url() + "/env").status, 200);
  if (old) {
    ::setenv("SSL_CERT_FILE", saved.c_str(), 1);
  } else {
    ::unsetenv("SSL_CERT_FILE");
  }
  std::remove(path.c_str());
}

TEST(HttpClient, StaleIdleConnectionIsNotReused) {
  // The server closes after each answer; the client must notice and open a new connection
  // instead of failing on the dead one.
  Server server({}, [](const ServerRequest&) {
    ServerResponse r;
    r.close = true;
    return r;
  });
  Client client;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(client.get(server.base_url() + "/").status, 200);
  EXPECT_EQ(server.accepted_connections(), 3u);
  EXPECT_EQ(client.stats().connections_reused, 0u);
}

TEST(HttpClient, ConnectionClosedByServerWhileIdleIsReplaced) {
  ServerOptions options;
  options.idle_timeout = std::chrono::milliseconds(50);
  Server server(options, echo);
  Client client;
  EXPECT_EQ(client.get(server.base_url() + "/1").status, 200);
  // Give the server time to drop the idle connection. Whether or not it has by then, the next
  // request must succeed: a closed pooled connection is detected and replaced.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(client.get(server.base_url() + "/2").status, 200);
}

// --- through a proxy ------------------------------------------------------------------

namespace {

// A minimal HTTP CONNECT proxy on 127.0.0.1 for these tests: it records each request head and
// answers `status`; on 200 it connects to the requested target and copies bytes both ways; on 0
// it never answers.
// (The Python suite tests against a real proxy, tinyproxy.)
class FakeConnectProxy {
 public:
  explicit FakeConnectProxy(int status) : status_(status), acceptor_(ioc_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeConnectProxy() {
    stopping_ = true;
    boost::system::error_code ignored;
    // Wake the accept and every pipe blocked in a read.
    ::shutdown(acceptor_.native_handle(), SHUT_RDWR);
    {
      std::lock_guard lock(mutex_);
      for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
    }
    thread_.join();
    for (auto& t : pipes_) t.join();
  }
  std::uint16_t port() const { return port_; }
  std::string url(const std::string& userinfo = "") const {
    return "http://" + userinfo + "127.0.0.1:" + std::to_string(port_);
  }
  std::vector<std::string> heads() const {
    std::lock_guard lock(mutex_);
    return heads_;
  }

 private:
  using tcp = boost::asio::ip::tcp;

  void serve() {
    while (!stopping_) {
      auto client = std::make_shared<tcp::socket>(ioc_);
      boost::system::error_code ec;
      acceptor_.accept(*client, ec);
      if (ec) return;
      remember(client->native_handle());
      boost::asio::streambuf buf;
      boost::asio::read_until(*client, buf, "\r\n\r\n", ec);
      if (ec) continue;
      std::string head(boost::asio::buffers_begin(buf.data()), boost::asio::buffers_end(buf.data()));
      {
        std::lock_guard lock(mutex_);
        heads_.push_back(head);
      }
      if (status_ == 0) {  // silent: keeps the connection open, never answers
        std::lock_guard lock(mutex_);
        silent_.push_back(client);
        continue;
      }
      if (status_ != 200) {
        const std::string answer = "HTTP/1.1 " + std::to_string(status_) + " No\r\nContent-Length: 2\r\n\r\nno";
        boost::asio::write(*client, boost::asio::buffer(answer), ec);
        continue;
      }
      // "CONNECT host:port HTTP/1.1"
      const std::string authority = head.substr(8, head.find(' ', 8) - 8);
      const auto colon = authority.rfind(':');
      std::string host = authority.substr(0, colon);
      if (host.front() == '[') host = host.substr(1, host.size() - 2);
      auto target = std::make_shared<tcp::socket>(ioc_);
      tcp::resolver resolver(ioc_);
      boost::asio::connect(*target, resolver.resolve(host, authority.substr(colon + 1)), ec);
      if (ec) continue;
      remember(target->native_handle());
      boost::asio::write(*client, boost::asio::buffer(std::string("HTTP/1.1 200 Connection established\r\n\r\n")), ec);
      pipes_.emplace_back([client, target] { copy(*client, *target); });
      pipes_.emplace_back([client, target] { copy(*target, *client); });
    }
  }
  static void copy(tcp::socket& from, tcp::socket& to) {
    char data[16384];
    boost::system::error_code ec;
    for (;;) {
      const std::size_t n = from.read_some(boost::asio::buffer(data), ec);
      if (ec) break;
      boost::asio::write(to, boost::asio::buffer(data, n), ec);
      if (ec) break;
    }
    ::shutdown(to.native_handle(), SHUT_WR);
  }
  void remember(int fd) {
    std::lock_guard lock(mutex_);
    fds_.push_back(fd);
  }

  int status_;
  boost::asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  std::vector<std::thread> pipes_;
  mutable std::mutex mutex_;
  std::vector<std::string> heads_;
  std::vector<int> fds_;
  std::vector<std::shared_ptr<tcp::socket>> silent_;
};

ClientOptions through(const std::string& proxy_url, ClientOptions o = {}) {
  o.proxy_from_environment = false;
  o.proxy.https = Proxy::parse(proxy_url, "HTTPS_PROXY");
  o.proxy.http = Proxy::parse(proxy_url, "HTTP_PROXY");
  o.proxy.proxy_loopback = true;  // the test servers are on loopback
  return o;
}

}  // namespace

TEST_F(HttpClientTls, HttpsGoesThroughTheTunnelVerifiedAgainstTheTarget) {
  auto server = tls_server();
  FakeConnectProxy proxy(200);
  Client client(through(proxy.url("us%3Aer:pa%40ss@"), trusting()));
  EXPECT_EQ(client.get(server->base_url() + "/tunnelled").body, "GET /tunnelled ");
  EXPECT_EQ(client.get("https://localhost:" + std::to_string(server->port()) + "/n").status, 200);
  const auto heads = proxy.heads();
  ASSERT_EQ(heads.size(), 2u);
  const std::string port = std::to_string(server->port());
  EXPECT_EQ(heads[0].rfind("CONNECT 127.0.0.1:" + port + " HTTP/1.1\r\n", 0), 0u) << heads[0];
  EXPECT_NE(heads[0].find("Host: 127.0.0.1:" + port + "\r\n"), std::string::npos) << heads[0];
  // base64("us:er:pa@ss"): the user info is percent-decoded before encoding.
  EXPECT_NE(heads[0].find("Proxy-Authorization: Basic dXM6ZXI6cGFAc3M=\r\n"), std::string::npos) << heads[0];
  EXPECT_EQ(heads[1].rfind("CONNECT localhost:" + port + " HTTP/1.1\r\n", 0), 0u) << heads[1];
  EXPECT_EQ(client.stats().connections_opened, 2u);
}

TEST_F(HttpClientTls, ACertificateNotNamingTheTargetFailsThroughTheTunnelToo) {
  hct::CertificateOptions other;
  other.dns_names = {"other.example"};
  other.ip_addresses = {};
  auto server = tls_server(other);
  FakeConnectProxy proxy(200);
  Client client(through(proxy.url(), trusting()));
  auto e = expect_error(errc::tls_error, [&] { (void)client.get(server->base_url() + "/"); });
  EXPECT_EQ(e.server_error(), "host_mismatch") << e.what();
  EXPECT_NE(std::string(e.what()).find("through the proxy 127.0.0.1:" + std::to_string(proxy.port())),
            std::string::npos)
      << e.what();
  EXPECT_EQ(proxy.heads().size(), 1u);
}

TEST(HttpClient, PlainHttpGoesThroughTheTunnelOfHttpProxy) {
  Server server({}, echo);
  FakeConnectProxy proxy(200);
  Client client(through(proxy.url()));
  EXPECT_EQ(client.get(server.base_url() + "/plain").body, "GET /plain ");
  ASSERT_EQ(proxy.heads().size(), 1u);
  EXPECT_EQ(proxy.heads()[0].rfind("CONNECT 127.0.0.1:" + std::to_string(server.port()) + " ", 0), 0u);
}

TEST(HttpClient, AProxyRefusingTheTunnelIsANetworkErrorNamingTheProxy) {
  Server server({}, echo);
  for (const auto& [status, reason] : {std::pair{403, "proxy_refused"}, std::pair{502, "proxy_refused"},
                                       std::pair{407, "proxy_auth_required"},
                                       std::pair{401, "proxy_auth_required"}}) {
    FakeConnectProxy proxy(status);
    Client client(through(proxy.url("user:hunter2secret@")));
    auto e = expect_error(errc::network_error, [&] { (void)client.get(server.base_url() + "/"); });
    const std::string what = e.what();
    EXPECT_EQ(e.server_error(), reason) << what;
    EXPECT_NE(what.find("the proxy 127.0.0.1:" + std::to_string(proxy.port()) + " (HTTP_PROXY)"), std::string::npos)
        << what;
    EXPECT_NE(what.find(std::to_string(status)), std::string::npos) << what;
    EXPECT_EQ(what.find(":" + std::to_string(server.port())), std::string::npos) << "names the target: " << what;
    EXPECT_EQ(what.find("hunter2secret"), std::string::npos) << what;
  }
}

TEST(HttpClient, ADeadProxyIsANetworkErrorNamingTheProxy) {
  std::uint16_t dead = 0;
  {
    Server s({}, echo);
    dead = s.port();
  }
  Client client(through("http://user:hunter2secret@127.0.0.1:" + std::to_string(dead)));
  auto e = expect_error(errc::network_error, [&] { (void)client.get("https://127.0.0.1:1/"); });
  EXPECT_EQ(e.server_error(), "proxy_unreachable") << e.what();
  EXPECT_NE(std::string(e.what()).find("the proxy 127.0.0.1:" + std::to_string(dead) + " (HTTPS_PROXY)"),
            std::string::npos)
      << e.what();
  EXPECT_EQ(std::string(e.what()).find("hunter2secret"), std::string::npos) << e.what();
}

TEST(HttpClient, PlainHttpIsSentOnlyToALoopbackProxy) {
  // 192.0.2.1 (TEST-NET-1) is never reached: the check comes before any connection.
  Client client(through("http://192.0.2.1:3128"));
  auto e = expect_error(errc::validation_failed, [&] { (void)client.get("http://127.0.0.1:1/"); });
  EXPECT_NE(std::string(e.what()).find("through the proxy 192.0.2.1:3128"), std::string::npos) << e.what();
}

TEST(HttpClient, NoProxyAndLoopbackTargetsGoDirect) {
  Server server({}, echo);
  FakeConnectProxy proxy(403);  // would fail every request that reached it
  ClientOptions o = through(proxy.url());
  o.proxy.no_proxy = NoProxy::parse("127.0.0.1");
  EXPECT_EQ(Client(o).get(server.base_url() + "/direct").status, 200);
  o = through(proxy.url());
  o.proxy.proxy_loopback = false;
  EXPECT_EQ(Client(o).get(server.base_url() + "/direct").status, 200);
  EXPECT_TRUE(proxy.heads().empty());
}

TEST(HttpClient, ASilentProxyTimesOutNamingTheProxy) {
  FakeConnectProxy proxy(0);
  ClientOptions o = through(proxy.url());
  o.connect_timeout = std::chrono::milliseconds(300);
  Client client(o);
  auto e = expect_error(errc::timeout, [&] { (void)client.get("https://127.0.0.1:1/"); });
  EXPECT_EQ(e.server_error(), "connect_timeout") << e.what();
  EXPECT_NE(std::string(e.what()).find("waiting for the proxy 127.0.0.1:" + std::to_string(proxy.port()) +
                                       " (HTTPS_PROXY) to open a tunnel"),
            std::string::npos)
      << e.what();
  EXPECT_EQ(proxy.heads().size(), 1u);
}

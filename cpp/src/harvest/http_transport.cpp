#include "harvest_connect/harvest/http_transport.hpp"

#include <cstdlib>
#include <map>
#include <mutex>
#include <sstream>
#include <string>

namespace harvest_connect::harvest {

namespace {

class HttpTransport final : public Transport {
 public:
  explicit HttpTransport(std::shared_ptr<http::Client> client) : client_(std::move(client)) {}
  http::Response send(const http::Request& request, std::chrono::steady_clock::time_point) override {
    return client_->send(request);
  }
  http::Response send_into(const http::Request& request, std::chrono::steady_clock::time_point,
                           std::string body_buffer) override {
    return client_->send(request, std::move(body_buffer));
  }

 private:
  std::shared_ptr<http::Client> client_;
};

}  // namespace

std::shared_ptr<Transport> make_http_transport(std::shared_ptr<http::Client> client) {
  return std::make_shared<HttpTransport>(std::move(client));
}

std::shared_ptr<http::Client> shared_http_client(const http::ClientOptions& options) {
  // The proxy is decided here, once: the key and the client made for it see the same settings.
  http::ClientOptions resolved = options;
  if (resolved.proxy_from_environment) {
    resolved.proxy = http::ProxyConfig::from_environment();
    resolved.proxy_from_environment = false;
  }
  // The system trust store is read when a client is made, from SSL_CERT_FILE / SSL_CERT_DIR
  // as they are then: a client made under other values is not shared.
  auto env = [](const char* name) {
    const char* v = std::getenv(name);
    return std::string(v ? v : "");
  };
  // Every option that changes what a client does, so that one caller's settings never reach
  // another's requests. (tests/cpp/test_harvest_http_transport.cpp changes each one.)
  const auto& o = resolved;
  std::string key;
  auto add = [&key](const auto& value) {
    std::ostringstream out;
    out << value;
    const std::string text = out.str();
    key += std::to_string(text.size()) + ':' + text + ';';
  };
  add(o.connect_timeout.count());
  add(o.io_timeout.count());
  add(o.request_timeout.count());
  add(o.max_header_size);
  add(o.max_body_size);
  add(o.max_idle_per_host);
  add(o.max_idle_time.count());
  add(o.use_system_ca);
  add(o.ca_file);
  add(o.ca_pem);
  add(o.follow_redirects);
  add(o.max_redirects);
  add(o.allow_insecure_http);
  add(o.user_agent);
  add(o.proxy.fingerprint());
  add(env("SSL_CERT_FILE"));
  add(env("SSL_CERT_DIR"));
  static std::mutex mutex;
  static std::map<std::string, std::weak_ptr<http::Client>> clients;
  std::lock_guard lock(mutex);
  // Drop the entries of clients nobody holds any more (keys of one-off settings add up).
  std::erase_if(clients, [](const auto& entry) { return entry.second.expired(); });
  if (auto existing = clients[key].lock()) return existing;
  auto client = std::make_shared<http::Client>(resolved);
  clients[key] = client;
  return client;
}

}  // namespace harvest_connect::harvest

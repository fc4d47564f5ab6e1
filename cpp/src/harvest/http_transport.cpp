#include "harvest_connect/harvest/http_transport.hpp"

#include <cstdlib>
#include <map>
#include <mutex>
#include <tuple>

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
  // The system trust store is read when a client is made, from SSL_CERT_FILE / SSL_CERT_DIR
  // as they are then: a client made under other values is not shared.
  auto env = [](const char* name) {
    const char* v = std::getenv(name);
    return std::string(v ? v : "");
  };
  using key_type = std::tuple<std::string, std::string, bool, long long, long long, std::string>;
  static std::mutex mutex;
  static std::map<key_type, std::weak_ptr<http::Client>> clients;
  key_type key{options.ca_file, options.ca_pem, options.use_system_ca, options.request_timeout.count(),
               options.io_timeout.count(), env("SSL_CERT_FILE") + '\n' + env("SSL_CERT_DIR")};
  std::lock_guard lock(mutex);
  if (auto existing = clients[key].lock()) return existing;
  auto client = std::make_shared<http::Client>(options);
  clients[key] = client;
  return client;
}

}  // namespace harvest_connect::harvest

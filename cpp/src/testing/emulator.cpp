// The Harvest emulator behind an HTTP(S) server (see emulator.hpp).
#include "harvest_connect/testing/emulator.hpp"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "harvest_connect/error.hpp"
#include "harvest_connect/http/server.hpp"
#include "harvest_connect/testing/certificates.hpp"

namespace harvest_connect::testing {

struct Emulator::impl {
  EmulatorService service;
  std::string directory;  // temporary, holds the CA file
  std::string ca_file;
  std::unique_ptr<http::Server> server;

  explicit impl(const EmulatorOptions& options) : service(options) {}

  ~impl() {
    if (server) server->stop();
    if (!directory.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(directory, ec);
    }
  }
};

Emulator::Emulator(EmulatorOptions options) : impl_(std::make_unique<impl>(options)) {
  http::ServerOptions server_options;
  server_options.host = options.host;
  server_options.port = options.port;
  server_options.threads = std::max(1u, options.threads);
  server_options.max_body_size = 4 << 20;
  if (options.tls) {
    const auto ca = make_certificate_authority("harvest-connect emulator CA");
    CertificateOptions leaf;
    leaf.dns_names = {"localhost"};
    leaf.ip_addresses = {"127.0.0.1", "::1"};
    if (options.host != "127.0.0.1" && options.host != "::1" && options.host != "localhost") {
      if (options.host.find_first_not_of("0123456789.:") == std::string::npos)
        leaf.ip_addresses.push_back(options.host);
      else
        leaf.dns_names.push_back(options.host);
    }
    auto issued = issue_certificate(ca, leaf);
    std::string tmpl = (std::filesystem::temp_directory_path() / "harvest-emulator-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw error(errc::internal_error, "cannot create a temporary directory for the emulator's CA file");
    impl_->directory = tmpl;
    impl_->ca_file = tmpl + "/ca.pem";
    {
      std::ofstream out(impl_->ca_file, std::ios::binary);
      out << ca.certificate_pem;
      if (!out) throw error(errc::internal_error, "cannot write the emulator's CA file");
    }
    http::ServerTls tls;
    tls.certificate_chain_pem = issued.chain_pem;
    tls.private_key_pem = std::move(issued.private_key_pem);
    server_options.tls = std::move(tls);
  }
  EmulatorService* service = &impl_->service;
  impl_->server = std::make_unique<http::Server>(std::move(server_options),
                                                 [service](const http::ServerRequest& r) { return service->handle(r); });
  impl_->service.set_base_url(impl_->server->base_url());
}

Emulator::~Emulator() = default;

std::string Emulator::id_url() const { return impl_->service.id_url(); }
std::string Emulator::api_url() const { return impl_->service.api_url(); }
const std::string& Emulator::ca_file() const noexcept { return impl_->ca_file; }
std::uint16_t Emulator::port() const noexcept { return impl_->server->port(); }
EmulatorService& Emulator::service() noexcept { return impl_->service; }
void Emulator::stop() noexcept {
  if (impl_->server) impl_->server->stop();
}

}  // namespace harvest_connect::testing

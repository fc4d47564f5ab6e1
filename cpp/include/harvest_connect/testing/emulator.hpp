#pragma once
// The Harvest emulator: EmulatorService behind an HTTP(S) server on 127.0.0.1, with a CA and
// server certificate generated at start and the CA written to a temporary file for clients.
//
//   harvest_connect::testing::Emulator emu;            // HTTPS, port 0, 1000 entries
//   auto app = emu.service().register_app("Test", "http://127.0.0.1:8765/callback");
//   // point a client at emu.id_url(), emu.api_url(), trusting emu.ca_file()

#include <memory>
#include <string>

#include "harvest_connect/testing/emulator_options.hpp"
#include "harvest_connect/testing/emulator_service.hpp"

namespace harvest_connect::testing {

class Emulator {
 public:
  // Generates the data and certificates, binds and starts serving; throws
  // errc::network_error when it cannot listen (e.g. the port is taken).
  explicit Emulator(EmulatorOptions options = {});
  ~Emulator();  // stops and removes the CA file
  Emulator(const Emulator&) = delete;
  Emulator& operator=(const Emulator&) = delete;

  [[nodiscard]] std::string id_url() const;   // e.g. https://127.0.0.1:PORT
  [[nodiscard]] std::string api_url() const;  // id_url() + "/v2"
  // PEM file of the CA that signed the server certificate; empty when plain HTTP.
  [[nodiscard]] const std::string& ca_file() const noexcept;
  [[nodiscard]] std::uint16_t port() const noexcept;
  [[nodiscard]] EmulatorService& service() noexcept;
  // Stops serving (idempotent); the service stays readable.
  void stop() noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace harvest_connect::testing

// Seal and open of 64-byte secrets in the store's sealed-field format, per second: the
// per-operation cost beside `openssl speed -evp aes-256-gcm -bytes 16|64` (tests/bench/run.py).
//
//   crypto_bench [seconds]   → one JSON line {"seal_per_s": …, "open_per_s": …, "bytes": 64}
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "harvest_connect/crypto/master_key.hpp"
#include "harvest_connect/crypto/random.hpp"
#include "harvest_connect/crypto/sealed_field.hpp"
#include "harvest_connect/crypto/secret.hpp"

namespace crypto = harvest_connect::crypto;
using clock_type = std::chrono::steady_clock;

template <typename F>
double per_second(double seconds, F&& op) {
  std::size_t n = 0;
  const auto start = clock_type::now();
  const auto until = start + std::chrono::duration<double>(seconds);
  auto now = start;
  while (now < until) {
    for (int i = 0; i < 256; ++i) op();
    n += 256;
    now = clock_type::now();
  }
  return static_cast<double>(n) / std::chrono::duration<double>(now - start).count();
}

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 1.0;
  crypto::Secret key(32);
  crypto::random_fill(key.mutable_bytes());
  const crypto::KeyId id = crypto::key_id_of(key);
  const crypto::FieldContext where{"0123456789abcdef0123456789abcdef", "connections", "42", "access_token"};
  std::vector<unsigned char> plaintext(64, 'x');
  std::vector<unsigned char> sealed = crypto::seal_field(key, id, where, plaintext);
  volatile std::size_t sink = 0;
  const double seal = per_second(seconds, [&] { sink = sink + crypto::seal_field(key, id, where, plaintext).size(); });
  const double open = per_second(seconds, [&] { sink = sink + crypto::open_field(key, id, where, sealed).size(); });
  std::printf("{\"seal_per_s\": %.0f, \"open_per_s\": %.0f, \"bytes\": %zu}\n", seal, open, plaintext.size());
  return 0;
}

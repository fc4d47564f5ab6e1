// Store record decoding: the store reads its records from SQLite rows, so the fuzzer
// mutates a whole database file (seeded with real stores, see make_seeds.cpp), writes it to a
// private temporary directory and opens it with the key the seeds were made with. Opening,
// listing, verify() and credentials() may fail only with harvest_connect::error.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "harvest_connect/error.hpp"
#include "harvest_connect/store/store.hpp"
#include "fuzz_keys.hpp"

namespace fs = std::filesystem;
namespace hc = harvest_connect;

namespace {
const fs::path& dir() {
  static const fs::path d = [] {
    std::string tmpl = (fs::temp_directory_path() / "hc-fuzz-store-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) std::abort();
    std::atexit([] { std::error_code ec; fs::remove_all(dir(), ec); });
    return fs::path(tmpl);
  }();
  return d;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 256 * 1024) return 0;  // bounded: a store of a few records is a few pages
  const fs::path db = dir() / "store.db";
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    std::error_code ec;
    fs::remove(fs::path(db.string() + suffix), ec);
  }
  {
    std::ofstream out(db, std::ios::binary);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  try {
    hc::store::OpenOptions options;
    options.path = db;
    options.key = hc::fuzz::store_key();
    options.busy_timeout_ms = 0;
    hc::store::Store store = hc::store::Store::open(options);
    try { (void)store.oauth_clients(); } catch (const hc::error&) {}
    try {
      for (const auto& c : store.connections()) {
        try { (void)store.credentials(c.name); } catch (const hc::error&) {}
        try { (void)store.http_settings(c.name); } catch (const hc::error&) {}
      }
    } catch (const hc::error&) {}
    try { (void)store.verify(); } catch (const hc::error&) {}
  } catch (const hc::error&) {
  }
  return 0;
}

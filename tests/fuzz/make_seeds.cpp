// Writes the binary seed corpora (corpus/sealed_field, corpus/store_open) with the fixed
// test keys of fuzz_keys.hpp. Run once after changing a format:
//   build/fuzz/make_seeds tests/fuzz/corpus
#include <sqlite3.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "fuzz_keys.hpp"
#include "harvest_connect/crypto/sealed_field.hpp"
#include "harvest_connect/store/store.hpp"

namespace fs = std::filesystem;
namespace hc = harvest_connect;
using hc::crypto::Secret;

namespace {

void write(const fs::path& p, const std::vector<unsigned char>& bytes) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                           static_cast<std::streamsize>(bytes.size()));
}

std::vector<unsigned char> read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void sql(const fs::path& db, const char* statements) {
  sqlite3* h = nullptr;
  sqlite3_open(db.c_str(), &h);
  char* err = nullptr;
  if (sqlite3_exec(h, statements, nullptr, nullptr, &err) != SQLITE_OK) {
    std::fprintf(stderr, "sqlite: %s\n", err);
    std::exit(1);
  }
  sqlite3_close(h);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seeds CORPUS_DIR\n");
    return 2;
  }
  const fs::path out = argv[1];

  // sealed_field: real values under the fuzz target's key and place.
  const Secret key = Secret::from_string("0123456789abcdef0123456789abcdef");
  const auto id = hc::crypto::key_id_of(key);
  const hc::crypto::FieldContext where{"store", "connections", "uid", "access_token"};
  const std::vector<unsigned char> nonce(12, 7);
  int n = 0;
  for (const char* plain : {"", "a", "access-token-0123456789", "1234567"}) {
    const std::string s(plain);
    write(out / "sealed_field" / ("seed" + std::to_string(n++)),
          hc::crypto::seal_field_with_nonce(key, id, where, nonce,
                                            {reinterpret_cast<const unsigned char*>(s.data()), s.size()}));
  }

  // store_open: a store with a client, an OAuth connection with tokens and a token
  // connection, compacted to 512-byte pages (small inputs fuzz faster); and a copy that
  // carries passphrase parameters in its meta table.
  const fs::path tmp = fs::temp_directory_path() / "hc-make-seeds";
  fs::remove_all(tmp);
  const fs::path db = tmp / "store.db";
  {
    hc::store::OpenOptions o;
    o.path = db;
    o.key = hc::fuzz::store_key();
    auto store = hc::store::Store::open(o);
    hc::model::NewOAuthClient c;
    c.name = "client";
    c.client_id = "cid";
    c.client_secret = Secret::from_string("client-secret");
    c.redirect_uri = "http://127.0.0.1:8765/callback";
    store.create_oauth_client(std::move(c));
    hc::model::NewConnection conn;
    conn.name = "work";
    conn.oauth_client = "client";
    conn.account_id = Secret::from_string("123456");
    store.create_connection(std::move(conn));
    store.save_tokens("work", {Secret::from_string("access"), Secret::from_string("refresh"), 1700000000});
    hc::model::NewTokenConnection t;
    t.name = "pat";
    t.access_token = Secret::from_string("personal-token");
    t.account_id = Secret::from_string("654321");
    store.create_token_connection(std::move(t));
  }
  sql(db, "PRAGMA journal_mode=DELETE; PRAGMA page_size=512; VACUUM;");
  write(out / "store_open" / "store", read(db));
  sql(db, "INSERT INTO meta(key, value) VALUES('kdf_salt', x'00112233445566778899aabbccddeeff'), "
          "('kdf_n', '131072'), ('kdf_r', '8'), ('kdf_p', '1'); VACUUM;");
  write(out / "store_open" / "store-kdf", read(db));
  fs::remove_all(tmp);
  return 0;
}

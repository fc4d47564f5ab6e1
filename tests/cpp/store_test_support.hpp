#pragma once
// Shared helpers of the store tests: a private temporary directory per test, a store with
// an explicit key, raw SQL on the file, and reading files as bytes.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "harvest_connect/crypto/master_key.hpp"
#include "harvest_connect/error.hpp"
#include "harvest_connect/store/store.hpp"

namespace store_test {

namespace fs = std::filesystem;
namespace hc = harvest_connect;
using hc::crypto::MasterKey;
using hc::crypto::Secret;

inline fs::path make_temp_dir() {
  std::string tmpl = (fs::temp_directory_path() / "hc-store-XXXXXX").string();
  return fs::path(::mkdtemp(tmpl.data()));
}

inline std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void sql(const fs::path& db, const std::string& statement) {
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
  sqlite3_busy_timeout(h, 5000);
  char* err = nullptr;
  const int rc = sqlite3_exec(h, statement.c_str(), nullptr, nullptr, &err);
  EXPECT_EQ(rc, SQLITE_OK) << (err ? err : "");
  sqlite3_free(err);
  sqlite3_close(h);
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = make_temp_dir();
    ::setenv("HARVEST_CONNECT_HOME", (dir / "home").c_str(), 1);
    ::unsetenv("HARVEST_CONNECT_KEY");
    ::unsetenv("HARVEST_CONNECT_KEY_FILE");
    path = dir / "data" / "store.db";
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir, ec);
    ::unsetenv("HARVEST_CONNECT_HOME");
  }
  hc::store::Store open(const MasterKey& k) {
    hc::store::OpenOptions o;
    o.path = path;
    o.key = k;
    return hc::store::Store::open(o);
  }
  static hc::model::NewOAuthClient client(std::string name, std::string secret = "client-secret-value-1") {
    hc::model::NewOAuthClient c;
    c.name = std::move(name);
    c.client_id = "client-id-1";
    c.client_secret = Secret::from_string(secret);
    return c;
  }
  static hc::model::NewConnection connection(std::string name, std::string client_name, std::string account) {
    hc::model::NewConnection c;
    c.name = std::move(name);
    c.oauth_client = std::move(client_name);
    c.account_id = Secret::from_string(account);
    return c;
  }

  fs::path dir;
  fs::path path;
  MasterKey key = MasterKey::generate();
};

template <class F>
hc::error expect_error(hc::errc kind, F&& f) {
  try {
    f();
  } catch (const hc::error& e) {
    EXPECT_EQ(e.kind(), kind) << e.what();
    return e;
  }
  ADD_FAILURE() << "no error";
  return hc::error(hc::errc::internal_error, "none");
}

}  // namespace store_test

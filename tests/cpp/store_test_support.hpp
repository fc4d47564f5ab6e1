#pragma once
// Shared helpers of the store tests: a private temporary directory per test, a store with
// an explicit key, raw SQL on the file, and reading files as bytes.
//
// Suites parametrized over Backend run against SQLite and PostgreSQL. The PostgreSQL cases
// use the cluster that HARVEST_CONNECT_TEST_POSTGRES_DIR names (tests/support/
// postgres_cluster.py start DIR: DIR/url, DIR/pgpass), each test in a schema of its own.
// ctest starts that cluster (a fixture) and sets HARVEST_CONNECT_TEST_REQUIRE_POSTGRES, so
// that there a missing cluster fails the PostgreSQL cases instead of skipping them.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>

#include "harvest_connect/crypto/master_key.hpp"
#include "harvest_connect/error.hpp"
#include "harvest_connect/crypto/encoding.hpp"
#include "harvest_connect/crypto/random.hpp"
#include "harvest_connect/store/store.hpp"
#include "store/detail/database.hpp"

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

enum class Backend { sqlite, postgres };

inline std::string backend_name(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::sqlite ? "SQLite" : "PostgreSQL";
}

// The test cluster's URL (no password: DIR/pgpass, exported as PGPASSFILE), or nullopt.
inline std::optional<std::string> postgres_cluster_url() {
  const char* dir = std::getenv("HARVEST_CONNECT_TEST_POSTGRES_DIR");
  if (!dir || !*dir) return std::nullopt;
  std::string url = read_bytes(fs::path(dir) / "url");
  while (!url.empty() && (url.back() == '\n' || url.back() == ' ')) url.pop_back();
  if (url.empty()) return std::nullopt;
  ::setenv("PGPASSFILE", (fs::path(dir) / "pgpass").c_str(), 1);
  return url;
}

inline void postgres_exec(const std::string& url, const std::string& statement) {
  hc::store::detail::Database db;
  db.open_url(url, 5000);
  db.exec(statement.c_str());
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = make_temp_dir();
    ::setenv("HARVEST_CONNECT_HOME", (dir / "home").c_str(), 1);
    ::unsetenv("HARVEST_CONNECT_KEY");
    ::unsetenv("HARVEST_CONNECT_KEY_FILE");
    ::unsetenv("HARVEST_CONNECT_STORE");
    path = dir / "data" / "store.db";
  }
  void TearDown() override {
    if (!schema.empty()) {
      try {
        postgres_exec(*postgres_cluster_url(), "DROP SCHEMA " + schema + " CASCADE");
      } catch (const std::exception& e) {
        ADD_FAILURE() << "dropping the test schema: " << e.what();
      }
    }
    std::error_code ec;
    fs::remove_all(dir, ec);
    ::unsetenv("HARVEST_CONNECT_HOME");
  }
  // Called from a parametrized suite's SetUp (after StoreTest::SetUp): the store lives in
  // `backend`. PostgreSQL: a fresh schema, named by the URL's search_path. Skips (fails
  // under ctest) without a cluster; check IsSkipped() after it.
  void use_backend(Backend b) {
    backend = b;
    if (b == Backend::sqlite) return;
    const auto base = postgres_cluster_url();
    if (!base) {
      if (std::getenv("HARVEST_CONNECT_TEST_REQUIRE_POSTGRES"))
        FAIL() << "HARVEST_CONNECT_TEST_POSTGRES_DIR is not set: ctest's postgres_cluster fixture did not run";
      GTEST_SKIP() << "no PostgreSQL cluster: set HARVEST_CONNECT_TEST_POSTGRES_DIR (tests/support/"
                      "postgres_cluster.py start DIR)";
    }
    schema = "t_" + hc::crypto::hex_encode(hc::crypto::random_bytes(8));
    postgres_exec(*base, "CREATE SCHEMA " + schema);
    url = *base + "?options=-csearch_path%3D" + schema;
  }
  hc::store::OpenOptions options(const MasterKey& k) const {
    hc::store::OpenOptions o;
    if (backend == Backend::postgres)
      o.url = url;
    else
      o.path = path;
    o.key = k;
    return o;
  }
  hc::store::Store open(const MasterKey& k) { return hc::store::Store::open(options(k)); }
  // The first column of the first row of a query on the store, outside harvest-connect.
  std::int64_t store_query_int(const std::string& query) {
    hc::store::detail::Database db;
    if (backend == Backend::postgres)
      db.open_url(url, 5000);
    else
      db.open(path, 5000);
    auto st = db.prepare(query);
    if (!st.step()) throw hc::error(hc::errc::internal_error, "no row: " + query);
    return st.int64(0);
  }
  // Raw SQL on the store, outside harvest-connect (portable SQL for parametrized suites).
  void store_sql(const std::string& statement) {
    if (backend == Backend::postgres)
      postgres_exec(url, statement);
    else
      sql(path, statement);
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
  Backend backend = Backend::sqlite;
  std::string url;     // PostgreSQL: the store's URL
  std::string schema;  // PostgreSQL: the test's schema
  MasterKey key = MasterKey::generate();
};

// A suite run against both backends: `using X = OverBackends<>;` (or OverBackends<Fixture>
// for a fixture derived from StoreTest), then TEST_P(X, ...) and
// INSTANTIATE_TEST_SUITE_P(Backends, X, both_backends, backend_name).
template <class Base = StoreTest>
class OverBackends : public Base, public ::testing::WithParamInterface<Backend> {
 protected:
  void SetUp() override {
    Base::SetUp();
    this->use_backend(this->GetParam());
  }
};

inline const auto both_backends = ::testing::Values(Backend::sqlite, Backend::postgres);

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

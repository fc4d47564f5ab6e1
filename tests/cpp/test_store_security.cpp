// Store: secrets at rest, wrong keys, moved values, rotation, file modes, schema versions.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harvest_connect/crypto/encoding.hpp"
#include "harvest_connect/crypto/key_file.hpp"
#include "store_test_support.hpp"

using namespace store_test;
namespace m = harvest_connect::model;
using hc::errc;

using StoreSecurity = StoreTest;
// What holds for either backend (the rest is about the SQLite file itself).
using StoreSecurityBackends = OverBackends<>;
INSTANTIATE_TEST_SUITE_P(Backends, StoreSecurityBackends, both_backends, backend_name);

namespace {

std::vector<std::string> encodings(const std::string& secret) {
  auto bytes = std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(secret.data()), secret.size());
  std::string b64 = hc::crypto::base64_encode(bytes);
  while (!b64.empty() && b64.back() == '=') b64.pop_back();
  return {secret, hc::crypto::hex_encode(bytes), b64, hc::crypto::base64url_encode(bytes)};
}

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 0777;
}

}  // namespace

TEST_F(StoreSecurity, FilesHoldNoSecretInAnyEncoding) {
  const std::vector<std::string> secrets{"client-secret-XYZZY-0001", "918273645501", "access-token-PLUGH-0002",
                                         "refresh-token-FROB-0003", "personal-token-GRUE-0004", "777666555444",
                                         "pkce-verifier-WOMBAT-0005-0005-0005-0005-00"};
  {
    auto s = open(key);
    s.create_oauth_client(client("app", secrets[0]));
    s.create_connection(connection("acme", "app", secrets[1]));
    s.save_tokens("acme", {Secret::from_string(secrets[2]), Secret::from_string(secrets[3]), 1});
    m::NewTokenConnection t;
    t.name = "pat";
    t.access_token = Secret::from_string(secrets[4]);
    t.account_id = Secret::from_string(secrets[5]);
    s.create_token_connection(std::move(t));
    s.create_pending_authorization("acme", Secret::from_string("state-state-state-state-state-00"),
                                   Secret::from_string(secrets[6]), "http://127.0.0.1:1/cb");
    s.rotate_data_key();
    // Scan while the store is open too: the WAL and SHM files exist now.
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
      fs::path p = path;
      p += suffix;
      if (!fs::exists(p)) continue;
      const std::string bytes = read_bytes(p);
      for (const auto& secret : secrets)
        for (const auto& form : encodings(secret)) EXPECT_EQ(bytes.find(form), std::string::npos) << p << " holds " << form;
    }
  }
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    fs::path p = path;
    p += suffix;
    if (!fs::exists(p)) continue;
    const std::string bytes = read_bytes(p);
    for (const auto& secret : secrets)
      for (const auto& form : encodings(secret)) EXPECT_EQ(bytes.find(form), std::string::npos) << p << " holds " << form;
  }
}

TEST_F(StoreSecurity, FilesAre0600InA0700Directory) {
  auto s = open(key);
  s.create_oauth_client(client("app"));
  EXPECT_EQ(mode_of(path.parent_path()), 0700u);
  EXPECT_EQ(mode_of(path), 0600u);
  for (const char* suffix : {"-wal", "-shm"}) {
    fs::path p = path;
    p += suffix;
    if (fs::exists(p)) EXPECT_EQ(mode_of(p), 0600u) << p;
  }
}

TEST_F(StoreSecurity, WrongKeyFailsAtOpenAndChangesNothing) {
  { auto s = open(key); s.create_oauth_client(client("app")); }
  const std::string before = read_bytes(path);
  const MasterKey other = MasterKey::generate();
  auto e = expect_error(errc::key_mismatch, [&] { (void)open(other); });
  EXPECT_NE(std::string(e.what()).find(other.id()), std::string::npos);
  EXPECT_NE(std::string(e.what()).find(key.id()), std::string::npos);
  EXPECT_EQ(read_bytes(path), before);
  EXPECT_EQ(open(key).oauth_clients().size(), 1u);
}

TEST_P(StoreSecurityBackends, AValueMovedToAnotherRowFailsNamingRecordAndFieldOthersStayUsable) {
  {
    auto s = open(key);
    s.create_oauth_client(client("app"));
    s.create_connection(connection("acme", "app", "111"));
    s.create_connection(connection("beta", "app", "222"));
    s.create_connection(connection("gamma", "app", "333"));
  }
  store_sql("UPDATE connections SET account_id = (SELECT account_id FROM connections WHERE name = 'acme') "
            "WHERE name = 'beta'");
  auto s = open(key);
  // The row's authenticator (test_store_integrity.cpp) catches it first; verify() names
  // both the row and the field that does not open.
  auto e = expect_error(errc::decryption_failed, [&] { (void)s.credentials("beta"); });
  EXPECT_NE(std::string(e.what()).find("'beta'"), std::string::npos) << e.what();
  EXPECT_EQ(s.credentials("acme").account_id.reveal_string(), "111");
  EXPECT_EQ(s.credentials("gamma").account_id.reveal_string(), "333");
  auto problems = s.verify();
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0].table, "connection");
  EXPECT_EQ(problems[0].record, "beta");
  EXPECT_EQ(problems[0].field, "row");
  EXPECT_EQ(problems[1].record, "beta");
  EXPECT_EQ(problems[1].field, "account_id");
  // A moved field (another column of the same row) fails too.
  store_sql("UPDATE oauth_clients SET client_secret = (SELECT account_id FROM connections WHERE name = 'gamma')");
  EXPECT_EQ(s.verify().size(), 4u);  // the client's row and field
  // rotate_data_key refuses and changes nothing while a row or field fails.
  expect_error(errc::decryption_failed, [&] { s.rotate_data_key(); });
  EXPECT_EQ(s.verify().size(), 4u);
  // An edit cannot repair a tampered row (it would vouch for the rest of the row too):
  // delete the records and create them again.
  m::ConnectionChanges ch;
  ch.account_id = Secret::from_string("222");
  expect_error(errc::decryption_failed, [&] { s.update_connection("beta", std::move(ch)); });
  for (const char* name : {"acme", "beta", "gamma"}) s.delete_connection(name);
  s.delete_oauth_client("app");
  EXPECT_TRUE(s.verify().empty());
  s.create_oauth_client(client("app"));
  s.create_connection(connection("beta", "app", "222"));
  EXPECT_EQ(s.credentials("beta").account_id.reveal_string(), "222");
  EXPECT_TRUE(s.verify().empty());
}

TEST_F(StoreSecurity, TamperedValueFailsToOpen) {
  { auto s = open(key); s.create_oauth_client(client("app")); s.create_connection(connection("acme", "app", "1")); }
  // Change the last byte of the tag (to 0x01 when it is 0x00 already: 1 run in 256 used to
  // change nothing), keeping the BLOB type (|| gives TEXT).
  sql(path, "UPDATE connections SET account_id = CAST(substr(account_id, 1, length(account_id) - 1) || "
            "CASE WHEN substr(hex(account_id), -2) = '00' THEN x'01' ELSE x'00' END AS BLOB)");
  auto s = open(key);
  expect_error(errc::decryption_failed, [&] { (void)s.credentials("acme"); });
  EXPECT_EQ(s.verify().size(), 2u);  // the row and its field
}

TEST_F(StoreSecurity, SchemaVersionIsCheckedAndMigrated) {
  {
    auto s = open(key);
    EXPECT_EQ(s.schema_version(), 4);
  }
  sql(path, "PRAGMA user_version = 99");
  auto e = expect_error(errc::store_error, [&] { (void)open(key); });
  EXPECT_NE(std::string(e.what()).find("newer"), std::string::npos);
  // A version 3 store is this schema without the rate budget's tables.
  sql(path, "DROP TABLE rate_leases; DROP TABLE rate_budgets; PRAGMA user_version = 3");
  EXPECT_EQ(open(key).schema_version(), 4);
  // Lowered below the row authenticators' version: refused (test_store_integrity.cpp).
  sql(path, "PRAGMA user_version = 1");
  expect_error(errc::decryption_failed, [&] { (void)open(key); });
}

TEST_F(StoreSecurity, NotAStoreIsRefused) {
  fs::create_directories(path.parent_path());
  sql(path, "CREATE TABLE other(x)");
  expect_error(errc::store_error, [&] { (void)open(key); });
}

TEST_P(StoreSecurityBackends, TwoProcessesWritingAtOnceLoseNothing) {
  { auto s = open(key); s.create_oauth_client(client("app")); }
  std::vector<pid_t> children;
  for (int p = 0; p < 2; ++p) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      int rc = 0;
      try {
        auto s = open(key);
        for (int i = 0; i < 50; ++i) s.create_connection(connection("p" + std::to_string(p) + "-" + std::to_string(i), "app", "1"));
      } catch (...) {
        rc = 1;
      }
      ::_exit(rc);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  EXPECT_EQ(open(key).connections().size(), 100u);
}

// Found by tests/fuzz/fuzz_store_open.cpp: damaged passphrase parameters made Store::open
// throw std::invalid_argument (from std::stoull) instead of the library's own error.
TEST_F(StoreSecurity, DamagedPassphraseParametersAreAStoreError) {
  { auto s = open(key); }
  for (const char* value : {"zz", "", "-1", "99999999999999999999999999", "12abc"}) {
    sql(path, "INSERT INTO meta(key, value) VALUES('kdf_salt', x'00112233445566778899aabbccddeeff'), "
              "('kdf_r', '8'), ('kdf_p', '1'), ('kdf_n', '" + std::string(value) +
              "') ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    expect_error(hc::errc::store_error, [&] { (void)open(key); });
  }
}

namespace {

std::vector<unsigned char> column_bytes(const fs::path& db, const std::string& query) {
  sqlite3* h = nullptr;
  sqlite3_open(db.c_str(), &h);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(h, query.c_str(), -1, &st, nullptr);
  std::vector<unsigned char> out;
  if (sqlite3_step(st) == SQLITE_ROW) {
    const auto* p = static_cast<const unsigned char*>(sqlite3_column_blob(st, 0));
    out.assign(p, p + sqlite3_column_bytes(st, 0));
  }
  sqlite3_finalize(st);
  sqlite3_close(h);
  return out;
}

}  // namespace

TEST_F(StoreSecurity, RotationsAndDeletionsLeaveNoOldWrappedKeyOrSealedValueInTheWal) {
  auto s = open(key);  // WAL mode with secure_delete, held open throughout
  s.create_oauth_client(client("app"));
  s.create_connection(connection("acme", "app", "123456"));
  s.create_connection(connection("gone", "app", "654321"));
  const auto old_wrapped = column_bytes(path, "SELECT value FROM meta WHERE key = 'wrapped_data_key'");
  const auto old_account = column_bytes(path, "SELECT account_id FROM connections WHERE name = 'acme'");
  const auto deleted = column_bytes(path, "SELECT account_id FROM connections WHERE name = 'gone'");
  ASSERT_FALSE(old_wrapped.empty());
  s.delete_connection("gone");
  s.rotate_key(MasterKey::generate());
  auto holds = [](const std::string& file, const std::vector<unsigned char>& v) {
    return file.find(std::string(v.begin(), v.end())) != std::string::npos;
  };
  for (const char* suffix : {"", "-wal", "-shm"}) {
    fs::path p = path;
    p += suffix;
    if (!fs::exists(p)) continue;
    const std::string bytes = read_bytes(p);
    EXPECT_FALSE(holds(bytes, old_wrapped)) << p;
    EXPECT_FALSE(holds(bytes, old_account)) << p;  // re-sealed under the new data key
    EXPECT_FALSE(holds(bytes, deleted)) << p;
  }
  EXPECT_EQ(s.credentials("acme").account_id.reveal_string(), "123456");
}

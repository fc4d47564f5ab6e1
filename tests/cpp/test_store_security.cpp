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

TEST_F(StoreSecurity, AValueMovedToAnotherRowFailsNamingRecordAndFieldOthersStayUsable) {
  {
    auto s = open(key);
    s.create_oauth_client(client("app"));
    s.create_connection(connection("acme", "app", "111"));
    s.create_connection(connection("beta", "app", "222"));
    s.create_connection(connection("gamma", "app", "333"));
  }
  sql(path, "UPDATE connections SET account_id = (SELECT account_id FROM connections WHERE name = 'acme') "
            "WHERE name = 'beta'");
  auto s = open(key);
  auto e = expect_error(errc::decryption_failed, [&] { (void)s.credentials("beta"); });
  EXPECT_NE(std::string(e.what()).find("'account_id'"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("'beta'"), std::string::npos) << e.what();
  EXPECT_EQ(s.credentials("acme").account_id.reveal_string(), "111");
  EXPECT_EQ(s.credentials("gamma").account_id.reveal_string(), "333");
  auto problems = s.verify();
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].table, "connection");
  EXPECT_EQ(problems[0].record, "beta");
  EXPECT_EQ(problems[0].field, "account_id");
  // A moved field (another column of the same row) fails too.
  sql(path, "UPDATE oauth_clients SET client_secret = (SELECT account_id FROM connections WHERE name = 'gamma')");
  EXPECT_EQ(s.verify().size(), 2u);
  // rotate_data_key refuses and changes nothing while a field does not open.
  expect_error(errc::decryption_failed, [&] { s.rotate_data_key(); });
  EXPECT_EQ(s.verify().size(), 2u);
  // Entering the client secret again repairs the client.
  m::OAuthClientChanges cc;
  cc.client_secret = Secret::from_string("new-client-secret");
  s.update_oauth_client("app", std::move(cc));
  EXPECT_EQ(s.credentials("acme").account_id.reveal_string(), "111");
  // Entering the account ID again repairs the record.
  m::ConnectionChanges ch;
  ch.account_id = Secret::from_string("222");
  s.update_connection("beta", std::move(ch));
  EXPECT_EQ(s.credentials("beta").account_id.reveal_string(), "222");
  EXPECT_TRUE(s.verify().empty());
}

TEST_F(StoreSecurity, TamperedValueFailsToOpen) {
  { auto s = open(key); s.create_oauth_client(client("app")); s.create_connection(connection("acme", "app", "1")); }
  // Flip the last byte of the tag.
  sql(path, "UPDATE connections SET account_id = substr(account_id, 1, length(account_id) - 1) || x'00'");
  auto s = open(key);
  expect_error(errc::decryption_failed, [&] { (void)s.credentials("acme"); });
  EXPECT_EQ(s.verify().size(), 1u);
}

TEST_F(StoreSecurity, RotateKeyKeepsEverythingAndTheOldKeyThenFails) {
  const MasterKey next = MasterKey::generate();
  {
    auto s = open(key);
    s.create_oauth_client(client("app"));
    s.create_connection(connection("acme", "app", "123"));
    s.rotate_key(next);
    EXPECT_EQ(s.key_id(), next.id());
    EXPECT_EQ(s.credentials("acme").account_id.reveal_string(), "123");
  }
  expect_error(errc::key_mismatch, [&] { (void)open(key); });
  auto s = open(next);
  EXPECT_EQ(s.credentials("acme").client_secret->reveal_string(), "client-secret-value-1");
  EXPECT_TRUE(s.verify().empty());
}

TEST_F(StoreSecurity, RotateDataKeyReSealsEverything) {
  auto s = open(key);
  s.create_oauth_client(client("app"));
  s.create_connection(connection("acme", "app", "123"));
  s.save_tokens("acme", {Secret::from_string("a-token"), Secret::from_string("r-token"), 5});
  const std::string before = read_bytes(path);
  s.rotate_data_key();
  EXPECT_TRUE(s.verify().empty());
  s.close();
  auto again = open(key);
  auto cred = again.credentials("acme");
  EXPECT_EQ(cred.account_id.reveal_string(), "123");
  EXPECT_EQ(cred.access_token->reveal_string(), "a-token");
  EXPECT_EQ(cred.refresh_token->reveal_string(), "r-token");
  EXPECT_EQ(cred.client_secret->reveal_string(), "client-secret-value-1");
}

TEST_F(StoreSecurity, PassphraseStores) {
  hc::store::OpenOptions o;
  o.path = path;
  o.passphrase = Secret::from_string("correct horse battery staple");
  { auto s = hc::store::Store::open(o); s.create_oauth_client(client("app")); }
  EXPECT_EQ(hc::store::Store::open(o).oauth_clients().size(), 1u);
  auto wrong = o;
  wrong.passphrase = Secret::from_string("wrong horse");
  expect_error(errc::key_mismatch, [&] { (void)hc::store::Store::open(wrong); });
  hc::store::OpenOptions none;
  none.path = path;
  auto e = expect_error(errc::key_mismatch, [&] { (void)hc::store::Store::open(none); });
  EXPECT_NE(std::string(e.what()).find("passphrase"), std::string::npos);
  EXPECT_FALSE(fs::exists(hc::store::default_key_file_path()));  // no stray key file was made
  // Rotating from the passphrase to a key file key.
  { auto s = hc::store::Store::open(o); s.rotate_key(key); }
  EXPECT_EQ(open(key).oauth_clients().size(), 1u);
}

TEST_F(StoreSecurity, DefaultLocationsAndKeyFile) {
  hc::store::OpenOptions o;  // everything default, under HARVEST_CONNECT_HOME
  { auto s = hc::store::Store::open(o); s.create_oauth_client(client("app")); }
  EXPECT_EQ(hc::store::default_store_path(), dir / "home" / "store.db");
  EXPECT_TRUE(fs::exists(dir / "home" / "store.db"));
  EXPECT_EQ(mode_of(dir / "home" / "master.key"), 0600u);
  EXPECT_EQ(hc::store::Store::open(o).oauth_clients().size(), 1u);
  // A key file that others may read is refused.
  ::chmod((dir / "home" / "master.key").c_str(), 0644);
  auto e = expect_error(errc::key_error, [&] { (void)hc::store::Store::open(o); });
  EXPECT_NE(std::string(e.what()).find("chmod 600"), std::string::npos);
  // The environment's key comes before the default key file.
  ::chmod((dir / "home" / "master.key").c_str(), 0600);
  MasterKey env = MasterKey::generate();
  ::setenv("HARVEST_CONNECT_KEY", std::string(env.to_base64().reveal_string()).c_str(), 1);
  expect_error(errc::key_mismatch, [&] { (void)hc::store::Store::open(o); });
  ::unsetenv("HARVEST_CONNECT_KEY");
}

TEST_F(StoreSecurity, XdgDirectoriesWhenNoHomeOverride) {
  ::unsetenv("HARVEST_CONNECT_HOME");
  ::setenv("XDG_DATA_HOME", (dir / "xdg-data").c_str(), 1);
  ::setenv("XDG_CONFIG_HOME", (dir / "xdg-config").c_str(), 1);
  EXPECT_EQ(hc::store::default_store_path(), dir / "xdg-data" / "harvest-connect" / "store.db");
  EXPECT_EQ(hc::store::default_key_file_path(), dir / "xdg-config" / "harvest-connect" / "master.key");
  ::unsetenv("XDG_DATA_HOME");
  ::unsetenv("XDG_CONFIG_HOME");
}

TEST_F(StoreSecurity, SchemaVersionIsCheckedAndMigrated) {
  {
    auto s = open(key);
    EXPECT_EQ(s.schema_version(), 1);
  }
  sql(path, "PRAGMA user_version = 99");
  auto e = expect_error(errc::store_error, [&] { (void)open(key); });
  EXPECT_NE(std::string(e.what()).find("newer"), std::string::npos);
  sql(path, "PRAGMA user_version = 1");
  EXPECT_EQ(open(key).schema_version(), 1);
}

TEST_F(StoreSecurity, NotAStoreIsRefused) {
  fs::create_directories(path.parent_path());
  sql(path, "CREATE TABLE other(x)");
  expect_error(errc::store_error, [&] { (void)open(key); });
}

TEST_F(StoreSecurity, TwoProcessesWritingAtOnceLoseNothing) {
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

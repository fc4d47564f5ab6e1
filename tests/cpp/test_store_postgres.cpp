// The PostgreSQL store's own behaviour: opening by URL, what messages show of the URL (never
// a password), failures of the server (unreachable, a connection dropped in the middle of a
// transaction) and recovery, the bounds on a vanished peer, the write lock across processes
// (single-flight token refresh), and rows that authenticate the same on both backends.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "harvest_connect/store/location.hpp"
#include "harvest_connect/store/secret_scan.hpp"
#include "store_test_support.hpp"

namespace {

using namespace store_test;
using hc::errc;
using hc::store::Store;

class StorePostgres : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    use_backend(Backend::postgres);
  }
  // The role's password, from the cluster's pgpass file (host:port:db:user:password).
  static std::string cluster_password() {
    std::ifstream in(std::getenv("PGPASSFILE"));
    std::string line;
    while (std::getline(in, line))
      if (line.find(":harvest_connect:") != std::string::npos) return line.substr(line.rfind(':') + 1);
    return {};
  }
  // The store's URL with user:password@ written into it.
  std::string url_with_password() const {
    const std::string password = cluster_password();
    std::string u = url;
    const auto at = u.find('@');
    return u.substr(0, at) + ":" + password + u.substr(at);
  }
};

TEST(StoreLocation, DatabaseUrlsAreRecognizedAndRedacted) {
  EXPECT_TRUE(hc::store::is_database_url("postgresql://u@h/db"));
  EXPECT_TRUE(hc::store::is_database_url("POSTGRES://h"));
  EXPECT_FALSE(hc::store::is_database_url("/var/lib/store.db"));
  EXPECT_FALSE(hc::store::is_database_url("postgresql:/x"));
  using hc::store::redact_database_url;
  EXPECT_EQ(redact_database_url("postgresql://app:s3cr%40t@db.example:5433/hc?sslmode=verify-full"),
            "postgresql://app@db.example:5433/hc?sslmode=verify-full");
  EXPECT_EQ(redact_database_url("postgresql://app:p@ss@db/hc"), "postgresql://app@db/hc");
  EXPECT_EQ(redact_database_url("postgres://db/hc?password=hunter2&sslmode=require"), "postgres://db/hc?sslmode=require");
  EXPECT_EQ(redact_database_url("postgres://db/hc?password=hunter2"), "postgres://db/hc");
  EXPECT_EQ(redact_database_url("postgresql://app@db/hc"), "postgresql://app@db/hc");
  EXPECT_EQ(redact_database_url("postgresql://"), "postgresql://");
}

// Without libpq a PostgreSQL URL is one clear error naming the package; SQLite still works.
// In a child process: libpq, once loaded, stays loaded.
TEST(StoreLibpq, AMissingLibpqIsOneErrorNamingThePackage) {
  int out[2];
  ASSERT_EQ(::pipe(out), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(out[0]);
    ::setenv("HARVEST_CONNECT_LIBPQ", "/nonexistent/libpq.so.5", 1);
    std::string report;
    try {
      hc::store::OpenOptions o;
      o.url = "postgresql://nobody@127.0.0.1:1/none";
      o.key = MasterKey::generate();
      (void)Store::open(o);
      report = "opened";
    } catch (const hc::error& e) {
      report = std::to_string(static_cast<int>(e.kind())) + " " + e.what();
    }
    (void)!::write(out[1], report.data(), report.size());
    ::_exit(0);
  }
  ::close(out[1]);
  std::string report;
  char buf[512];
  for (ssize_t n; (n = ::read(out[0], buf, sizeof buf)) > 0;) report.append(buf, static_cast<std::size_t>(n));
  ::close(out[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_EQ(report.rfind(std::to_string(static_cast<int>(errc::store_error)) + " ", 0), 0u) << report;
  EXPECT_NE(report.find("libpq5"), std::string::npos) << report;
  EXPECT_NE(report.find("brew install libpq"), std::string::npos) << report;
  EXPECT_EQ(report.find('\n'), std::string::npos) << report;
}

TEST_F(StorePostgres, OpensByUrlAndShowsNoPassword) {
  if (IsSkipped()) return;
  const std::string password = cluster_password();
  ASSERT_GE(password.size(), 8u);
  {
    hc::store::OpenOptions o;
    o.url = url_with_password();
    o.key = key;
    ::unsetenv("PGPASSFILE");  // the URL's password is the only one
    Store s = Store::open(o);
    ::setenv("PGPASSFILE", (fs::path(std::getenv("HARVEST_CONNECT_TEST_POSTGRES_DIR")) / "pgpass").c_str(), 1);
    EXPECT_EQ(s.backend(), "postgresql");
    EXPECT_TRUE(s.path().empty());
    EXPECT_EQ(s.location(), url);
    EXPECT_EQ(s.location().find(password), std::string::npos);
    s.create_oauth_client(client("App"));
  }
  // The same store through PGPASSFILE (no password in the URL) and through the variable.
  EXPECT_EQ(open(key).oauth_clients().size(), 1u);
  ::setenv("HARVEST_CONNECT_STORE", url.c_str(), 1);
  hc::store::OpenOptions o;
  o.key = key;
  EXPECT_EQ(Store::open(o).oauth_client("app").name, "App");
  ::unsetenv("HARVEST_CONNECT_STORE");
}

TEST_F(StorePostgres, AnUnreachableServerIsANetworkErrorNamingItWithoutThePassword) {
  if (IsSkipped()) return;
  // A port nobody listens on: bind one, then close it.
  const std::string password = cluster_password();
  std::string u = url_with_password();
  const auto colon = u.find(':', u.find('@'));
  const auto slash = u.find('/', colon);
  u = u.substr(0, colon) + ":1" + u.substr(slash);
  hc::store::OpenOptions o;
  o.url = u;
  o.key = key;
  auto e = expect_error(errc::network_error, [&] { (void)Store::open(o); });
  const std::string what = e.what();
  EXPECT_NE(what.find("127.0.0.1:1/"), std::string::npos) << what;
  EXPECT_EQ(what.find(password), std::string::npos) << what;
  // A wrong password: refused by the server, named as such, the password not repeated.
  const std::string wrong = "wrong-password-" + hc::crypto::hex_encode(hc::crypto::random_bytes(8));
  o.url = url.substr(0, url.find('@')) + ":" + wrong + url.substr(url.find('@'));
  ::unsetenv("PGPASSFILE");
  try {
    (void)Store::open(o);
    ADD_FAILURE() << "a wrong password opened the store";
  } catch (const hc::error& err) {
    EXPECT_EQ(std::string(err.what()).find(wrong), std::string::npos) << err.what();
    EXPECT_NE(std::string(err.what()).find("password"), std::string::npos) << err.what();
  }
}

TEST_F(StorePostgres, ADroppedConnectionLosesTheTransactionAndTheNextCallWorks) {
  if (IsSkipped()) return;
  hc::store::OpenOptions o = options(key);
  o.url = url + "&application_name=" + schema;  // this test's session, to end it
  Store s = Store::open(o);
  s.create_oauth_client(client("app"));
  s.create_connection(connection("work", "app", "123456"));
  s.save_tokens("work", {Secret::from_string("at-1"), Secret::from_string("rt-1"), 1});
  // In the middle of the refresh the server ends the session (as a restart does).
  auto e = expect_error(errc::network_error, [&] {
    s.with_token_lock("work", [&](const hc::store::TokenState&) -> std::optional<hc::store::TokenUpdate> {
      postgres_exec(*postgres_cluster_url(),
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '" + schema +
                        "'");
      return hc::store::TokenUpdate{Secret::from_string("at-2"), Secret::from_string("rt-2"), 2};
    });
  });
  EXPECT_NE(std::string(e.what()).find("127.0.0.1:"), std::string::npos) << e.what();
  // Nothing of the refresh was written, and the same Store works again.
  const auto creds = s.credentials("work");
  EXPECT_EQ(creds.access_token->reveal_string(), "at-1");
  EXPECT_EQ(creds.refresh_token->reveal_string(), "rt-1");
  EXPECT_TRUE(s.verify().empty());
  s.save_tokens("work", {Secret::from_string("at-3"), Secret::from_string("rt-3"), 3});
  EXPECT_EQ(s.credentials("work").access_token->reveal_string(), "at-3");
}

// This process's TCP socket connected to `port` (a libpq connection), or -1.
int socket_to_port(int port) {
  for (const auto& entry : fs::directory_iterator("/proc/self/fd")) {
    const int fd = std::atoi(entry.path().filename().c_str());
    sockaddr_in peer{};
    socklen_t size = sizeof peer;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &size) == 0 && peer.sin_family == AF_INET &&
        ntohs(peer.sin_port) == port)
      return fd;
  }
  return -1;
}

int tcp_option(int fd, int option) {
  int value = -1;
  socklen_t size = sizeof value;
  EXPECT_EQ(::getsockopt(fd, IPPROTO_TCP, option, &value, &size), 0) << option;
  return value;
}

std::string server_setting(hc::store::detail::Database& db, const std::string& name) {
  auto st = db.prepare("SELECT current_setting(?)");
  st.bind(1, name);
  EXPECT_TRUE(st.step());
  return st.text(0);
}

// Both ends of a store session give up on a vanished peer (a host powered off, a network
// partition) after about 25 s, not the operating system's 2 hours, unless the URL, PGOPTIONS
// or the server's configuration says otherwise (tests/python/test_many_hosts.py shows the
// server freeing a vanished host's lock).
TEST_F(StorePostgres, BothEndsGiveUpOnAVanishedPeerWithinAboutTwentyFiveSeconds) {
  if (IsSkipped()) return;
  const int port = std::stoi(url.substr(url.rfind(':') + 1));
  {
    hc::store::detail::Database db;
    db.open_url(url, 5000);
    EXPECT_EQ(server_setting(db, "tcp_keepalives_idle"), "10");
    EXPECT_EQ(server_setting(db, "tcp_keepalives_interval"), "5");
    EXPECT_EQ(server_setting(db, "tcp_keepalives_count"), "3");
    EXPECT_EQ(server_setting(db, "tcp_user_timeout"), "25000");
    const int fd = socket_to_port(port);
    ASSERT_GE(fd, 0) << "no socket of this process is connected to port " << port;
    EXPECT_EQ(tcp_option(fd, TCP_KEEPIDLE), 10);
    EXPECT_EQ(tcp_option(fd, TCP_KEEPINTVL), 5);
    EXPECT_EQ(tcp_option(fd, TCP_KEEPCNT), 3);
    EXPECT_EQ(tcp_option(fd, TCP_USER_TIMEOUT), 25000);
    int keepalive = 0;
    socklen_t size = sizeof keepalive;
    ASSERT_EQ(::getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &keepalive, &size), 0);
    EXPECT_EQ(keepalive, 1);
  }
  {
    // The user's choices win: libpq's keywords in the URL for this end, its `options` (as
    // PGOPTIONS) for the server's; what they leave out keeps the default.
    hc::store::detail::Database db;
    db.open_url(url + "%20-ctcp_keepalives_idle%3D42&keepalives_idle=41&tcp_user_timeout=9000", 5000);
    EXPECT_EQ(server_setting(db, "tcp_keepalives_idle"), "42");
    EXPECT_EQ(server_setting(db, "tcp_keepalives_count"), "3");
    const int fd = socket_to_port(port);
    ASSERT_GE(fd, 0);
    EXPECT_EQ(tcp_option(fd, TCP_KEEPIDLE), 41);
    EXPECT_EQ(tcp_option(fd, TCP_KEEPCNT), 3);
    EXPECT_EQ(tcp_option(fd, TCP_USER_TIMEOUT), 9000);
  }
  {
    // A new session after the server ended the last one gets the same bounds.
    hc::store::detail::Database db;
    db.open_url(url + "&application_name=" + schema, 5000);
    postgres_exec(*postgres_cluster_url(),
                  "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '" + schema + "'");
    EXPECT_EQ(server_setting(db, "tcp_keepalives_idle"), "10");  // a read: reconnects
    EXPECT_EQ(server_setting(db, "tcp_user_timeout"), "25000");
    const int fd = socket_to_port(port);
    ASSERT_GE(fd, 0);
    EXPECT_EQ(tcp_option(fd, TCP_KEEPIDLE), 10);
    EXPECT_EQ(tcp_option(fd, TCP_USER_TIMEOUT), 25000);
  }
}

TEST_F(StorePostgres, TheTokenLockIsHeldAcrossProcessesAndFreedWhenItsHolderIsKilled) {
  if (IsSkipped()) return;
  {
    Store s = open(key);
    s.create_oauth_client(client("app"));
    s.create_connection(connection("work", "app", "123456"));
    s.save_tokens("work", {Secret::from_string("at-1"), Secret::from_string("rt-1"), 1});
  }
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(ready[0]);
    try {
      Store s = open(key);
      s.with_token_lock("work", [&](const hc::store::TokenState&) -> std::optional<hc::store::TokenUpdate> {
        (void)!::write(ready[1], "x", 1);
        for (;;) ::pause();  // holds the lock until killed
      });
    } catch (...) {
    }
    ::_exit(3);
  }
  ::close(ready[1]);
  char c = 0;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  ::close(ready[0]);
  // Another process's refresh waits for the lock, bounded by its busy timeout.
  hc::store::OpenOptions o = options(key);
  o.busy_timeout_ms = 200;
  Store other = Store::open(o);
  bool ran = false;
  auto e = expect_error(errc::store_error, [&] {
    other.with_token_lock("work", [&](const hc::store::TokenState&) -> std::optional<hc::store::TokenUpdate> {
      ran = true;
      return std::nullopt;
    });
  });
  EXPECT_FALSE(ran);
  EXPECT_NE(std::string(e.what()).find("busy"), std::string::npos) << e.what();
  // The holder is killed: the server ends its session and the lock goes with it.
  ::kill(pid, SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  Store s = open(key);  // the default busy timeout: waits for the server to notice the kill
  s.with_token_lock("work", [&](const hc::store::TokenState& st) -> std::optional<hc::store::TokenUpdate> {
    ran = true;
    EXPECT_EQ(st.refresh_token->reveal_string(), "rt-1");
    return hc::store::TokenUpdate{Secret::from_string("at-2"), Secret::from_string("rt-2"), 2};
  });
  EXPECT_TRUE(ran);
  EXPECT_EQ(s.credentials("work").refresh_token->reveal_string(), "rt-2");
}

// The schema version lives in the schema_version table (SQLite: PRAGMA user_version).
TEST_F(StorePostgres, SchemaVersionIsCheckedAndAStoreNotOursRefused) {
  if (IsSkipped()) return;
  const int latest = open(key).schema_version();
  EXPECT_EQ(store_query_int("SELECT version FROM schema_version"), latest);
  store_sql("UPDATE schema_version SET version = 99");
  auto e = expect_error(errc::store_error, [&] { (void)open(key); });
  EXPECT_NE(std::string(e.what()).find("newer"), std::string::npos);
  EXPECT_NE(std::string(e.what()).find(url), std::string::npos) << e.what();
  store_sql("UPDATE schema_version SET version = " + std::to_string(latest));
  EXPECT_EQ(open(key).schema_version(), latest);
  // Lowered below the row authenticators' version: refused, never re-authenticated.
  store_sql("UPDATE schema_version SET version = 1");
  expect_error(errc::decryption_failed, [&] { (void)open(key); });
  // A schema that holds some other application's meta table is not a store.
  store_sql("DROP SCHEMA " + schema + " CASCADE; CREATE SCHEMA " + schema + "; CREATE TABLE meta(x TEXT)");
  expect_error(errc::store_error, [&] { (void)open(key); });
}

// What the server holds: every secret sealed, in no encoding in any column of any row.
TEST_F(StorePostgres, TheServerHoldsNoSecretInClear) {
  if (IsSkipped()) return;
  const std::vector<std::string> secrets{"client-secret-value-pg", "4815162342", "access-token-value-pg",
                                         "refresh-token-value-pg", "personal-token-value-pg", "code-verifier-value-pg"};
  {
    Store s = open(key);
    s.create_oauth_client(client("app", secrets[0]));
    s.create_connection(connection("acme", "app", secrets[1]));
    s.save_tokens("acme", {Secret::from_string(secrets[2]), Secret::from_string(secrets[3]), 1});
    hc::model::NewTokenConnection t;
    t.name = "pat";
    t.access_token = Secret::from_string(secrets[4]);
    t.account_id = Secret::from_string("1234");
    s.create_token_connection(std::move(t));
    s.create_pending_authorization("acme", Secret::from_string("state-state-state-state"), Secret::from_string(secrets[5]),
                                   "http://127.0.0.1:8765/callback");
    expect_error(errc::unsupported, [&] { (void)hc::store::scan_for_secrets_in_clear(s, "acme"); });
  }
  hc::store::detail::Database db;
  db.open_url(url, 5000);
  std::string everything;
  std::vector<std::pair<std::string, std::string>> columns;  // every column of every table of the store
  {
    auto c = db.prepare("SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = "
                        "current_schema()");
    while (c.step()) columns.emplace_back(c.text(0), c.text(1));
  }
  ASSERT_GT(columns.size(), 40u);
  for (const auto& [table, column] : columns) {
    auto rows = db.prepare("SELECT " + column + " FROM " + table);
    while (rows.step()) {
      if (rows.type(0) == hc::store::detail::column_blob) {
        const auto b = rows.blob(0);
        everything.append(b.begin(), b.end());
      } else {
        everything += rows.text(0);
      }
      everything += '\0';
    }
  }
  ASSERT_GT(everything.size(), 500u);
  for (const auto& secret : secrets) {
    const auto bytes = std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(secret.data()), secret.size());
    for (const std::string& form : {secret, hc::crypto::hex_encode(bytes), hc::crypto::base64_encode(bytes)})
      EXPECT_EQ(everything.find(form), std::string::npos) << secret;
  }
}

TEST_F(StorePostgres, NamesCompareIgnoringCaseAsOnSQLite) {
  if (IsSkipped()) return;
  Store s = open(key);
  s.create_oauth_client(client("Harvest App"));
  EXPECT_EQ(s.oauth_client("HARVEST app").name, "Harvest App");
  expect_error(errc::duplicate_name, [&] { s.create_oauth_client(client("harvest APP")); });
  s.create_oauth_client(client("b"));
  s.create_oauth_client(client("C"));
  std::vector<std::string> names;
  for (const auto& c : s.oauth_clients()) names.push_back(c.name);
  EXPECT_EQ(names, (std::vector<std::string>{"b", "C", "Harvest App"}));
}

TEST_F(StorePostgres, ARowCopiedFromSQLiteAuthenticatesOnPostgreSQL) {
  if (IsSkipped()) return;
  // The same store (id, data key) in both backends: its meta rows and an OAuth client's row
  // copied value by value from the SQLite file into PostgreSQL verify there.
  {
    hc::store::OpenOptions o;
    o.path = path;
    o.key = key;
    Store lite = Store::open(o);
    lite.create_oauth_client(client("App", "copied-secret"));
  }
  open(key).close();  // creates the PostgreSQL schema
  hc::store::detail::Database from, to;
  from.open(path, 5000);
  to.open_url(url, 5000);
  to.exec("DELETE FROM meta");
  {
    auto rows = from.prepare("SELECT key, value FROM meta");
    while (rows.step()) to.prepare("INSERT INTO meta(key, value) VALUES(?, ?)").bind(1, rows.text(0)).bind_blob(2, rows.blob(1)).run();
  }
  {
    auto rows = from.prepare(
        "SELECT id, uid, name, provider, client_id, client_secret, authorize_url, token_url, revoke_url, redirect_uri, "
        "scope, pkce, client_credentials, created_at, updated_at, row_version, row_mac FROM oauth_clients");
    ASSERT_TRUE(rows.step());
    auto ins = to.prepare(
        "INSERT INTO oauth_clients(id, uid, name, provider, client_id, client_secret, authorize_url, token_url, "
        "revoke_url, redirect_uri, scope, pkce, client_credentials, created_at, updated_at, row_version, row_mac) "
        "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    for (int i = 0; i < 17; ++i) {
      switch (rows.type(i)) {
        case hc::store::detail::column_null: ins.bind_null(i + 1); break;
        case hc::store::detail::column_integer: ins.bind(i + 1, rows.int64(i)); break;
        case hc::store::detail::column_blob: ins.bind_blob(i + 1, rows.blob(i)); break;
        default: ins.bind(i + 1, rows.text(i));
      }
    }
    ins.run();
  }
  Store s = open(key);
  EXPECT_TRUE(s.verify().empty());
  EXPECT_EQ(s.oauth_client("app").name, "App");
  // And a change made outside harvest-connect is caught there too.
  store_sql("UPDATE oauth_clients SET client_id = 'other'");
  expect_error(errc::decryption_failed, [&] { (void)s.oauth_client("App"); });
}

}  // namespace

namespace {

using Columns = std::map<std::string, std::vector<std::string>>;  // table -> columns in order

Columns columns_of(hc::store::detail::Database& db, const std::string& query) {
  Columns out;
  auto st = db.prepare(query);
  while (st.step()) out[st.text(0)].push_back(st.text(1));
  return out;
}

}  // namespace

// The two schemas must not drift apart: row MACs, store copy and every query assume that
// each table of a SQLite store exists on PostgreSQL with the same columns in the same order
// (PostgreSQL adds only its schema_version table).
TEST_F(StorePostgres, HasEveryTableAndColumnOfTheSqliteSchemaInTheSameOrder) {
  if (IsSkipped()) return;
  (void)open(key);
  hc::store::OpenOptions lite;
  lite.path = dir / "lite" / "store.db";
  lite.key = key;
  (void)Store::open(lite);

  hc::store::detail::Database sqlite_db;
  sqlite_db.open(*lite.path, 5000);
  const Columns expected = columns_of(
      sqlite_db, "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p "
                 "WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.cid");
  hc::store::detail::Database pg;
  pg.open_url(url, 5000);
  const Columns found = columns_of(
      pg, "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() "
          "AND table_name <> 'schema_version' ORDER BY table_name, ordinal_position");
  EXPECT_FALSE(expected.empty());
  EXPECT_EQ(found, expected);
}

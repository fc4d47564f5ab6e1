// store::copy_store: a whole store copied to a new place, same store id and key, every table,
// rows re-linked by uid, verified; refusals that change nothing.
#include <sqlite3.h>
#include <sys/resource.h>

#include <csignal>
#include <map>
#include <optional>
#include <set>

#include "harvest_connect/store/copy.hpp"
#include "store/detail/connect.hpp"
#include "store/detail/row_mac.hpp"
#include "store/detail/table_copy.hpp"
#include "store/detail/table_layout.hpp"
#include "store_test_support.hpp"

namespace {

using namespace store_test;

// The backends a copy goes to (from a SQLite source), one test instantiation each.
const std::vector<std::string> copy_targets{"sqlite", "postgresql"};

std::vector<std::string> sqlite_column(const fs::path& db, const std::string& query) {
  sqlite3* h = nullptr;
  EXPECT_EQ(sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(h, query.c_str(), -1, &st, nullptr), SQLITE_OK) << query;
  std::vector<std::string> out;
  while (sqlite3_step(st) == SQLITE_ROW) {
    const unsigned char* text = sqlite3_column_text(st, 0);
    out.emplace_back(text ? reinterpret_cast<const char*>(text) : "");
  }
  sqlite3_finalize(st);
  sqlite3_close(h);
  return out;
}

class StoreCopy : public StoreTest, public ::testing::WithParamInterface<std::string> {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    target_path = dir / "copy" / "target.db";
    if (sqlite_target()) return;
    // A fresh schema of the test cluster (StoreTest::TearDown drops `schema`).
    const auto base = postgres_cluster_url();
    if (!base) {
      if (std::getenv("HARVEST_CONNECT_TEST_REQUIRE_POSTGRES"))
        FAIL() << "HARVEST_CONNECT_TEST_POSTGRES_DIR is not set: ctest's postgres_cluster fixture did not run";
      GTEST_SKIP() << "no PostgreSQL cluster: set HARVEST_CONNECT_TEST_POSTGRES_DIR";
    }
    schema = "t_" + hc::crypto::hex_encode(hc::crypto::random_bytes(8));
    postgres_exec(*base, "CREATE SCHEMA " + schema);
    target_url = *base + "?options=-csearch_path%3D" + schema;
  }
  hc::store::OpenOptions source_options() const {
    hc::store::OpenOptions o;
    o.path = path;
    o.key = key;
    return o;
  }
  hc::store::OpenOptions target_options() const {
    hc::store::OpenOptions o;
    if (sqlite_target())
      o.path = target_path;
    else
      o.url = target_url;
    o.key = key;
    return o;
  }
  bool sqlite_target() const { return GetParam() == "sqlite"; }
  // The target through the engine's own connection (any backend): whether it holds nothing
  // (no table), a query's first column as text, a table's ids and its row MACs by uid.
  bool target_holds_nothing() const {
    hc::store::detail::Database db;
    hc::store::detail::connect(db, target_options());
    return hc::store::detail::holds_no_store(db);
  }
  // Nothing was written to the target: not even a file for SQLite; no table for a server.
  bool target_untouched() const { return sqlite_target() ? !fs::exists(target_path) : target_holds_nothing(); }
  static std::vector<std::string> texts(const hc::store::OpenOptions& o, const std::string& query) {
    hc::store::detail::Database db;
    hc::store::detail::connect(db, o);
    hc::store::detail::Statement s = db.prepare(query);
    std::vector<std::string> out;
    while (s.step()) out.push_back(s.text(0));
    return out;
  }
  static std::vector<std::int64_t> ids(const hc::store::OpenOptions& o, const std::string& table) {
    hc::store::detail::Database db;
    hc::store::detail::connect(db, o);
    hc::store::detail::Statement s = db.prepare("SELECT id FROM " + table + " ORDER BY uid");
    std::vector<std::int64_t> out;
    while (s.step()) out.push_back(s.int64(0));
    return out;
  }
  static std::map<std::string, std::vector<unsigned char>> macs(const hc::store::OpenOptions& o,
                                                                const std::string& table) {
    hc::store::detail::Database db;
    hc::store::detail::connect(db, o);
    hc::store::detail::Statement s = db.prepare("SELECT uid, row_mac FROM " + table);
    std::map<std::string, std::vector<unsigned char>> out;
    while (s.step()) out.emplace(s.text(0), s.blob(1));
    return out;
  }

  // A store with a row in every table, and ids that a fresh database would number
  // differently (a deleted client and connection come first), so links must be re-made.
  void populate() {
    auto s = open(key);
    s.create_oauth_client(client("gone"));
    s.create_oauth_client(client("app", "client-secret-app"));
    s.create_connection(connection("early", "app", "111"));
    s.delete_connection("early");
    s.delete_oauth_client("gone");
    s.create_connection(connection("acme", "app", "1234567"));
    s.save_tokens("acme", {Secret::from_string("access-token-acme"), Secret::from_string("refresh-token-acme"),
                           4102444800});
    hc::model::NewTokenConnection pat;
    pat.name = "pat";
    pat.access_token = Secret::from_string("personal-token-value");
    pat.account_id = Secret::from_string("7654321");
    s.create_token_connection(std::move(pat));
    s.create_pending_authorization("acme", Secret::from_string("state-value-acme"),
                                   Secret::from_string("verifier-value-acme"), "http://127.0.0.1:8765/callback");
    hc::store::PullState p;
    p.name = "daily";
    p.path = "/time_entries";
    p.mark = 1700000000;
    p.recent = {{1, 1700000000}, {2, 1699999999}};
    s.save_pull_state("acme", p);
  }

  fs::path target_path;
  std::string target_url;  // PostgreSQL targets
};

INSTANTIATE_TEST_SUITE_P(Targets, StoreCopy, ::testing::ValuesIn(copy_targets));

TEST_P(StoreCopy, CopiesEveryTableUnderTheSameKeyAndStoreId) {
  populate();
  std::string source_id;
  {
    auto s = open(key);
    source_id = s.store_id();
  }
  const auto report = hc::store::copy_store(source_options(), target_options());
  EXPECT_EQ(report.store_id, source_id);
  EXPECT_EQ(report.key_id, key.id());
  std::map<std::string, std::int64_t> rows;
  for (const auto& t : report.tables) rows[t.table] = t.rows;
  EXPECT_EQ(rows["oauth_clients"], 1);
  EXPECT_EQ(rows["connections"], 2);
  EXPECT_EQ(rows["pending_authorizations"], 1);
  EXPECT_EQ(rows["pull_states"], 1);
  EXPECT_GE(rows["meta"], 2);
  EXPECT_EQ(report.tables.size(), hc::store::detail::table_layouts().size());

  auto copy = hc::store::Store::open(target_options());
  EXPECT_EQ(copy.store_id(), source_id);
  EXPECT_TRUE(copy.verify().empty());
  // The ids differ (the target numbered its own rows) and the links follow them.
  EXPECT_NE(ids(source_options(), "oauth_clients"), ids(target_options(), "oauth_clients"));
  EXPECT_EQ(texts(target_options(),
                  "SELECT o.name FROM connections c JOIN oauth_clients o ON o.id = c.oauth_client_id"),
            std::vector<std::string>{"app"});
  // Row authenticators are the same bytes on both sides.
  for (const char* table : {"oauth_clients", "connections", "pending_authorizations", "pull_states"})
    EXPECT_EQ(macs(source_options(), table), macs(target_options(), table)) << table;
  // The sealed values open: they were moved as bytes, bound to the same store id and uids.
  const auto acme = copy.credentials("acme");
  EXPECT_EQ(acme.account_id.reveal_string(), "1234567");
  EXPECT_EQ(acme.client_secret->reveal_string(), "client-secret-app");
  EXPECT_EQ(acme.access_token->reveal_string(), "access-token-acme");
  EXPECT_EQ(acme.refresh_token->reveal_string(), "refresh-token-acme");
  EXPECT_EQ(acme.connection.oauth_client, "app");  // re-linked to the client by uid
  EXPECT_EQ(copy.credentials("pat").personal_access_token->reveal_string(), "personal-token-value");
  const auto pull = copy.pull_state("acme", "daily");
  ASSERT_TRUE(pull.has_value());
  EXPECT_EQ(pull->mark, 1700000000);
  EXPECT_EQ(pull->recent.size(), 2u);
  const auto pending = copy.take_pending_authorization(Secret::from_string("state-value-acme"));
  ASSERT_TRUE(pending.has_value());
  EXPECT_EQ(pending->connection, "acme");
  EXPECT_EQ(pending->code_verifier->reveal_string(), "verifier-value-acme");
  // The copy is a store of its own from now on: a write there leaves the source alone.
  copy.delete_connection("pat");
  EXPECT_EQ(open(key).connections().size(), 2u);
}

TEST_P(StoreCopy, LeavesTheSourceUnchanged) {
  populate();
  const std::string dump = "SELECT uid || hex(row_mac) || row_version FROM connections ORDER BY uid";
  const auto before = sqlite_column(path, dump);
  const auto meta_before = sqlite_column(path, "SELECT key || hex(value) FROM meta ORDER BY key");
  (void)hc::store::copy_store(source_options(), target_options());
  EXPECT_EQ(sqlite_column(path, dump), before);
  EXPECT_EQ(sqlite_column(path, "SELECT key || hex(value) FROM meta ORDER BY key"), meta_before);
}

TEST_P(StoreCopy, RefusesATamperedSourceAndWritesNothing) {
  populate();
  sql(path, "UPDATE connections SET id_url = 'https://evil.example' WHERE name = 'acme'");
  const auto e = expect_error(hc::errc::decryption_failed,
                              [&] { (void)hc::store::copy_store(source_options(), target_options()); });
  EXPECT_NE(std::string(e.what()).find("acme"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("nothing was written"), std::string::npos) << e.what();
  EXPECT_TRUE(target_untouched());
}

TEST_P(StoreCopy, RefusesATamperedSealedValue) {
  populate();
  // Another row's sealed value moved in: the row authenticator and the value both fail.
  sql(path, "UPDATE connections SET account_id = (SELECT account_id FROM connections WHERE name = 'pat') "
            "WHERE name = 'acme'");
  expect_error(hc::errc::decryption_failed, [&] { (void)hc::store::copy_store(source_options(), target_options()); });
  EXPECT_TRUE(target_untouched());
}

TEST_P(StoreCopy, RefusesAWrongKeyAndWritesNothing) {
  populate();
  auto wrong = source_options();
  wrong.key = MasterKey::generate();
  auto wrong_target = target_options();
  wrong_target.key = wrong.key;
  expect_error(hc::errc::key_mismatch, [&] { (void)hc::store::copy_store(wrong, wrong_target); });
  EXPECT_TRUE(target_untouched());
}

TEST_P(StoreCopy, RefusesANonEmptyTargetAndLeavesItAsItWas) {
  populate();
  {
    auto t = hc::store::Store::open(target_options());
    t.create_oauth_client(client("theirs"));
  }
  const std::string before = sqlite_target() ? read_bytes(target_path) : "";
  const auto target_macs = macs(target_options(), "oauth_clients");
  const auto e = expect_error(hc::errc::validation_failed,
                              [&] { (void)hc::store::copy_store(source_options(), target_options()); });
  EXPECT_NE(std::string(e.what()).find("not empty"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find(hc::store::detail::location_of(target_options())), std::string::npos)
      << e.what();
  if (sqlite_target()) EXPECT_EQ(read_bytes(target_path), before);
  EXPECT_EQ(macs(target_options(), "oauth_clients"), target_macs);
  auto t = hc::store::Store::open(target_options());
  EXPECT_EQ(t.oauth_clients().size(), 1u);
  EXPECT_EQ(t.oauth_clients()[0].name, "theirs");
}

TEST_P(StoreCopy, RefusesATargetHoldingOtherTables) {
  if (!sqlite_target()) GTEST_SKIP() << "a SQLite file: PostgreSQL schemas are shared (the next test)";
  populate();
  {
    hc::store::detail::Database db;
    hc::store::detail::connect(db, target_options());
    db.exec("CREATE TABLE notes(x TEXT)");
    db.exec("INSERT INTO notes VALUES('keep me')");
  }
  expect_error(hc::errc::validation_failed, [&] { (void)hc::store::copy_store(source_options(), target_options()); });
  EXPECT_EQ(texts(target_options(), "SELECT x FROM notes"), std::vector<std::string>{"keep me"});
  expect_error(hc::errc::store_error, [&] { (void)texts(target_options(), "SELECT key FROM meta"); });
}

// A PostgreSQL schema may hold other applications' tables (often `public`): as Store::open
// does, the copy takes it while none of the store's own tables is there, and refuses one that
// has a table of the store's name (someone else's `meta`).
TEST_P(StoreCopy, APostgresSchemaWithOtherTablesTakesTheCopyUnlessItHoldsAStoreTable) {
  if (sqlite_target()) GTEST_SKIP() << "PostgreSQL schemas";
  populate();
  {
    hc::store::detail::Database db;
    hc::store::detail::connect(db, target_options());
    db.exec("CREATE TABLE notes(x TEXT)");
    db.exec("INSERT INTO notes VALUES('keep me')");
  }
  (void)hc::store::copy_store(source_options(), target_options());
  EXPECT_EQ(texts(target_options(), "SELECT x FROM notes"), std::vector<std::string>{"keep me"});
  EXPECT_TRUE(hc::store::Store::open(target_options()).verify().empty());

  postgres_exec(target_url, "DROP SCHEMA " + schema + " CASCADE; CREATE SCHEMA " + schema +
                                            "; CREATE TABLE meta(x TEXT)");
  const auto e = expect_error(hc::errc::validation_failed,
                              [&] { (void)hc::store::copy_store(source_options(), target_options()); });
  EXPECT_NE(std::string(e.what()).find("not empty"), std::string::npos) << e.what();
  EXPECT_TRUE(texts(target_options(), "SELECT x FROM meta").empty());
}

TEST_P(StoreCopy, RefusesAMissingSourceWithoutCreatingIt) {
  auto from = source_options();
  from.path = dir / "typo.db";
  const auto e =
      expect_error(hc::errc::validation_failed, [&] { (void)hc::store::copy_store(from, target_options()); });
  EXPECT_NE(std::string(e.what()).find("typo.db"), std::string::npos) << e.what();
  EXPECT_FALSE(fs::exists(dir / "typo.db"));
  EXPECT_TRUE(target_untouched());
}

TEST_P(StoreCopy, CopiesIntoAnEmptyExistingDatabase) {
  if (!sqlite_target()) GTEST_SKIP() << "a file-level fault of the SQLite backend";
  populate();
  fs::create_directories(target_path.parent_path());
  { std::ofstream touch(target_path); }  // an empty file is an empty database
  (void)hc::store::copy_store(source_options(), target_options());
  EXPECT_TRUE(hc::store::Store::open(target_options()).verify().empty());
}

TEST_P(StoreCopy, AFailedCopyLeavesNoStoreAndCanBeRepeated) {
  if (!sqlite_target()) GTEST_SKIP() << "a file-level fault of the SQLite backend";
  populate();
  // Another process holds the target's write lock for the whole attempt: the copy's one
  // transaction cannot begin, and nothing of a store is left behind.
  fs::create_directories(target_path.parent_path());
  sqlite3* holder = nullptr;
  ASSERT_EQ(sqlite3_open(target_path.c_str(), &holder), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(holder, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK);
  auto to = target_options();
  to.busy_timeout_ms = 50;
  expect_error(hc::errc::store_error, [&] { (void)hc::store::copy_store(source_options(), to); });
  sqlite3_exec(holder, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(holder);
  EXPECT_TRUE(target_holds_nothing());
  (void)hc::store::copy_store(source_options(), target_options());
  EXPECT_TRUE(hc::store::Store::open(target_options()).verify().empty());
}

TEST_P(StoreCopy, AWriteFailingInTheMiddleLeavesNoStoreAndCanBeRepeated) {
  if (!sqlite_target()) GTEST_SKIP() << "a file-level fault of the SQLite backend";
  populate();
  {
    // A copy of several hundred KiB, so that its writes outgrow the limit below.
    auto s = open(key);
    hc::store::PullState big;
    big.name = "big";
    big.path = "/time_entries";
    big.mark = 1700000000;
    for (std::int64_t i = 0; i < 30000; ++i) big.recent.push_back({1000000 + i, 1700000000});
    s.save_pull_state("acme", big);
  }
  fs::create_directories(target_path.parent_path());
  // The disk fills up under the copy: files of this process may not grow past 64 KiB (writes
  // beyond fail with EFBIG instead of raising SIGXFSZ), the source is only read.
  struct rlimit saved {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
  auto* previous = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = saved;
  small.rlim_cur = 64 * 1024;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  std::optional<hc::error> failed;
  try {
    (void)hc::store::copy_store(source_options(), target_options());
  } catch (const hc::error& e) {
    failed = e;
  }
  ::setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, previous);
  ASSERT_TRUE(failed.has_value()) << "the copy fit under the limit: make the source bigger";
  EXPECT_EQ(failed->kind(), hc::errc::store_error) << failed->what();
  EXPECT_NE(std::string(failed->what()).find(target_path.string()), std::string::npos) << failed->what();
  EXPECT_NE(std::string(failed->what()).find("nothing was committed"), std::string::npos) << failed->what();
  // Nothing of a store is left in the target: a second copy finds it empty and succeeds.
  EXPECT_TRUE(target_holds_nothing());
  (void)hc::store::copy_store(source_options(), target_options());
  auto copy = hc::store::Store::open(target_options());
  EXPECT_TRUE(copy.verify().empty());
  EXPECT_EQ(copy.pull_state("acme", "big")->recent.size(), 30000u);
}

TEST_P(StoreCopy, TheCopyHasTheSourcesKeyWhateverTheTargetOptionsSay) {
  populate();
  auto to = target_options();
  to.key = MasterKey::generate();  // ignored: the copy keeps the source's wrapped data key
  (void)hc::store::copy_store(source_options(), to);
  EXPECT_TRUE(hc::store::Store::open(target_options()).verify().empty());
  expect_error(hc::errc::key_mismatch, [&] { (void)hc::store::Store::open(to); });
}

TEST_P(StoreCopy, CopiesAPassphraseStore) {
  hc::store::OpenOptions from;
  from.path = path;
  from.passphrase = Secret::from_string("correct horse battery staple");
  {
    auto s = hc::store::Store::open(from);
    s.create_oauth_client(client("app", "client-secret-app"));
  }
  auto to = from;
  to.path = target_path;
  (void)hc::store::copy_store(from, to);
  auto copy = hc::store::Store::open(to);  // the KDF salt and parameters came along
  EXPECT_TRUE(copy.verify().empty());
  EXPECT_EQ(copy.oauth_clients().size(), 1u);
}

// The copy's table list (store/detail/table_layout.hpp) is the schema: a table or column added
// by a later schema version and not listed there would be silently left behind by a copy.
TEST(CopyLayout, ListsEveryTableAndColumnOfTheSchema) {
  const fs::path dir = make_temp_dir();
  hc::store::OpenOptions o;
  o.path = dir / "store.db";
  o.key = MasterKey::generate();
  (void)hc::store::Store::open(o);
  std::set<std::string> in_schema, in_layout;
  for (const auto& name : sqlite_column(*o.path, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT "
                                                 "LIKE 'sqlite_%'"))
    in_schema.insert(name);
  for (const auto& t : hc::store::detail::table_layouts()) in_layout.insert(t.table);
  EXPECT_EQ(in_layout, in_schema) << "store/detail/table_layout.hpp must list every table of the schema";
  for (const auto& t : hc::store::detail::table_layouts()) {
    std::vector<std::string> expected;
    for (const auto& c : sqlite_column(*o.path, std::string("SELECT name FROM pragma_table_info('") + t.table + "')"))
      if (c != "id") expected.push_back(c);
    std::vector<std::string> listed;
    for (const auto& c : t.columns) listed.emplace_back(c.name);
    EXPECT_EQ(listed, expected) << t.table << ": every column but id, in schema order";
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
}

// One table copied between two databases (the rows of copy_store), on tables of its own.
class CopyTable : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = make_temp_dir();
    from.open(dir / "from.db", 1000);
    to.open(dir / "to.db", 1000);
    for (auto* db : {&from, &to}) {
      db->exec("CREATE TABLE parents(id INTEGER PRIMARY KEY, uid TEXT NOT NULL UNIQUE)");
      db->exec("CREATE TABLE children(id INTEGER PRIMARY KEY, uid TEXT NOT NULL, parent_id INTEGER, note BLOB)");
      db->exec("CREATE TABLE leases(id INTEGER PRIMARY KEY, budget TEXT NOT NULL, slots INTEGER NOT NULL)");
    }
  }
  void TearDown() override {
    from.close();
    to.close();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  static std::vector<std::string> rows(hc::store::detail::Database& db, const std::string& query) {
    hc::store::detail::Statement s = db.prepare(query);
    std::vector<std::string> out;
    while (s.step()) out.push_back(s.text(0));
    return out;
  }
  fs::path dir;
  hc::store::detail::Database from, to;
  using K = hc::store::detail::ColumnKind;
  const hc::store::detail::TableLayout parents{"parents", {{"uid", K::text}}};
  const hc::store::detail::TableLayout children{
      "children", {{"uid", K::text}, {"parent_id", K::link, "parents"}, {"note", K::blob}}};
  const hc::store::detail::TableLayout leases{"leases", {{"budget", K::text}, {"slots", K::integer}}};
};

TEST_F(CopyTable, ReLinksRowsByUidWhereTheIdsDiffer) {
  from.exec("INSERT INTO parents(id, uid) VALUES(7, 'p-seven'), (9, 'p-nine')");
  from.exec("INSERT INTO children(uid, parent_id, note) VALUES('c1', 9, x'00ff'), ('c2', 7, NULL), ('c3', NULL, x'')");
  EXPECT_EQ(hc::store::detail::copy_table(from, to, parents), 2);
  EXPECT_EQ(hc::store::detail::copy_table(from, to, children), 3);
  EXPECT_EQ(rows(to, "SELECT c.uid || '>' || p.uid || ':' || p.id FROM children c JOIN parents p ON p.id = c.parent_id "
                     "ORDER BY c.uid"),
            (std::vector<std::string>{"c1>p-nine:2", "c2>p-seven:1"}));
}

TEST_F(CopyTable, RefusesACopyThatLosesALink) {
  // The parent is not in the target: the link cannot be re-made, and the comparison says so.
  from.exec("INSERT INTO parents(id, uid) VALUES(7, 'p-seven')");
  from.exec("INSERT INTO children(uid, parent_id) VALUES('c1', 7)");
  const auto e =
      expect_error(hc::errc::internal_error, [&] { (void)hc::store::detail::copy_table(from, to, children); });
  EXPECT_NE(std::string(e.what()).find("children"), std::string::npos) << e.what();
}

TEST_F(CopyTable, CopiesATableWithoutAUniqueColumnDuplicatesIncluded) {
  from.exec("INSERT INTO leases(budget, slots) VALUES('b', 1), ('b', 1), ('c', 3)");
  EXPECT_EQ(hc::store::detail::copy_table(from, to, leases), 3);
  EXPECT_EQ(rows(to, "SELECT budget || slots FROM leases ORDER BY budget"),
            (std::vector<std::string>{"b1", "b1", "c3"}));
}

TEST_F(CopyTable, LeavesTheRowsItIsToldToKeep) {
  from.exec("INSERT INTO leases(budget, slots) VALUES('own', 1), ('theirs', 2)");
  to.exec("INSERT INTO leases(budget, slots) VALUES('own', 5)");
  EXPECT_EQ(hc::store::detail::copy_table(from, to, leases, {"own"}), 1);
  EXPECT_EQ(rows(to, "SELECT budget || slots FROM leases ORDER BY budget"),
            (std::vector<std::string>{"own5", "theirs2"}));
}

// Links are carried as uids: a link column must name a table listed before it.
TEST(CopyLayout, LinksPointToTablesCopiedEarlier) {
  std::set<std::string> seen;
  for (const auto& t : hc::store::detail::table_layouts()) {
    for (const auto& c : t.columns)
      if (c.kind == hc::store::detail::ColumnKind::link) {
        ASSERT_NE(c.links_to, nullptr) << t.table << "." << c.name;
        EXPECT_TRUE(seen.count(c.links_to)) << t.table << "." << c.name << " links to a table copied later";
      }
    seen.insert(t.table);
  }
}

}  // namespace

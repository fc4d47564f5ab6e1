// Store: every row is authenticated (row_mac). Each column of each table is changed behind
// the store's back, and the read refuses the row (errc::decryption_failed naming it) and
// verify() names it. Also: swapped names, a connection re-pointed at another client, an
// older sealed value replayed from a backup, a version 1 store migrating, a store lowered
// back to version 1.
#include <openssl/sha.h>

#include <map>
#include <set>

#include "harvest_connect/crypto/encoding.hpp"
#include "harvest_connect/crypto/envelope.hpp"
#include "harvest_connect/crypto/sealed_field.hpp"
#include "store/detail/row_mac.hpp"
#include "store/detail/schema.hpp"
#include "store_test_support.hpp"

using namespace store_test;
namespace m = harvest_connect::model;
using hc::errc;

namespace {

const std::string state_a = "state-a-state-a-state-a-state-a";
const std::string state_b = "state-b-state-b-state-b-state-b";

std::string sha256_hex(const std::string& s) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), d);
  return hc::crypto::hex_encode(std::span<const unsigned char>(d, sizeof d));
}

std::vector<std::string> columns_of(const fs::path& db, const std::string& table) {
  sqlite3* h = nullptr;
  sqlite3_open(db.c_str(), &h);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(h, ("PRAGMA table_info(" + table + ")").c_str(), -1, &st, nullptr);
  std::vector<std::string> out;
  while (sqlite3_step(st) == SQLITE_ROW) out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 1)));
  sqlite3_finalize(st);
  sqlite3_close(h);
  return out;
}

bool names_row(const std::vector<hc::store::Problem>& problems, const std::string& table, const std::string& record) {
  for (const auto& p : problems)
    if (p.table == table && p.record == record && p.field == "row") return true;
  return false;
}

// One tampering: the UPDATE, then the record's name as verify() shows it afterwards.
struct Edit {
  std::string set;          // "column = expression"
  std::string where;        // which row
  std::string shown_name;   // the record's name after the edit
};

}  // namespace

class StoreIntegrity : public StoreTest {
 protected:
  // SQL literals that differ between the backends.
  std::string blob_literal(const std::string& hex) const {
    return backend == Backend::postgres ? "'\\x" + hex + "'::bytea" : "x'" + hex + "'";
  }
  std::string text_as_blob(const std::string& text) const {
    return backend == Backend::postgres ? "convert_to('" + text + "', 'UTF8')" : "CAST('" + text + "' AS BLOB)";
  }
  std::string char_function() const { return backend == Backend::postgres ? "chr" : "char"; }
  // The store's columns of `table`, in order.
  std::vector<std::string> store_columns(const std::string& table) {
    if (backend == Backend::sqlite) return columns_of(path, table);
    hc::store::detail::Database db;
    db.open_url(url, 5000);
    auto st = db.prepare(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND "
        "table_name = ? ORDER BY ordinal_position");
    st.bind(1, table);
    std::vector<std::string> out;
    while (st.step()) out.push_back(st.text(0));
    return out;
  }
  // Two clients, an OAuth connection with tokens, a personal-token connection, and a
  // pending authorization of the OAuth connection.
  void populate() {
    auto s = open(key);
    auto custom = client("app");
    custom.provider = m::Provider::custom;
    custom.authorize_url = "https://id.example.com/authorize";
    custom.token_url = "https://id.example.com/token";
    custom.revoke_url = "https://id.example.com/revoke";
    custom.redirect_uri = "http://127.0.0.1:8765/callback";
    custom.scope = "harvest:123";
    s.create_oauth_client(std::move(custom));
    s.create_oauth_client(client("other", "other-secret-value-2"));
    auto c = connection("acme", "app", "123");
    c.user_agent = "Acme (ops@acme.example)";
    s.create_connection(std::move(c));
    s.save_tokens("acme", {Secret::from_string("access-1"), Secret::from_string("refresh-1"), 4'000'000'000});
    s.set_status("acme", m::ConnectionStatus::offline, "the ping failed");
    m::NewTokenConnection t;
    t.name = "pat";
    t.access_token = Secret::from_string("personal-token-1");
    t.account_id = Secret::from_string("456");
    s.create_token_connection(std::move(t));
    s.create_pending_authorization("acme", Secret::from_string(state_a), Secret::from_string("verifier-verifier-1"),
                                   "http://127.0.0.1:8765/callback");
    s.save_pull_state("acme", {"daily", "/time_entries", 1'700'000'000, {{636700001, 1'700'000'000}}, 0, 0});
    s.save_pull_state("pat", {"projects", "/projects", 1'600'000'000, {}, 0, 0});
    ASSERT_TRUE(s.verify().empty());
  }
};

// StoreIntegrity's TEST_Fs are about the SQLite file (ATTACH, older versions).
using StoreIntegrityBackends = OverBackends<StoreIntegrity>;
INSTANTIATE_TEST_SUITE_P(Backends, StoreIntegrityBackends, both_backends, backend_name);

TEST_P(StoreIntegrityBackends, EveryColumnOfEveryTableIsAuthenticated) {
  const std::string acme = "name = 'acme'";
  const std::string pending = "1 = 1";
  const std::string acme_pull = "connection_id = (SELECT id FROM connections WHERE name = 'acme')";
  // Every column but id and row_mac. A column added to the schema without an entry here
  // fails the coverage check below.
  const std::map<std::string, std::map<std::string, Edit>> edits{
      {"oauth_clients",
       {{"uid", {"uid = 'ffff' || substr(uid, 5)", "name = 'app'", "app"}},
        {"name", {"name = 'renamed'", "name = 'app'", "renamed"}},
        {"provider", {"provider = 'harvest'", "name = 'app'", "app"}},
        {"client_id", {"client_id = 'someone-elses-client'", "name = 'app'", "app"}},
        {"client_secret", {"client_secret = (SELECT client_secret FROM oauth_clients WHERE name = 'other')",
                           "name = 'app'", "app"}},
        {"authorize_url", {"authorize_url = 'https://evil.example/authorize'", "name = 'app'", "app"}},
        {"token_url", {"token_url = 'https://evil.example/token'", "name = 'app'", "app"}},
        {"revoke_url", {"revoke_url = 'https://evil.example/revoke'", "name = 'app'", "app"}},
        {"redirect_uri", {"redirect_uri = 'http://127.0.0.1:9/evil'", "name = 'app'", "app"}},
        {"scope", {"scope = 'all'", "name = 'app'", "app"}},
        {"pkce", {"pkce = 0", "name = 'app'", "app"}},
        {"client_credentials", {"client_credentials = 'basic'", "name = 'app'", "app"}},
        {"created_at", {"created_at = created_at + 1", "name = 'app'", "app"}},
        {"updated_at", {"updated_at = updated_at + 1", "name = 'app'", "app"}},
        {"row_version", {"row_version = row_version + 1", "name = 'app'", "app"}}}},
      {"connections",
       {{"uid", {"uid = 'ffff' || substr(uid, 5)", acme, "acme"}},
        {"name", {"name = 'renamed'", acme, "renamed"}},
        {"oauth_client_id", {"oauth_client_id = (SELECT id FROM oauth_clients WHERE name = 'other')", acme, "acme"}},
        {"personal_access_token",
         {"personal_access_token = personal_access_token || " + blob_literal("00"), "name = 'pat'", "pat"}},
        {"account_id", {"account_id = (SELECT account_id FROM connections WHERE name = 'pat')", acme, "acme"}},
        {"user_agent", {"user_agent = NULL", acme, "acme"}},
        {"api_url", {"api_url = 'https://evil.example/v2'", acme, "acme"}},
        {"id_url", {"id_url = 'https://evil.example'", acme, "acme"}},
        {"status", {"status = 'authorized'", acme, "acme"}},
        {"access_token", {"access_token = NULL", acme, "acme"}},
        {"refresh_token", {"refresh_token = refresh_token || " + blob_literal("00"), acme, "acme"}},
        {"token_expires_at", {"token_expires_at = token_expires_at + 1", acme, "acme"}},
        {"last_error", {"last_error = ''", acme, "acme"}},  // empty is not NULL, nor the old text
        {"created_at", {"created_at = created_at - 1", acme, "acme"}},
        {"updated_at", {"updated_at = updated_at - 1", acme, "acme"}},
        {"row_version", {"row_version = row_version - 1", acme, "acme"}}}},
      {"pending_authorizations",
       {{"uid", {"uid = 'ffff' || substr(uid, 5)", pending, ""}},
        {"connection_id", {"connection_id = (SELECT id FROM connections WHERE name = 'pat')", pending, ""}},
        {"state_hash", {"state_hash = " + blob_literal(sha256_hex(state_b)), pending, ""}},
        {"code_verifier", {"code_verifier = NULL", pending, ""}},
        {"redirect_uri", {"redirect_uri = 'http://127.0.0.1:9/evil'", pending, ""}},
        {"created_at", {"created_at = created_at + 1", pending, ""}},
        {"expires_at", {"expires_at = expires_at + 60", pending, ""}},
        {"row_version", {"row_version = row_version + 7", pending, ""}}}},
      // A pull state is not secret, but a mark moved forward would make the next pull skip
      // records silently.
      {"pull_states",
       {{"uid", {"uid = 'ffff' || substr(uid, 5)", acme_pull, "daily"}},
        {"connection_id", {"connection_id = (SELECT id FROM connections WHERE name = 'pat')", acme_pull, "daily"}},
        {"name", {"name = 'weekly'", acme_pull, "weekly"}},
        {"path", {"path = '/projects'", acme_pull, "daily"}},
        {"mark", {"mark = mark + 86400", acme_pull, "daily"}},
        {"recent", {"recent = ''", acme_pull, "daily"}},
        {"created_at", {"created_at = created_at + 1", acme_pull, "daily"}},
        {"updated_at", {"updated_at = updated_at - 1", acme_pull, "daily"}},
        {"row_version", {"row_version = row_version + 1", acme_pull, "daily"}}}},
  };
  populate();
  const fs::path pristine = dir / "pristine.db";
  if (backend == Backend::sqlite) fs::copy_file(path, pristine);
  // connections.type has CHECK (type = 'harvest'): no other value can be stored in it.
  const std::set<std::string> unchangeable{"connections.type"};
  {
    std::set<std::string> tables, covered_tables;
    for (const auto& t : hc::store::detail::authenticated_tables()) tables.insert(t.table);
    for (const auto& [table, _] : edits) covered_tables.insert(table);
    EXPECT_EQ(covered_tables, tables) << "every authenticated table needs its tampering cases";
  }
  for (const auto& [table, by_column] : edits) {
    std::set<std::string> expected;
    for (const auto& col : store_columns(table))
      if (col != "id" && col != "row_mac" && !unchangeable.count(table + "." + col)) expected.insert(col);
    std::set<std::string> covered;
    for (const auto& [col, _] : by_column) covered.insert(col);
    EXPECT_EQ(covered, expected) << table << ": every column needs a tampering case";
  }

  for (const auto& [table, by_column] : edits) {
    for (const auto& [column, edit] : by_column) {
      SCOPED_TRACE(table + "." + column);
      if (backend == Backend::sqlite) {
        fs::remove(path);
        fs::copy_file(pristine, path);
      } else {  // the same records again, in an emptied schema
        store_sql("DROP SCHEMA " + schema + " CASCADE; CREATE SCHEMA " + schema);
        populate();
      }
      std::string uid_before;
      store_sql("UPDATE " + table + " SET " + edit.set + " WHERE " + edit.where);
      auto s = open(key);
      if (table == "oauth_clients") {
        auto e = expect_error(errc::decryption_failed, [&] { (void)s.oauth_client(edit.shown_name); });
        EXPECT_NE(std::string(e.what()).find("'" + edit.shown_name + "'"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("integrity"), std::string::npos) << e.what();
        expect_error(errc::decryption_failed, [&] { (void)s.oauth_clients(); });
        expect_error(errc::decryption_failed, [&] { (void)s.credentials("acme"); });
        expect_error(errc::decryption_failed, [&] { (void)s.http_settings("acme"); });
        EXPECT_TRUE(names_row(s.verify(), "oauth_client", edit.shown_name));
      } else if (table == "connections") {
        auto e = expect_error(errc::decryption_failed, [&] { (void)s.connection(edit.shown_name); });
        EXPECT_NE(std::string(e.what()).find("'" + edit.shown_name + "'"), std::string::npos) << e.what();
        expect_error(errc::decryption_failed, [&] { (void)s.connections(); });
        expect_error(errc::decryption_failed, [&] { (void)s.credentials(edit.shown_name); });
        expect_error(errc::decryption_failed, [&] { (void)s.http_settings(edit.shown_name); });
        bool called = false;
        expect_error(errc::decryption_failed, [&] {
          s.with_token_lock(edit.shown_name, [&](const hc::store::TokenState&) {
            called = true;
            return std::optional<hc::store::TokenUpdate>();
          });
        });
        EXPECT_FALSE(called);  // the refresh never ran: nothing was sent
        // Writes refuse too: they would otherwise re-authenticate the tampered row.
        expect_error(errc::decryption_failed,
                     [&] { s.set_status(edit.shown_name, m::ConnectionStatus::authorized); });
        expect_error(errc::decryption_failed, [&] { s.rotate_data_key(); });
        EXPECT_TRUE(names_row(s.verify(), "connection", edit.shown_name));
      } else if (table == "pull_states") {
        const std::string owner = column == "connection_id" ? "pat" : "acme";
        auto e = expect_error(errc::decryption_failed, [&] { (void)s.pull_state(owner, edit.shown_name); });
        EXPECT_NE(std::string(e.what()).find("'" + edit.shown_name + "'"), std::string::npos) << e.what();
        expect_error(errc::decryption_failed, [&] { (void)s.pull_states(owner); });
        // A commit would otherwise re-authenticate the tampered row.
        expect_error(errc::decryption_failed, [&] {
          s.save_pull_state(owner, {edit.shown_name, column == "path" ? "/projects" : "/time_entries", 1, {}, 0, 0});
        });
        expect_error(errc::decryption_failed, [&] { s.rotate_data_key(); });
        EXPECT_TRUE(names_row(s.verify(), "pull_state", edit.shown_name));
        // Deleting it works, so that the pull can start afresh.
        EXPECT_TRUE(s.delete_pull_state(owner, edit.shown_name));
        EXPECT_TRUE(s.verify().empty());
      } else {
        const std::string& state = column == "state_hash" ? state_b : state_a;
        expect_error(errc::decryption_failed,
                     [&] { (void)s.take_pending_authorization(Secret::from_string(state)); });
        const auto problems = s.verify();
        bool named = false;
        for (const auto& p : problems) named = named || (p.table == "pending_authorization" && p.field == "row");
        EXPECT_TRUE(named);
      }
    }
  }
}

TEST_P(StoreIntegrityBackends, ADeletedTamperedRecordCanBeCreatedAgain) {
  populate();
  store_sql("UPDATE connections SET id_url = 'https://evil.example' WHERE name = 'pat'");
  auto s = open(key);
  s.delete_connection("pat");
  EXPECT_TRUE(s.verify().empty());
  m::NewTokenConnection t;
  t.name = "pat";
  t.access_token = Secret::from_string("personal-token-2");
  t.account_id = Secret::from_string("456");
  s.create_token_connection(std::move(t));
  EXPECT_EQ(s.connections().size(), 2u);
}

TEST_P(StoreIntegrityBackends, SwappedNamesAreDetected) {
  populate();
  store_sql(
      "UPDATE oauth_clients SET name = 'tmp' WHERE name = 'app'; UPDATE oauth_clients SET name = 'app' WHERE name = "
      "'other'; UPDATE oauth_clients SET name = 'other' WHERE name = 'tmp';");
  auto s = open(key);
  expect_error(errc::decryption_failed, [&] { (void)s.oauth_client("app"); });
  expect_error(errc::decryption_failed, [&] { (void)s.oauth_client("other"); });
  const auto problems = s.verify();
  EXPECT_TRUE(names_row(problems, "oauth_client", "app"));
  EXPECT_TRUE(names_row(problems, "oauth_client", "other"));
}

TEST_P(StoreIntegrityBackends, ARepointedConnectionIsDetected) {
  populate();
  store_sql("UPDATE connections SET oauth_client_id = (SELECT id FROM oauth_clients WHERE name = 'other') "
            "WHERE name = 'acme'");
  auto s = open(key);
  auto e = expect_error(errc::decryption_failed, [&] { (void)s.credentials("acme"); });
  EXPECT_EQ(std::string(e.what()).find("other-secret-value-2"), std::string::npos);
  EXPECT_TRUE(names_row(s.verify(), "connection", "acme"));
}

TEST_F(StoreIntegrity, AnOlderSealedValueFromABackupIsDetected) {
  {
    auto s = open(key);
    s.create_oauth_client(client("app"));
    s.create_connection(connection("acme", "app", "123"));
    s.save_tokens("acme", {Secret::from_string("access-1"), Secret::from_string("refresh-1"), 1});
  }
  const fs::path backup = dir / "backup.db";
  fs::copy_file(path, backup);
  { open(key).save_tokens("acme", {Secret::from_string("access-2"), Secret::from_string("refresh-2"), 2}); }
  // The old refresh token opens under the same key, store, row and field: only the row
  // authenticator can tell that it is not the current one.
  sql(path, "ATTACH '" + backup.string() + "' AS b; UPDATE connections SET refresh_token = (SELECT refresh_token FROM "
            "b.connections WHERE b.connections.uid = connections.uid); DETACH b;");
  auto s = open(key);
  expect_error(errc::decryption_failed, [&] { (void)s.credentials("acme"); });
  EXPECT_TRUE(names_row(s.verify(), "connection", "acme"));
}

TEST_F(StoreIntegrity, AVersion1StoreMigratesAuthenticatesAndVerifies) {
  // A store as version 1 wrote it: its schema SQL, a wrapped data key bound to the store
  // id, sealed values, no row authenticators.
  const std::string store_id = "00112233445566778899aabbccddeeff";
  const auto dek = hc::crypto::DataKey::generate();
  auto sealed = [&](const char* table, const char* uid, const char* field, const std::string& v) {
    return hc::crypto::hex_encode(hc::crypto::seal_field(
        dek.key, dek.id, {store_id, table, uid, field},
        std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(v.data()), v.size())));
  };
  fs::create_directories(path.parent_path());
  sql(path, std::string(hc::store::detail::migrations()[0]) + "PRAGMA user_version = 1; PRAGMA journal_mode = WAL;");
  sql(path, "INSERT INTO meta VALUES ('store_id', CAST('" + store_id + "' AS BLOB)), ('wrapped_data_key', x'" +
                hc::crypto::hex_encode(hc::crypto::wrap_data_key(key, dek, store_id)) + "');" +
                "INSERT INTO oauth_clients(id, uid, name, provider, client_id, client_secret, pkce, "
                "client_credentials, created_at, updated_at) VALUES (1, 'c1', 'app', 'harvest', 'client-id-1', x'" +
                sealed("oauth_clients", "c1", "client_secret", "client-secret-value-1") +
                "', 1, 'body', 1, 1);"
                "INSERT INTO connections(id, uid, name, type, oauth_client_id, account_id, api_url, id_url, status, "
                "refresh_token, created_at, updated_at) VALUES (1, 'k1', 'acme', 'harvest', 1, x'" +
                sealed("connections", "k1", "account_id", "123") +
                "', 'https://api.harvestapp.com/v2', 'https://id.getharvest.com', 'authorized', x'" +
                sealed("connections", "k1", "refresh_token", "refresh-1") + "', 1, 1);");
  {
    auto s = open(key);
    EXPECT_EQ(s.schema_version(), 4);
    EXPECT_TRUE(s.verify().empty());
    auto cred = s.credentials("acme");
    EXPECT_EQ(cred.refresh_token->reveal_string(), "refresh-1");
    EXPECT_EQ(cred.client_secret->reveal_string(), "client-secret-value-1");
  }
  // The migration wrote real authenticators: tampering is detected from now on.
  sql(path, "UPDATE connections SET id_url = 'https://evil.example'");
  auto s = open(key);
  expect_error(errc::decryption_failed, [&] { (void)s.credentials("acme"); });
}

TEST_F(StoreIntegrity, AStoreLoweredToVersion1IsRefusedNotReAuthenticated) {
  populate();
  // What someone would do to have the migration authenticate their change.
  sql(path,
      "UPDATE connections SET id_url = 'https://evil.example' WHERE name = 'acme';"
      "ALTER TABLE oauth_clients DROP COLUMN row_mac; ALTER TABLE oauth_clients DROP COLUMN row_version;"
      "ALTER TABLE connections DROP COLUMN row_mac; ALTER TABLE connections DROP COLUMN row_version;"
      "ALTER TABLE pending_authorizations DROP COLUMN row_mac; "
      "ALTER TABLE pending_authorizations DROP COLUMN row_version; PRAGMA user_version = 1;");
  const std::string before = read_bytes(path);
  auto e = expect_error(errc::decryption_failed, [&] { (void)open(key); });
  EXPECT_NE(std::string(e.what()).find("schema version 1"), std::string::npos) << e.what();
  EXPECT_EQ(columns_of(path, "connections").size(), 17u);  // not migrated
}

TEST_P(StoreIntegrityBackends, TheMetaTableIsBoundToTheKey) {
  populate();
  // The store id is bound into the wrapped data key's associated data.
  store_sql("UPDATE meta SET value = " + text_as_blob("ffffffffffffffffffffffffffffffff") + " WHERE key = 'store_id'");
  expect_error(errc::decryption_failed, [&] { (void)open(key); });
}

TEST_P(StoreIntegrityBackends, ATamperedNameReachesNoMessageRaw) {
  populate();
  store_sql("UPDATE connections SET name = 'acme' || " + char_function() + "(27) || '[2J' WHERE name = 'acme'");
  auto s = open(key);
  auto e = expect_error(errc::decryption_failed, [&] { (void)s.connections(); });
  EXPECT_EQ(std::string(e.what()).find('\x1b'), std::string::npos);
  for (const auto& p : s.verify()) EXPECT_EQ(p.record.find('\x1b'), std::string::npos) << p.field;
  EXPECT_TRUE(names_row(s.verify(), "connection", "acme\\x1b[2J"));
}

// The rate budget's rows (schema v4) hold no secret and steer none, so they carry no
// authenticator: every value read is clamped instead (docs/security.md). A hostile edit
// of each column leads to bounded behaviour, never to a refused store or an endless wait
// (test_store_rate_budget.cpp has the details).
TEST_F(StoreIntegrity, TamperedRateRowsAreClampedToBoundedBehaviour) {
  populate();
  const hc::store::RateBudgetId budget{"account-digest", 10, 2000};
  hc::store::RateLeaseRequest one;
  one.holder = "process-1";
  one.want = 1;
  one.hold_ms = 4000;
  const std::int64_t t0 = 1'700'000'000'000;
  {
    auto s = open(key);
    ASSERT_EQ(s.lease_rate_slots(budget, one, t0).slots, 1);
    s.pause_rate_budget(budget, t0 + 10, t0);
  }
  const std::string never = "9223372036854775807";
  sql(path, "UPDATE rate_leases SET slots = 1000000000, ends_at = " + never + ", budget = budget");
  sql(path, "UPDATE rate_budgets SET paused_until = " + never);
  auto s = open(key);
  EXPECT_TRUE(s.verify().empty());  // nothing authenticated was touched: the store stays usable
  auto paused = s.lease_rate_slots(budget, one, t0 + 100);
  EXPECT_TRUE(paused.paused);
  EXPECT_EQ(paused.retry_at, t0 + 100 + hc::store::max_rate_pause_ms);  // a day at most, as Retry-After
  const std::int64_t after_pause = t0 + 100 + hc::store::max_rate_pause_ms;
  // The lease was cut to its longest honest hold when first read (at t0 + 100), so it has
  // ended by the time the pause does.
  EXPECT_EQ(s.lease_rate_slots(budget, one, after_pause).slots, 1);
  // A negative count frees nothing.
  sql(path, "UPDATE rate_leases SET slots = -1000");
  one.want = 10;
  EXPECT_EQ(s.lease_rate_slots(budget, one, after_pause + 1).slots, 10);
  EXPECT_EQ(s.rate_budget_usage(budget, after_pause + 1).used, 10);
}

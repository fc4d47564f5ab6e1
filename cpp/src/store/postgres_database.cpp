#include "store/detail/postgres_database.hpp"

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <vector>

#include "harvest_connect/error.hpp"
#include "harvest_connect/store/location.hpp"
#include "store/detail/database.hpp"
#include "store/detail/libpq.hpp"

namespace harvest_connect::store::detail {
using namespace pq;  // libpq's names (store/detail/libpq.hpp)

namespace {

// Type OIDs (pg_type.dat; stable across releases).
constexpr Oid bool_oid = 16, bytea_oid = 17, int8_oid = 20, int2_oid = 21, int4_oid = 23, oid_oid = 26,
              float4_oid = 700, float8_oid = 701, numeric_oid = 1700;

// The store's write lock: a transaction-scoped advisory lock keyed by this constant and the
// schema that holds the store, so that stores in different schemas of one database do not
// wait for each other. The server releases it at COMMIT, ROLLBACK, or when the session ends.
constexpr const char* write_lock =
    "SELECT pg_advisory_xact_lock(1212370945, hashtext(coalesce(current_schema(), '')))";

std::string first_line(std::string_view s) {
  const auto nl = s.find('\n');
  std::string out(s.substr(0, nl));
  while (!out.empty() && (out.back() == '\r' || out.back() == ' ')) out.pop_back();
  return out;
}

// `?` placeholders outside quotes become $1, $2, ...; returns their number.
int rewrite_placeholders(std::string_view sql, std::string& out) {
  out.clear();
  out.reserve(sql.size() + 16);
  int n = 0;
  char quote = 0;
  for (char c : sql) {
    if (quote) {
      if (c == quote) quote = 0;
      out += c;
    } else if (c == '\'' || c == '"') {
      quote = c;
      out += c;
    } else if (c == '?') {
      out += '$';
      out += std::to_string(++n);
    } else {
      out += c;
    }
  }
  return n;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

struct ResultDeleter {
  void operator()(PGresult* r) const noexcept {
    if (r) libpq().clear(r);
  }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

class PostgresDatabase;

class PostgresStatement final : public StatementBackend {
 public:
  PostgresStatement(PostgresDatabase& db, std::string_view sql) : db_(db) {
    const int n = rewrite_placeholders(sql, sql_);
    values_.resize(static_cast<std::size_t>(n));
    types_.resize(static_cast<std::size_t>(n), 0);
    formats_.resize(static_cast<std::size_t>(n), 0);
  }

  void bind_text(int i, std::string_view text) override { set(i, std::string(text), 0, 0); }
  void bind_int64(int i, std::int64_t value) override { set(i, std::to_string(value), int8_oid, 0); }
  void bind_blob(int i, std::span<const unsigned char> blob) override {
    set(i, std::string(reinterpret_cast<const char*>(blob.data()), blob.size()), bytea_oid, 1);
  }
  void bind_null(int i) override {
    check_index(i);
    values_[static_cast<std::size_t>(i - 1)].reset();
  }
  bool step() override;

  int type(int i) const override {
    const PGresult* r = current(i);
    if (libpq().getisnull(r, row_, i)) return column_null;
    switch (libpq().ftype(r, i)) {
      case bool_oid:
      case int2_oid:
      case int4_oid:
      case int8_oid:
      case oid_oid:
        return column_integer;
      case numeric_oid:
        return std::strpbrk(libpq().getvalue(r, row_, i), ".eEN") ? column_float : column_integer;
      case float4_oid:
      case float8_oid:
        return column_float;
      case bytea_oid:
        return column_blob;
      default:
        return column_text;
    }
  }
  std::string text(int i) const override {
    const PGresult* r = current(i);
    if (libpq().getisnull(r, row_, i)) return {};
    const Oid t = libpq().ftype(r, i);
    if (t == bytea_oid) {
      const auto b = blob(i);
      return std::string(b.begin(), b.end());
    }
    if (t == bool_oid) return raw(r, i) == "t" ? "1" : "0";
    return std::string(raw(r, i));
  }
  std::int64_t int64(int i) const override {
    const PGresult* r = current(i);
    if (libpq().getisnull(r, row_, i)) return 0;
    const std::string_view v = raw(r, i);
    if (libpq().ftype(r, i) == bool_oid) return v == "t" ? 1 : 0;
    std::int64_t out = 0;
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    if (ec != std::errc()) return static_cast<std::int64_t>(std::strtod(std::string(v).c_str(), nullptr));
    (void)end;  // as SQLite: the leading integer of a longer text
    return out;
  }
  std::vector<unsigned char> blob(int i) const override {
    const PGresult* r = current(i);
    if (libpq().getisnull(r, row_, i)) return {};
    const std::string_view v = raw(r, i);
    if (libpq().ftype(r, i) != bytea_oid) return std::vector<unsigned char>(v.begin(), v.end());
    // bytea_output = hex (set for every session): \x then two hex digits per byte.
    std::vector<unsigned char> out;
    if (v.size() < 2 || v[0] != '\\' || v[1] != 'x')
      throw error(errc::store_error, "the PostgreSQL server sent a BYTEA value in an unknown format");
    out.reserve((v.size() - 2) / 2);
    for (std::size_t k = 2; k + 1 < v.size(); k += 2)
      out.push_back(static_cast<unsigned char>(hex_value(v[k]) * 16 + hex_value(v[k + 1])));
    return out;
  }

 private:
  void check_index(int i) const {
    if (i < 1 || static_cast<std::size_t>(i) > values_.size())
      throw error(errc::internal_error, "a store statement bound parameter " + std::to_string(i) + " of " +
                                            std::to_string(values_.size()));
  }
  void set(int i, std::string value, Oid type, int format) {
    check_index(i);
    const auto k = static_cast<std::size_t>(i - 1);
    values_[k] = std::move(value);
    types_[k] = type;
    formats_[k] = format;
  }
  const PGresult* current(int i) const {
    if (!result_ || row_ < 0 || row_ >= libpq().ntuples(result_.get()) || i < 0 ||
        i >= libpq().nfields(result_.get()))
      throw error(errc::internal_error, "a store statement read column " + std::to_string(i) + " without a row");
    return result_.get();
  }
  std::string_view raw(const PGresult* r, int i) const {
    return {libpq().getvalue(r, row_, i), static_cast<std::size_t>(libpq().getlength(r, row_, i))};
  }

  PostgresDatabase& db_;
  std::string sql_;
  std::vector<std::optional<std::string>> values_;
  std::vector<Oid> types_;
  std::vector<int> formats_;
  Result result_;
  int row_ = -1;
  bool executed_ = false;
};

// A peer that vanishes without closing its connection (a host powered off, a network
// partition) is given up on after about 25 s, at both ends of every store session: TCP
// keepalives probe an idle connection after 10 s, every 5 s, and give up after 3 unanswered
// probes; data left unacknowledged for 25 s ends the connection too. So the server ends a
// vanished host's session, and with it the store's write lock, before the busy timeout (30 s
// by default) of a host waiting for that lock runs out; and this process gets a network
// error instead of waiting on a vanished server for the operating system's defaults (about
// 2 hours of keepalive, 15 minutes of retransmissions). A live peer's kernel answers the
// probes however busy the peer is, so a slow refresh or a long query is not cut short.
namespace vanished_peer {
inline constexpr int keepalive_idle_s = 10;
inline constexpr int keepalive_interval_s = 5;
inline constexpr int keepalive_count = 3;
inline constexpr int user_timeout_ms = 25000;
}  // namespace vanished_peer

class PostgresDatabase final : public DatabaseBackend {
 public:
  PostgresDatabase(PGconn* conn, int busy_timeout_ms) : conn_(conn), busy_timeout_ms_(busy_timeout_ms) {
    try {
      server_ = server_name();
      configure_session();
    } catch (...) {
      libpq().finish(conn_);
      throw;
    }
  }
  PostgresDatabase(const PostgresDatabase&) = delete;
  PostgresDatabase& operator=(const PostgresDatabase&) = delete;
  ~PostgresDatabase() override { libpq().finish(conn_); }

  BackendKind kind() const noexcept override { return BackendKind::postgres; }

  void exec(const char* sql) override { command(sql); }
  std::unique_ptr<StatementBackend> prepare(std::string_view sql) override {
    return std::make_unique<PostgresStatement>(*this, sql);
  }
  int changes() const override { return changes_; }

  void begin(TransactionKind kind) override {
    const std::string sql = kind == TransactionKind::immediate
                                ? std::string("BEGIN; ") + write_lock
                                : std::string("BEGIN ISOLATION LEVEL REPEATABLE READ");
    // Nothing has happened yet in this transaction: when the connection turns out to be
    // lost (the server restarted since the last call), reconnecting and beginning again is
    // safe. A transaction under way is never retried.
    for (int attempt = 0;; ++attempt) {
      reconnect_if_lost();
      Result r(libpq().exec(conn_, sql.c_str()));
      if (ok(r.get())) break;
      if (attempt == 0 && connection_lost()) continue;
      rollback();
      fail(r.get(), "cannot begin a transaction");
    }
    in_transaction_ = true;
  }
  void commit() override {
    Result r(libpq().exec(conn_, "COMMIT"));
    in_transaction_ = false;
    if (!ok(r.get())) {
      if (connection_lost())
        throw error(errc::network_error,
                    "the connection to the PostgreSQL store at " + server_ + " was lost while committing (" +
                        first_line(libpq().error_message(conn_)) +
                        "): the change may or may not have been saved; check it once the server is back");
      fail(r.get(), "cannot commit");
    }
  }
  void rollback() noexcept override {
    in_transaction_ = false;
    if (libpq().status(conn_) != CONNECTION_OK) return;
    if (libpq().transaction_status(conn_) == PQTRANS_IDLE) return;
    if (PGresult* r = libpq().exec(conn_, "ROLLBACK")) libpq().clear(r);
  }

  int schema_version() override {
    if (!table_exists("schema_version")) return 0;
    Result r = query("SELECT max(version) FROM schema_version");
    if (libpq().ntuples(r.get()) < 1 || libpq().getisnull(r.get(), 0, 0)) return 0;
    return std::atoi(libpq().getvalue(r.get(), 0, 0));
  }
  void set_schema_version(int version) override {
    command("DELETE FROM schema_version");
    command(("INSERT INTO schema_version(version) VALUES(" + std::to_string(version) + ")").c_str());
  }
  bool is_empty() override { return !table_exists("meta") && !table_exists("schema_version"); }
  void use_write_ahead_log() override {}
  void checkpoint() noexcept override {}
  // The server keeps its own pages consistent (checksums, WAL); rows are checked by their
  // authenticators. There is nothing like SQLite's quick_check to run from a client.
  std::vector<std::string> quick_check() override { return {}; }

  // For statements: runs `sql` with parameters; the result holds rows or a command's tag.
  Result execute(const std::string& sql, const std::vector<std::optional<std::string>>& values,
                 const std::vector<Oid>& types, const std::vector<int>& formats) {
    std::vector<const char*> v(values.size());
    std::vector<int> lengths(values.size());
    for (std::size_t k = 0; k < values.size(); ++k) {
      v[k] = values[k] ? values[k]->data() : nullptr;
      lengths[k] = values[k] ? static_cast<int>(values[k]->size()) : 0;
    }
    for (int attempt = 0;; ++attempt) {
      reconnect_if_lost();
      Result r(libpq().exec_params(conn_, sql.c_str(), static_cast<int>(values.size()), types.data(), v.data(),
                                   lengths.data(), formats.data(), 0));
      if (ok(r.get())) {
        note_changes(r.get());
        return r;
      }
      // A single statement outside a transaction that only reads may run again on a new
      // connection; anything else fails (the caller's transaction is gone with it).
      if (attempt == 0 && !in_transaction_ && connection_lost() && is_read(sql)) continue;
      fail(r.get(), "store");
    }
  }

 private:
  static bool ok(const PGresult* r) {
    if (!r) return false;
    const auto s = libpq().result_status(r);
    return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
  }
  static bool is_read(std::string_view sql) {
    while (!sql.empty() && (sql.front() == ' ' || sql.front() == '\n')) sql.remove_prefix(1);
    return sql.size() >= 6 && (sql.substr(0, 6) == "SELECT" || sql.substr(0, 6) == "select");
  }
  bool connection_lost() const { return libpq().status(conn_) != CONNECTION_OK; }
  void reconnect_if_lost() {
    if (!connection_lost()) return;
    if (in_transaction_)
      throw error(errc::network_error, "the connection to the PostgreSQL store at " + server_ +
                                           " was lost in the middle of a transaction; nothing of it was saved");
    libpq().reset(conn_);
    if (connection_lost())
      throw error(errc::network_error, "cannot reach the PostgreSQL store at " + server_ + ": " +
                                           first_line(libpq().error_message(conn_)) +
                                           " (check that the server runs and accepts connections; try again)");
    configure_session();
  }
  void note_changes(const PGresult* r) {
    const char* n = libpq().cmd_tuples(const_cast<PGresult*>(r));
    changes_ = (n && *n) ? std::atoi(n) : changes_;
  }
  Result query(const char* sql) {
    return execute(sql, {}, {}, {});
  }
  void command(const char* sql) {
    reconnect_if_lost();
    Result r(libpq().exec(conn_, sql));
    if (!ok(r.get())) fail(r.get(), "store");
    note_changes(r.get());
  }
  bool table_exists(const char* table) {
    Result r = execute("SELECT to_regclass($1) IS NOT NULL", {std::string(table)}, {0}, {0});
    return libpq().ntuples(r.get()) == 1 && std::strcmp(libpq().getvalue(r.get(), 0, 0), "t") == 0;
  }
  void configure_session() {
    // Writers wait for the store's lock at most the busy timeout, as on SQLite. Values come
    // back as text; BYTEA in hex (store/detail/database.hpp's blob()). The server's end of
    // the session gives up on a vanished host as this end does (vanished_peer above), unless
    // a setting is already someone's choice: the URL's `options`, PGOPTIONS, the role, the
    // database or postgresql.conf (pg_settings.source is then not 'default'). pg_settings
    // lists only what the server has: tcp_user_timeout is skipped before PostgreSQL 12.
    const std::string sql =
        "SET lock_timeout = " + std::to_string(busy_timeout_ms_) +
        "; SET bytea_output = 'hex'; SET client_encoding = 'UTF8'; SET standard_conforming_strings = on; "
        "SELECT set_config(name, value, false) FROM (VALUES "
        "('tcp_keepalives_idle', '" + std::to_string(vanished_peer::keepalive_idle_s) + "'), "
        "('tcp_keepalives_interval', '" + std::to_string(vanished_peer::keepalive_interval_s) + "'), "
        "('tcp_keepalives_count', '" + std::to_string(vanished_peer::keepalive_count) + "'), "
        "('tcp_user_timeout', '" + std::to_string(vanished_peer::user_timeout_ms) + "')"
        ") AS d(name, value) JOIN pg_settings USING (name) WHERE source = 'default'";
    Result r(libpq().exec(conn_, sql.c_str()));
    if (!ok(r.get())) fail(r.get(), "cannot set up the session");
  }
  std::string server_name() const {
    const char* host = libpq().host(conn_);
    const char* port = libpq().port(conn_);
    const char* db = libpq().db(conn_);
    std::string h = host && *host ? host : "localhost";
    if (h.front() == '/') h = "socket " + h;
    return h + ":" + (port && *port ? port : "5432") + "/" + (db ? db : "");
  }

  [[noreturn]] void fail(const PGresult* r, std::string_view what) const {
    const char* state = r ? libpq().result_error_field(r, diag_sqlstate) : nullptr;
    const std::string code = state ? state : "";
    // Only the primary message: DETAIL lines may quote values of a row.
    const char* primary = r ? libpq().result_error_field(r, diag_message_primary) : nullptr;
    const std::string msg = primary ? primary : first_line(libpq().error_message(conn_));
    if (connection_lost() || code.starts_with("08") || code == "57P01" || code == "57P02" || code == "57P03")
      throw error(errc::network_error, "the connection to the PostgreSQL store at " + server_ + " failed (" + msg +
                                           "); nothing of the interrupted change was saved. Try again once the "
                                           "server is back");
    if (code == "55P03" || code == "40001" || code == "40P01")
      throw error(errc::store_error, std::string(what) + ": the store is busy (another process kept it locked longer "
                                     "than the busy timeout); try again");
    if (code == "42501")
      throw error(errc::store_error, std::string(what) + " (" + server_ + "): " + msg +
                                         " (grant the store's role USAGE on its schema and SELECT, INSERT, UPDATE, "
                                         "DELETE on its tables; the first open needs CREATE on the schema)");
    throw error(errc::store_error, std::string(what) + " (PostgreSQL store at " + server_ + "): " + msg);
  }

  PGconn* conn_;
  std::string server_;
  int busy_timeout_ms_;
  int changes_ = 0;
  bool in_transaction_ = false;
};

bool PostgresStatement::step() {
  if (!executed_) {
    result_ = db_.execute(sql_, values_, types_, formats_);
    executed_ = true;
    row_ = 0;
  } else if (result_ && row_ < libpq().ntuples(result_.get())) {
    ++row_;
  }
  return result_ && row_ < libpq().ntuples(result_.get());
}

void ignore_notice(void*, const char*) {}

}  // namespace

std::unique_ptr<DatabaseBackend> open_postgres(const std::string& url, int busy_timeout_ms) {
  const Libpq& pq = libpq();
  const std::string display = redact_database_url(url);
  // Keywords before dbname are defaults the URL may override; the URL is expanded by libpq
  // itself (passwords from the URL, PGPASSWORD, PGPASSFILE or ~/.pgpass).
  std::vector<const char*> keys{"application_name"};
  std::vector<const char*> values{"harvest-connect"};
  if (!std::getenv("PGCONNECT_TIMEOUT")) {
    keys.push_back("connect_timeout");
    values.push_back("10");
  }
  // This end's bounds on a vanished server (vanished_peer; the server's end: configure_session).
  const std::string idle = std::to_string(vanished_peer::keepalive_idle_s);
  const std::string interval = std::to_string(vanished_peer::keepalive_interval_s);
  const std::string count = std::to_string(vanished_peer::keepalive_count);
  const std::string user_timeout = std::to_string(vanished_peer::user_timeout_ms);
  keys.insert(keys.end(), {"keepalives_idle", "keepalives_interval", "keepalives_count"});
  values.insert(values.end(), {idle.c_str(), interval.c_str(), count.c_str()});
  if (pq.lib_version() >= 120000) {  // libpq 12 added tcp_user_timeout; older ones refuse the keyword
    keys.push_back("tcp_user_timeout");
    values.push_back(user_timeout.c_str());
  }
  keys.push_back("dbname");
  values.push_back(url.c_str());
  keys.push_back(nullptr);
  values.push_back(nullptr);
  PGconn* conn = pq.connectdb_params(keys.data(), values.data(), 1);
  if (!conn) throw error(errc::store_error, "cannot open the PostgreSQL store " + display + ": out of memory");
  if (pq.status(conn) != CONNECTION_OK) {
    const std::string msg = first_line(pq.error_message(conn));
    pq.finish(conn);
    const bool refused_login = msg.find("authentication") != std::string::npos ||
                               msg.find("password") != std::string::npos ||
                               msg.find("does not exist") != std::string::npos;
    throw error(refused_login ? errc::store_error : errc::network_error,
                "cannot open the PostgreSQL store " + display + ": " + msg +
                    (refused_login ? " (check the user, the database and the password: ~/.pgpass, PGPASSFILE "
                                     "or PGPASSWORD)"
                                   : " (check that the server runs and accepts connections from this host)"));
  }
  pq.set_notice_processor(conn, ignore_notice, nullptr);
  return std::make_unique<PostgresDatabase>(conn, busy_timeout_ms);
}

}  // namespace harvest_connect::store::detail

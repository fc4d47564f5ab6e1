#include "store/detail/sqlite_database.hpp"

#include <sqlite3.h>

#include "harvest_connect/error.hpp"
#include "store/detail/database.hpp"

namespace harvest_connect::store::detail {
namespace {

static_assert(column_integer == SQLITE_INTEGER && column_float == SQLITE_FLOAT && column_text == SQLITE_TEXT &&
              column_blob == SQLITE_BLOB && column_null == SQLITE_NULL);

[[noreturn]] void fail(sqlite3* db, int rc, std::string_view what) {
  std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  const int primary = rc & 0xff;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
    throw error(errc::store_error, std::string(what) + ": the store is busy (another process kept it locked longer "
                                   "than the busy timeout); try again");
  if (primary == SQLITE_READONLY || primary == SQLITE_PERM || primary == SQLITE_CANTOPEN)
    throw error(errc::store_error, std::string(what) + ": " + msg + " (check the store file's permissions)");
  if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB)
    throw error(errc::store_error, std::string(what) + ": " + msg + " (the store file is damaged: restore a backup)");
  throw error(errc::store_error, std::string(what) + ": " + msg);
}

class SqliteStatement final : public StatementBackend {
 public:
  SqliteStatement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;
  ~SqliteStatement() override { sqlite3_finalize(stmt_); }

  void bind_text(int i, std::string_view text) override {
    check(sqlite3_bind_text(stmt_, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT));
  }
  void bind_int64(int i, std::int64_t value) override { check(sqlite3_bind_int64(stmt_, i, value)); }
  void bind_blob(int i, std::span<const unsigned char> blob) override {
    // An empty span's data() may be null, which sqlite3_bind_blob binds as NULL: an empty BLOB
    // must stay an empty BLOB (store::copy_store compares every value after copying it).
    check(blob.empty() ? sqlite3_bind_zeroblob(stmt_, i, 0)
                       : sqlite3_bind_blob(stmt_, i, blob.data(), static_cast<int>(blob.size()), SQLITE_TRANSIENT));
  }
  void bind_null(int i) override { check(sqlite3_bind_null(stmt_, i)); }
  bool step() override {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail(db_, rc, "store");
  }
  int type(int i) const override { return sqlite3_column_type(stmt_, i); }
  std::string text(int i) const override {
    const auto* p = sqlite3_column_text(stmt_, i);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, i)))
             : std::string();
  }
  std::int64_t int64(int i) const override { return sqlite3_column_int64(stmt_, i); }
  std::vector<unsigned char> blob(int i) const override {
    const auto* p = static_cast<const unsigned char*>(sqlite3_column_blob(stmt_, i));
    const int n = sqlite3_column_bytes(stmt_, i);
    return p ? std::vector<unsigned char>(p, p + n) : std::vector<unsigned char>();
  }

 private:
  void check(int rc) const {
    if (rc != SQLITE_OK) fail(db_, rc, "store");
  }
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

class SqliteDatabase final : public DatabaseBackend {
 public:
  explicit SqliteDatabase(sqlite3* db) : db_(db) {}
  SqliteDatabase(const SqliteDatabase&) = delete;
  SqliteDatabase& operator=(const SqliteDatabase&) = delete;
  ~SqliteDatabase() override { sqlite3_close_v2(db_); }

  BackendKind kind() const noexcept override { return BackendKind::sqlite; }
  void exec(const char* sql) override {
    char* err = nullptr;
    const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
    if (err) sqlite3_free(err);
    if (rc != SQLITE_OK) fail(db_, rc, "store");
  }
  std::unique_ptr<StatementBackend> prepare(std::string_view sql) override {
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
    if (rc != SQLITE_OK) fail(db_, rc, "store");
    return std::make_unique<SqliteStatement>(db_, stmt);
  }
  int changes() const override { return sqlite3_changes(db_); }
  void begin(TransactionKind kind) override {
    exec(kind == TransactionKind::immediate ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED");
  }
  void commit() override { exec("COMMIT"); }
  void rollback() noexcept override { sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr); }
  int schema_version() override { return static_cast<int>(pragma_int("user_version")); }
  void set_schema_version(int version) override {
    exec(("PRAGMA user_version = " + std::to_string(version)).c_str());
  }
  bool is_empty() override {
    auto s = prepare("SELECT count(*) FROM sqlite_master");
    s->step();
    return s->int64(0) == 0 && schema_version() == 0;
  }
  void use_write_ahead_log() override { exec("PRAGMA journal_mode = WAL"); }
  // Moves the old pages (old wrapped key, old sealed values, deleted rows) out of the -wal
  // file into the database, where secure_delete has overwritten them, and truncates the -wal
  // file. Best effort after a commit: another process's open read transaction can keep it
  // from completing, and the write itself has succeeded either way.
  void checkpoint() noexcept override {
    try {
      auto s = prepare("PRAGMA wal_checkpoint(TRUNCATE)");
      while (s->step()) {
      }
    } catch (const error&) {
    }
  }
  std::vector<std::string> quick_check() override {
    std::vector<std::string> out;
    auto s = prepare("PRAGMA quick_check");
    while (s->step())
      if (s->text(0) != "ok") out.push_back("SQLite integrity check: " + s->text(0));
    return out;
  }

 private:
  std::int64_t pragma_int(const char* name) {
    auto s = prepare(std::string("PRAGMA ") + name);
    if (!s->step()) return 0;
    return s->int64(0);
  }
  sqlite3* db_;
};

}  // namespace

std::unique_ptr<DatabaseBackend> open_sqlite(const std::filesystem::path& path, int busy_timeout_ms) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOFOLLOW |
                                     SQLITE_OPEN_FULLMUTEX,
                                 nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    throw error(errc::store_error, "cannot open the store " + path.string() + ": " + msg);
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, busy_timeout_ms);
  auto out = std::make_unique<SqliteDatabase>(db);
  out->exec("PRAGMA foreign_keys = ON");
  // Overwrite deleted content, so that old sealed values (e.g. under a rotated data key) do
  // not linger in free pages.
  out->exec("PRAGMA secure_delete = ON");
  return out;
}

}  // namespace harvest_connect::store::detail

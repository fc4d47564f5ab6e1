#include "store/detail/sqlite.hpp"

#include "harvest_connect/error.hpp"

namespace harvest_connect::store::detail {

Database::~Database() { close(); }

void Database::open(const std::filesystem::path& path, int busy_timeout_ms) {
  close();
  const int rc = sqlite3_open_v2(path.c_str(), &db_,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOFOLLOW |
                                     SQLITE_OPEN_FULLMUTEX,
                                 nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    close();
    throw error(errc::store_error, "cannot open the store " + path.string() + ": " + msg);
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, busy_timeout_ms);
}

void Database::close() noexcept {
  if (db_) {
    sqlite3_close_v2(db_);
    db_ = nullptr;
  }
}

void Database::fail(int rc, std::string_view what) const {
  std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
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

void Database::exec(const char* sql) {
  if (!db_) throw error(errc::store_error, "the store is closed");
  char* err = nullptr;
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  if (err) sqlite3_free(err);
  if (rc != SQLITE_OK) fail(rc, "store");
}

Statement Database::prepare(std::string_view sql) {
  if (!db_) throw error(errc::store_error, "the store is closed");
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) fail(rc, "store");
  return Statement(*this, stmt);
}

int Database::changes() const noexcept { return sqlite3_changes(db_); }

std::int64_t Database::pragma_int(const char* name) {
  Statement s = prepare(std::string("PRAGMA ") + name);
  if (!s.step()) return 0;
  return s.int64(0);
}

Statement::~Statement() {
  if (stmt_) sqlite3_finalize(stmt_);
}

Statement& Statement::bind(int i, std::string_view text) {
  const int rc = sqlite3_bind_text(stmt_, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) db_->fail(rc, "store");
  return *this;
}

Statement& Statement::bind(int i, const std::optional<std::string>& text) {
  return text ? bind(i, std::string_view(*text)) : bind_null(i);
}

Statement& Statement::bind(int i, std::int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_, i, value);
  if (rc != SQLITE_OK) db_->fail(rc, "store");
  return *this;
}

Statement& Statement::bind(int i, const std::optional<std::int64_t>& value) {
  return value ? bind(i, *value) : bind_null(i);
}

Statement& Statement::bind_blob(int i, std::span<const unsigned char> blob) {
  // An empty span's data() may be null, which sqlite3_bind_blob binds as NULL: an empty BLOB
  // must stay an empty BLOB (store::copy_store compares every value after copying it).
  const int rc = blob.empty() ? sqlite3_bind_zeroblob(stmt_, i, 0)
                              : sqlite3_bind_blob(stmt_, i, blob.data(), static_cast<int>(blob.size()), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) db_->fail(rc, "store");
  return *this;
}

Statement& Statement::bind_null(int i) {
  const int rc = sqlite3_bind_null(stmt_, i);
  if (rc != SQLITE_OK) db_->fail(rc, "store");
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  db_->fail(rc, "store");
}

void Statement::run() {
  while (step()) {
  }
}

bool Statement::is_null(int i) const { return sqlite3_column_type(stmt_, i) == SQLITE_NULL; }

int Statement::type(int i) const { return sqlite3_column_type(stmt_, i); }

std::string Statement::text(int i) const {
  const auto* p = sqlite3_column_text(stmt_, i);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, i)))
           : std::string();
}

std::optional<std::string> Statement::optional_text(int i) const {
  if (is_null(i)) return std::nullopt;
  return text(i);
}

std::int64_t Statement::int64(int i) const { return sqlite3_column_int64(stmt_, i); }

std::optional<std::int64_t> Statement::optional_int64(int i) const {
  if (is_null(i)) return std::nullopt;
  return int64(i);
}

std::vector<unsigned char> Statement::blob(int i) const {
  const auto* p = static_cast<const unsigned char*>(sqlite3_column_blob(stmt_, i));
  const int n = sqlite3_column_bytes(stmt_, i);
  return p ? std::vector<unsigned char>(p, p + n) : std::vector<unsigned char>();
}

Transaction::Transaction(Database& db, Kind kind) : db_(db) {
  db_.exec(kind == Kind::immediate ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED");
}

Transaction::~Transaction() {
  if (!done_ && db_.is_open()) sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
  db_.exec("COMMIT");
  done_ = true;
}

}  // namespace harvest_connect::store::detail

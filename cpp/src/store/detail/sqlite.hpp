#pragma once
// RAII over SQLite's C API: a connection, prepared statements, and transactions that roll
// back unless committed. Every failure throws harvest_connect::error(errc::store_error)
// with SQLite's message (which never holds our values: they are bound, not spliced).

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace harvest_connect::store::detail {

class Statement;

class Database {
 public:
  Database() = default;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  void open(const std::filesystem::path& path, int busy_timeout_ms);
  void close() noexcept;
  [[nodiscard]] bool is_open() const noexcept { return db_ != nullptr; }
  void exec(const char* sql);
  [[nodiscard]] Statement prepare(std::string_view sql);
  [[nodiscard]] int changes() const noexcept;
  [[nodiscard]] std::int64_t pragma_int(const char* name);
  [[noreturn]] void fail(int rc, std::string_view what) const;
  [[nodiscard]] sqlite3* handle() const noexcept { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

class Statement {
 public:
  Statement(Database& db, sqlite3_stmt* stmt) : db_(&db), stmt_(stmt) {}
  Statement(Statement&& o) noexcept : db_(o.db_), stmt_(o.stmt_) { o.stmt_ = nullptr; }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Binds are 1-based, as in SQLite.
  Statement& bind(int i, std::string_view text);
  Statement& bind(int i, const std::string& text) { return bind(i, std::string_view(text)); }
  Statement& bind(int i, const std::optional<std::string>& text);
  Statement& bind(int i, std::int64_t value);
  Statement& bind(int i, const std::optional<std::int64_t>& value);
  Statement& bind_blob(int i, std::span<const unsigned char> blob);
  Statement& bind_null(int i);

  // true while there is a row; false when done.
  bool step();
  // Runs a statement that returns no rows.
  void run();

  // Columns are 0-based, as in SQLite.
  [[nodiscard]] bool is_null(int i) const;
  // SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT, SQLITE_BLOB or SQLITE_NULL.
  [[nodiscard]] int type(int i) const;
  [[nodiscard]] std::string text(int i) const;
  [[nodiscard]] std::optional<std::string> optional_text(int i) const;
  [[nodiscard]] std::int64_t int64(int i) const;
  [[nodiscard]] std::optional<std::int64_t> optional_int64(int i) const;
  [[nodiscard]] std::vector<unsigned char> blob(int i) const;

 private:
  Database* db_;
  sqlite3_stmt* stmt_;
};

// BEGIN IMMEDIATE (writes: takes the write lock first, so two writers never deadlock on
// an upgrade) or BEGIN DEFERRED (consistent multi-statement reads). Rolls back in the
// destructor unless commit() ran.
class Transaction {
 public:
  enum class Kind { deferred, immediate };
  Transaction(Database& db, Kind kind);
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();
  void commit();

 private:
  Database& db_;
  bool done_ = false;
};

}  // namespace harvest_connect::store::detail

#pragma once
// The store's database, whichever backend holds it: SQLite (a local file, the embedded
// default) or PostgreSQL (a server several hosts share, through libpq loaded at run time).
// Store code writes portable SQL against this one API: `?` placeholders (1-based binds),
// 0-based columns, statements that roll back unless committed. Every failure throws
// harvest_connect::error (errc::store_error, or errc::network_error when a database server
// cannot be reached) with the backend's message, which never holds our values: they are
// bound, not spliced, and a database URL's password is never part of a message.
//
// Portable SQL, for both backends: INSERT ... RETURNING id for the new row's id, ON CONFLICT
// upserts, no PRAGMA (the methods below stand for the ones the store needs), integers and
// BLOBs bound as such (PostgreSQL columns are typed: BIGINT, TEXT, BYTEA).

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/detail/database_backend.hpp"

namespace harvest_connect::store::detail {

class Statement;

class Database {
 public:
  Database() = default;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  // A SQLite file (created when missing).
  void open(const std::filesystem::path& path, int busy_timeout_ms);
  // A PostgreSQL database: `url` is a postgresql:// or postgres:// URL handed to libpq as it
  // is (PGPASSFILE, ~/.pgpass and PGPASSWORD work as libpq defines).
  void open_url(const std::string& url, int busy_timeout_ms);
  void close() noexcept;
  [[nodiscard]] bool is_open() const noexcept { return backend_ != nullptr; }
  [[nodiscard]] BackendKind kind() const;
  // Runs one or more statements without parameters or results.
  void exec(const char* sql);
  [[nodiscard]] Statement prepare(std::string_view sql);
  // Rows changed by the last INSERT, UPDATE or DELETE.
  [[nodiscard]] int changes() const;

  // What the store needs beyond portable SQL (SQLite: PRAGMAs; PostgreSQL: a small table).
  [[nodiscard]] int schema_version();
  void set_schema_version(int version);
  // No table of a store (nor a schema version) exists yet.
  [[nodiscard]] bool is_empty();
  // SQLite: WAL journal. PostgreSQL: nothing (the server has its own log).
  void use_write_ahead_log();
  // SQLite: moves committed pages out of the -wal file (best effort). PostgreSQL: nothing.
  void checkpoint() noexcept;
  // The backend's own consistency check: one line per problem, empty when sound.
  [[nodiscard]] std::vector<std::string> quick_check();

  [[nodiscard]] DatabaseBackend& backend() const;

 private:
  std::unique_ptr<DatabaseBackend> backend_;
};

// The type codes type() returns: SQLite's own values, so that code written against SQLite
// keeps its meaning. A PostgreSQL column maps to the same codes (BIGINT/INTEGER/BOOLEAN →
// integer, TEXT → text, BYTEA → blob), so a row authenticates the same on both backends.
inline constexpr int column_integer = 1;
inline constexpr int column_float = 2;
inline constexpr int column_text = 3;
inline constexpr int column_blob = 4;
inline constexpr int column_null = 5;

class Statement {
 public:
  explicit Statement(std::unique_ptr<StatementBackend> impl) : impl_(std::move(impl)) {}
  Statement(Statement&&) noexcept = default;
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
  // column_integer, column_float, column_text, column_blob or column_null.
  [[nodiscard]] int type(int i) const;
  [[nodiscard]] std::string text(int i) const;
  [[nodiscard]] std::optional<std::string> optional_text(int i) const;
  [[nodiscard]] std::int64_t int64(int i) const;
  [[nodiscard]] std::optional<std::int64_t> optional_int64(int i) const;
  [[nodiscard]] std::vector<unsigned char> blob(int i) const;

 private:
  std::unique_ptr<StatementBackend> impl_;
};

// Runs an INSERT ... RETURNING id and returns the new row's id.
[[nodiscard]] std::int64_t insert_returning_id(Statement& insert);

// immediate: for writes. Takes the store's write lock first, so two writers never deadlock
// on an upgrade and each sees the other's committed rows (SQLite: BEGIN IMMEDIATE;
// PostgreSQL: BEGIN + a transaction-scoped advisory lock of the store, released by the
// server when the session ends, e.g. when the process is killed). deferred: consistent
// multi-statement reads (PostgreSQL: REPEATABLE READ). Rolls back in the destructor unless
// commit() ran.
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

#pragma once
// What a database backend implements for store/detail/database.hpp: a connection and its
// statements. SQLite: store/sqlite_database.cpp; PostgreSQL: store/postgres_database.cpp.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace harvest_connect::store::detail {

enum class BackendKind { sqlite, postgres };

class StatementBackend {
 public:
  virtual ~StatementBackend() = default;
  virtual void bind_text(int i, std::string_view text) = 0;
  virtual void bind_int64(int i, std::int64_t value) = 0;
  virtual void bind_blob(int i, std::span<const unsigned char> blob) = 0;
  virtual void bind_null(int i) = 0;
  virtual bool step() = 0;
  [[nodiscard]] virtual int type(int i) const = 0;
  [[nodiscard]] virtual std::string text(int i) const = 0;
  [[nodiscard]] virtual std::int64_t int64(int i) const = 0;
  [[nodiscard]] virtual std::vector<unsigned char> blob(int i) const = 0;
};

class DatabaseBackend {
 public:
  enum class TransactionKind { deferred, immediate };
  virtual ~DatabaseBackend() = default;
  [[nodiscard]] virtual BackendKind kind() const noexcept = 0;
  virtual void exec(const char* sql) = 0;
  [[nodiscard]] virtual std::unique_ptr<StatementBackend> prepare(std::string_view sql) = 0;
  [[nodiscard]] virtual int changes() const = 0;
  virtual void begin(TransactionKind kind) = 0;
  virtual void commit() = 0;
  virtual void rollback() noexcept = 0;
  [[nodiscard]] virtual int schema_version() = 0;
  virtual void set_schema_version(int version) = 0;
  [[nodiscard]] virtual bool is_empty() = 0;
  virtual void use_write_ahead_log() = 0;
  virtual void checkpoint() noexcept = 0;
  [[nodiscard]] virtual std::vector<std::string> quick_check() = 0;
};

}  // namespace harvest_connect::store::detail

#include "store/detail/database.hpp"

#include "harvest_connect/error.hpp"
#include "store/detail/postgres_database.hpp"
#include "store/detail/sqlite_database.hpp"

namespace harvest_connect::store::detail {

Database::~Database() { close(); }

void Database::open(const std::filesystem::path& path, int busy_timeout_ms) {
  close();
  backend_ = open_sqlite(path, busy_timeout_ms);
}

void Database::open_url(const std::string& url, int busy_timeout_ms) {
  close();
  backend_ = open_postgres(url, busy_timeout_ms);
}

void Database::close() noexcept { backend_.reset(); }

DatabaseBackend& Database::backend() const {
  if (!backend_) throw error(errc::store_error, "the store is closed; open it again with Store.open()");
  return *backend_;
}

BackendKind Database::kind() const { return backend().kind(); }
void Database::exec(const char* sql) { backend().exec(sql); }
Statement Database::prepare(std::string_view sql) { return Statement(backend().prepare(sql)); }
int Database::changes() const { return backend().changes(); }
int Database::schema_version() { return backend().schema_version(); }
void Database::set_schema_version(int version) { backend().set_schema_version(version); }
bool Database::is_empty() { return backend().is_empty(); }
void Database::use_write_ahead_log() { backend().use_write_ahead_log(); }
void Database::checkpoint() noexcept {
  if (backend_) backend_->checkpoint();
}
std::vector<std::string> Database::quick_check() { return backend().quick_check(); }

Statement::~Statement() = default;

Statement& Statement::bind(int i, std::string_view text) {
  impl_->bind_text(i, text);
  return *this;
}
Statement& Statement::bind(int i, const std::optional<std::string>& text) {
  return text ? bind(i, std::string_view(*text)) : bind_null(i);
}
Statement& Statement::bind(int i, std::int64_t value) {
  impl_->bind_int64(i, value);
  return *this;
}
Statement& Statement::bind(int i, const std::optional<std::int64_t>& value) {
  return value ? bind(i, *value) : bind_null(i);
}
Statement& Statement::bind_blob(int i, std::span<const unsigned char> blob) {
  impl_->bind_blob(i, blob);
  return *this;
}
Statement& Statement::bind_null(int i) {
  impl_->bind_null(i);
  return *this;
}

bool Statement::step() { return impl_->step(); }

void Statement::run() {
  while (step()) {
  }
}

bool Statement::is_null(int i) const { return impl_->type(i) == column_null; }
int Statement::type(int i) const { return impl_->type(i); }
std::string Statement::text(int i) const { return impl_->text(i); }
std::optional<std::string> Statement::optional_text(int i) const {
  if (is_null(i)) return std::nullopt;
  return text(i);
}
std::int64_t Statement::int64(int i) const { return impl_->int64(i); }
std::optional<std::int64_t> Statement::optional_int64(int i) const {
  if (is_null(i)) return std::nullopt;
  return int64(i);
}
std::vector<unsigned char> Statement::blob(int i) const { return impl_->blob(i); }

std::int64_t insert_returning_id(Statement& insert) {
  if (!insert.step()) throw error(errc::internal_error, "an INSERT ... RETURNING id returned no row");
  const std::int64_t id = insert.int64(0);
  insert.run();
  return id;
}

Transaction::Transaction(Database& db, Kind kind) : db_(db) {
  db_.backend().begin(kind == Kind::immediate ? DatabaseBackend::TransactionKind::immediate
                                              : DatabaseBackend::TransactionKind::deferred);
}

Transaction::~Transaction() {
  if (!done_ && db_.is_open()) db_.backend().rollback();
}

void Transaction::commit() {
  db_.backend().commit();
  done_ = true;
}

}  // namespace harvest_connect::store::detail

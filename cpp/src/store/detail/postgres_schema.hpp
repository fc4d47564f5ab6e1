#pragma once
// The store's schema on PostgreSQL. A new PostgreSQL store gets the latest schema at once
// (postgres_schema()[0] creates version postgres_base_version); each later step brings it
// one version further, like the SQLite migrations in store/detail/schema.hpp; steps past
// SQLite's latest version are not applied yet (a version is added to both). Tables and
// columns are SQLite's, with the same names in the same order (rows authenticate the same
// and `store copy` moves them as they are); only the types differ: BIGINT for INTEGER,
// BYTEA for BLOB, ids from an identity column.

#include <span>

namespace harvest_connect::store::detail {

struct PostgresStep {
  int version;      // the schema version after this step
  const char* sql;  // runs inside the caller's immediate transaction
};

[[nodiscard]] std::span<const PostgresStep> postgres_schema();

}  // namespace harvest_connect::store::detail

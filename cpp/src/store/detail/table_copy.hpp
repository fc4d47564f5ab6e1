#pragma once
// Copying one table of a store between two databases (any backends), row by row, as bytes:
// the columns of its TableLayout (store/detail/table_layout.hpp), links carried as the linked
// row's uid and re-made on the other side (row ids may differ), then the two tables compared.
// store::copy_store runs it for every table inside one transaction on the target.

#include <cstdint>
#include <set>
#include <string>

#include "store/detail/database.hpp"
#include "store/detail/table_layout.hpp"

namespace harvest_connect::store::detail {

// Copies the rows of `table` from `from` to `to` and returns how many it copied. Rows whose
// first column (meta's key) is in `kept` are neither copied nor compared: the target wrote
// them itself (a backend's own bookkeeping in meta). Afterwards both tables must hold the
// same rows (every value, every link's uid; as a multiset, so tables without a unique column
// compare too), else errc::internal_error naming the table: the caller's transaction on `to`
// then rolls back.
std::int64_t copy_table(Database& from, Database& to, const TableLayout& table, const std::set<std::string>& kept = {});

// The values of `table`'s first column in `db` (meta: its keys).
[[nodiscard]] std::set<std::string> first_column(Database& db, const TableLayout& table);

}  // namespace harvest_connect::store::detail

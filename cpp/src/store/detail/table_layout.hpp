#pragma once
// Every table of the store's schema, in the order their rows can be inserted (a row's links
// point to tables before it), with each column's kind and the table a link column points to.
// store::copy_store copies exactly these: a table added by a later schema must be listed here,
// and tests/cpp/test_store_copy.cpp (CopyLayout.*) fails until it is, naming the table or
// column that is missing.
//
// `id` is never listed: it is each database's own row number (SQLite's rowid, a PostgreSQL
// identity), so a copy lets the target number its rows and re-links them by uid.

#include <string_view>
#include <vector>

namespace harvest_connect::store::detail {

enum class ColumnKind {
  text,
  integer,
  blob,
  // The `id` of a row of `ColumnLayout::links_to`, carried across databases as that row's uid.
  link,
};

struct ColumnLayout {
  const char* name;
  ColumnKind kind;
  const char* links_to = nullptr;  // for ColumnKind::link: the table whose id it holds
};

struct TableLayout {
  const char* table;
  std::vector<ColumnLayout> columns;  // every column but `id`, in schema order
};

[[nodiscard]] const std::vector<TableLayout>& table_layouts();
[[nodiscard]] const TableLayout& table_layout(std::string_view table);

}  // namespace harvest_connect::store::detail

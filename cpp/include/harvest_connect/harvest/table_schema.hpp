#pragma once
// The columns of a table built from a Harvest list endpoint (docs/tables.md).
//
// Nested objects are flattened into dotted column names ("project.id", "project.name");
// arrays (invoice line_items, a user's roles) are kept as their JSON text. The main endpoints
// have declared schemas taken from Harvest's documented fields, so that a column's type never
// depends on the data a page happens to hold; every other path has its schema inferred from
// the records (TableBuilder).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace harvest_connect::harvest {

enum class ColumnType {
  null,          // inferred only: no value seen yet (exported as utf8, all null)
  int64,         // ids, counts; beyond 2^53 exact
  float64,       // hours and money: JSON integers and floats alike
  boolean,
  utf8,          // strings (a declared string column also takes a number or boolean's JSON text)
  date32,        // "2017-03-21" → days since 1970-01-01
  timestamp_us,  // "2017-06-27T15:50:15Z" → microseconds since the epoch, UTC
  json,          // arrays and objects kept whole: their JSON text, as utf8
};

// "int64", "float64", ...: for error messages and docs.
[[nodiscard]] std::string_view column_type_name(ColumnType type) noexcept;

struct ColumnSpec {
  std::string name;  // dotted: "project.id"
  ColumnType type = ColumnType::null;
};

// The column that keeps, as a JSON object keyed by dotted name, the fields of a record that a
// declared schema does not list (Harvest adds fields over time; none is dropped silently).
inline constexpr std::string_view extra_column = "_extra";

// The declared schema of a list endpoint, from its path relative to the API URL
// ("/time_entries", "/projects/1/user_assignments", "/reports/time/projects"), without the
// extra column; nullopt when the path has none (its schema is then inferred).
[[nodiscard]] std::optional<std::vector<ColumnSpec>> declared_schema(std::string_view relative_path);

}  // namespace harvest_connect::harvest

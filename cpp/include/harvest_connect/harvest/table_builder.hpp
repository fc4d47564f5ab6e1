#pragma once
// Builds columnar record batches, in the Arrow memory layout, straight from a list page's
// JSON (Boost.JSON), one batch per page (docs/tables.md).
//
// A declared schema (table_schema.hpp) fixes every column and type; a record's fields that
// the schema does not list go, as a JSON object keyed by dotted name, into the "_extra"
// column. Without a declared schema the columns are inferred: a field seen for the first time
// becomes a nullable column (earlier rows null), an int64 column that meets a float becomes
// float64, and conform() brings earlier batches to the final schema. A value that fits no
// widening (a string in a number column, an object where a number was) is an error.
//
// Errors are harvest_connect::error(errc::api_error) naming the page and the field; a batch
// is only returned whole.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "harvest_connect/harvest/table_schema.hpp"

namespace harvest_connect::harvest {

// One column's Arrow buffers; only those of its type are used. Every row has a validity bit
// (null_count == 0: the bitmap is not exported) and a value slot, zero for a null.
struct ColumnData {
  ColumnType type = ColumnType::null;
  std::int64_t length = 0;
  std::int64_t null_count = 0;
  std::vector<std::uint8_t> validity;  // one bit per row, least significant bit first
  std::vector<std::int64_t> i64;       // int64, timestamp_us
  std::vector<double> f64;             // float64
  std::vector<std::int32_t> i32;       // date32
  std::vector<std::uint8_t> bits;      // boolean, bit-packed
  std::vector<std::int32_t> offsets;   // utf8 and JSON text: length + 1 offsets into chars
  std::string chars;
};

struct RecordBatch {
  std::vector<ColumnSpec> schema;
  std::vector<ColumnData> columns;
  std::int64_t rows = 0;
};

struct TableOptions {
  // Columns to build, by dotted name; a name also selects the columns under it ("project"
  // selects project.id, project.name, ...). Empty: every column. With a declared schema a name
  // that matches nothing is errc::validation_failed; an inferred table gets an all-null column.
  std::vector<std::string> columns;
};

class TableBuilder {
 public:
  // `relative_path` as api_relative_path() gives it ("/time_entries"): picks the declared
  // schema. Throws errc::validation_failed for a column that a declared schema lacks.
  explicit TableBuilder(std::string_view relative_path, TableOptions options = {});
  ~TableBuilder();
  TableBuilder(TableBuilder&&) noexcept;
  TableBuilder& operator=(TableBuilder&&) noexcept;

  [[nodiscard]] bool declared() const noexcept;
  // The columns batches have: for a declared schema fixed from the start; inferred, the
  // columns seen so far (final after the last page).
  [[nodiscard]] std::vector<ColumnSpec> schema() const;

  // The records of one list page (`body`: the page's whole JSON; `resource`: its records
  // array's name; `page_number` from 1, for messages) as one batch.
  [[nodiscard]] RecordBatch build(std::string_view body, std::string_view resource, std::uint64_t page_number);

  // Inferred tables: brings a batch built earlier to the final schema (columns added later
  // become all-null, int64 columns widened to float64 become float64).
  void conform(RecordBatch& batch) const;

  struct State;

 private:
  std::unique_ptr<State> state_;
};

// Days since 1970-01-01 of "YYYY-MM-DD"; false when it is not a valid date.
[[nodiscard]] bool parse_date32(std::string_view text, std::int32_t& days) noexcept;
// Microseconds since the epoch (UTC) of an ISO 8601 date-time "YYYY-MM-DDTHH:MM:SS[.ffffff]"
// followed by Z or ±HH:MM; false when it is not one.
[[nodiscard]] bool parse_timestamp_us(std::string_view text, std::int64_t& micros) noexcept;

}  // namespace harvest_connect::harvest

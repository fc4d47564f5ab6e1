// Arrow tables from list pages (harvest/table_builder.hpp, arrow_stream.hpp): the first byte
// picks the endpoint (declared schemas with and without a column selection, and an inferred
// one), the rest is the page's body, built twice into the same builder (widening across
// pages). Failures are harvest_connect::error only; a batch that is built is whole: every
// column has `rows` values and validity bits, offsets that rise within the text, and it
// exports and releases through the Arrow C Data Interface.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "harvest_connect/error.hpp"
#include "harvest_connect/harvest/arrow_stream.hpp"
#include "harvest_connect/harvest/table_builder.hpp"

namespace hc = harvest_connect;
using hc::harvest::ColumnType;

namespace {

void check(const hc::harvest::RecordBatch& batch) {
  if (batch.schema.size() != batch.columns.size()) __builtin_trap();
  for (const auto& c : batch.columns) {
    const auto rows = static_cast<std::size_t>(batch.rows);
    if (c.length != batch.rows || c.validity.size() != (rows + 7) / 8) __builtin_trap();
    if (c.null_count < 0 || c.null_count > batch.rows) __builtin_trap();
    switch (c.type) {
      case ColumnType::int64:
      case ColumnType::timestamp_us:
        if (c.i64.size() != rows) __builtin_trap();
        break;
      case ColumnType::float64:
        if (c.f64.size() != rows) __builtin_trap();
        break;
      case ColumnType::date32:
        if (c.i32.size() != rows) __builtin_trap();
        break;
      case ColumnType::boolean:
        if (c.bits.size() != (rows + 7) / 8) __builtin_trap();
        break;
      case ColumnType::null:
      case ColumnType::utf8:
      case ColumnType::json:
        if (c.offsets.size() != rows + 1 || c.offsets.front() != 0) __builtin_trap();
        for (std::size_t i = 0; i < rows; ++i) {
          if (c.offsets[i] > c.offsets[i + 1]) __builtin_trap();
        }
        if (static_cast<std::size_t>(c.offsets.back()) != c.chars.size()) __builtin_trap();
        break;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static constexpr const char* paths[] = {"/time_entries", "/users", "/invoices", "/things", "/time_entries"};
  static constexpr const char* resources[] = {"time_entries", "users", "invoices", "things", "time_entries"};
  const std::size_t pick = data[0] % 5;
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  hc::harvest::TableOptions options;
  if (pick == 4) options.columns = {"id", "project", "_extra"};
  hc::harvest::TableBuilder builder(paths[pick], options);
  for (std::uint64_t page = 1; page <= 2; ++page) {
    try {
      hc::harvest::RecordBatch batch = builder.build(body, resources[pick], page);
      if (!builder.declared()) builder.conform(batch);
      check(batch);
      ArrowSchema schema{};
      hc::harvest::export_schema(batch.schema, &schema);
      schema.release(&schema);
      ArrowArray array{};
      hc::harvest::export_batch(std::move(batch), &array);
      array.release(&array);
    } catch (const hc::error&) {
    }
  }
  return 0;
}

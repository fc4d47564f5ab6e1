#pragma once
// Harvest list endpoints as Arrow tables, through the Arrow C Data and C Stream Interfaces
// (arrow_c_abi.hpp; no Arrow library needed): pyarrow, polars, DuckDB and Arrow C++ import
// the ArrowArrayStream without copying (docs/tables.md).
//
// A TableStream walks the endpoint with HarvestClient::paginate (pages prefetched) and turns
// each page into one record batch. With a declared schema batches are built as pages arrive,
// so memory stays at a few pages; an inferred schema must be final before the first batch is
// handed out (a stream's schema cannot change), so those tables read every page first and
// keep the built batches (not the pages' JSON).

#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harvest_connect/error.hpp"
#include "harvest_connect/harvest/arrow_c_abi.hpp"
#include "harvest_connect/harvest/client.hpp"
#include "harvest_connect/harvest/paginator.hpp"
#include "harvest_connect/harvest/table_builder.hpp"

namespace harvest_connect::harvest {

class TableStream {
 public:
  // Starts the walk and waits for the first page (all pages for an inferred schema), so that
  // a wrong path, a refused token or a bad column name is thrown here.
  TableStream(const HarvestClient& client, std::string_view path, const QueryParams& params,
              TableOptions options = {});
  ~TableStream();
  TableStream(const TableStream&) = delete;
  TableStream& operator=(const TableStream&) = delete;

  // The batches' columns (final from the start).
  [[nodiscard]] const std::vector<ColumnSpec>& schema() const noexcept { return schema_; }
  [[nodiscard]] bool declared() const noexcept { return builder_.declared(); }
  // The next page's batch; nullopt after the last. Errors of a page (network, API, a value the
  // schema cannot hold) are thrown here, and every later call throws the same error: a table
  // is never ended early as if it were complete.
  [[nodiscard]] std::optional<RecordBatch> next();
  [[nodiscard]] std::uint64_t pages_read() const noexcept { return pages_read_; }
  [[nodiscard]] std::uint64_t rows_read() const noexcept { return rows_read_; }
  [[nodiscard]] std::optional<std::int64_t> total_entries() const noexcept;

 private:
  [[nodiscard]] std::optional<RecordBatch> read_page();
  [[nodiscard]] std::shared_ptr<const PageData> fetch();
  // The builder's errors quote what the server wrote (field names): scrubbed of the
  // connection's secrets and control characters like every other server text.
  [[noreturn]] void rethrow_scrubbed(const error& e) const;

  HarvestClient client_;  // a handle on the client's shared state: for scrub()
  std::string path_;  // relative to the API URL, for messages
  TableBuilder builder_;
  Paginator pages_;
  std::vector<ColumnSpec> schema_;
  std::shared_ptr<const PageData> first_;
  std::deque<RecordBatch> buffered_;
  bool inferred_done_ = false;
  std::exception_ptr failed_;
  std::uint64_t pages_read_ = 0;
  std::uint64_t rows_read_ = 0;
};

// The Arrow schema of a table: a struct ("+s") with one nullable child per column.
void export_schema(const std::vector<ColumnSpec>& schema, ArrowSchema* out);
// A batch as a struct array (its buffers move into `out`, freed by out->release).
void export_batch(RecordBatch batch, ArrowArray* out);

struct StreamHooks {
  // Runs each blocking step (fetching and building a page, releasing the stream); the Python
  // binding releases the GIL here.
  std::function<void(const std::function<void()>&)> run_blocking;
  // Told about the error behind a failed get_next (get_last_error has its text).
  std::function<void(std::exception_ptr)> on_error;
};

// Moves `stream` into an ArrowArrayStream; out->release frees it.
void export_stream(std::unique_ptr<TableStream> stream, ArrowArrayStream* out, StreamHooks hooks = {});

}  // namespace harvest_connect::harvest

// The Arrow C Stream Interface over a TableStream: one exported batch per page
// (arrow_export.cpp exports each batch and the schema), and TableStream itself, which builds
// the batches from the pages the paginator fetches.
#include "harvest_connect/harvest/arrow_stream.hpp"

#include <cerrno>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <utility>

#include "harvest_connect/error.hpp"
#include "harvest_connect/harvest/api_path.hpp"

namespace harvest_connect::harvest {

namespace {

// --- the stream ---

struct StreamPrivate {
  std::unique_ptr<TableStream> stream;
  StreamHooks hooks;
  std::string last_error;
  bool failed = false;

  void run(const std::function<void()>& work) {
    if (hooks.run_blocking) {
      hooks.run_blocking(work);
    } else {
      work();
    }
  }
};

int stream_get_schema(ArrowArrayStream* s, ArrowSchema* out) {
  auto* p = static_cast<StreamPrivate*>(s->private_data);
  try {
    export_schema(p->stream->schema(), out);
    return 0;
  } catch (const std::exception& e) {
    p->last_error = e.what();
    return ENOMEM;
  }
}

int stream_get_next(ArrowArrayStream* s, ArrowArray* out) {
  auto* p = static_cast<StreamPrivate*>(s->private_data);
  std::exception_ptr failure;
  std::optional<RecordBatch> batch;
  p->run([&] {
    try {
      batch = p->stream->next();
    } catch (...) {
      failure = std::current_exception();
    }
  });
  if (failure) {
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& e) {
      p->last_error = e.what();
    } catch (...) {
      p->last_error = "unknown error";
    }
    if (p->hooks.on_error) p->hooks.on_error(failure);
    return EIO;
  }
  if (!batch) {
    out->release = nullptr;  // the end of the stream
    return 0;
  }
  export_batch(std::move(*batch), out);
  return 0;
}

const char* stream_last_error(ArrowArrayStream* s) {
  auto* p = static_cast<StreamPrivate*>(s->private_data);
  return p->last_error.empty() ? nullptr : p->last_error.c_str();
}

void stream_release(ArrowArrayStream* s) {
  if (s == nullptr || s->release == nullptr) return;
  auto* p = static_cast<StreamPrivate*>(s->private_data);
  // Dropping the walk waits for a page still being fetched: a blocking step.
  std::unique_ptr<TableStream> stream = std::move(p->stream);
  p->run([&] { stream.reset(); });
  delete p;
  s->release = nullptr;
}

std::string relative_path_of(const HarvestClient& client, std::string_view path, const QueryParams& params) {
  return api_relative_path(client.api_url(), resolve_api_url(client.api_url(), path, params));
}

}  // namespace

void export_stream(std::unique_ptr<TableStream> stream, ArrowArrayStream* out, StreamHooks hooks) {
  auto p = std::make_unique<StreamPrivate>();
  p->stream = std::move(stream);
  p->hooks = std::move(hooks);
  out->get_schema = &stream_get_schema;
  out->get_next = &stream_get_next;
  out->get_last_error = &stream_last_error;
  out->release = &stream_release;
  out->private_data = p.release();
}

// --- TableStream ---

TableStream::TableStream(const HarvestClient& client, std::string_view path, const QueryParams& params,
                         TableOptions options)
    : client_(client),
      path_(relative_path_of(client, path, params)),
      builder_(path_, std::move(options)),
      // Every page is parsed whole by the builder, so the paginator only reads its outline.
      pages_(client.paginate(path, params, PageValidation::left_to_caller)) {
  if (builder_.declared()) {
    schema_ = builder_.schema();
    first_ = fetch();  // errors of the first answer (404, 401, ...) surface here
    return;
  }
  while (auto batch = read_page()) buffered_.push_back(std::move(*batch));
  schema_ = builder_.schema();
  try {
    for (auto& batch : buffered_) builder_.conform(batch);
  } catch (const error& e) {
    rethrow_scrubbed(e);
  }
  inferred_done_ = true;
}

TableStream::~TableStream() = default;

std::optional<std::int64_t> TableStream::total_entries() const noexcept { return pages_.total_entries(); }

std::shared_ptr<const PageData> TableStream::fetch() {
  try {
    return pages_.next();
  } catch (const error& e) {
    // The same error, told which table and page it stopped.
    throw error(e.kind(), "the table of " + path_ + ": page " + std::to_string(pages_read_ + 1) + ": " + e.what(),
                e.http_status(), e.body(), e.server_error(), e.retry_after());
  }
}

void TableStream::rethrow_scrubbed(const error& e) const {
  throw error(e.kind(), client_.scrub(e.what()), e.http_status(), client_.scrub(e.body()), e.server_error(),
              e.retry_after());
}

std::optional<RecordBatch> TableStream::read_page() {
  std::shared_ptr<const PageData> page = std::move(first_);
  first_.reset();
  if (!page) page = fetch();
  if (!page) return std::nullopt;
  ++pages_read_;
  RecordBatch batch;
  try {
    batch = builder_.build(page->body, page->page.resource, pages_read_);
  } catch (const error& e) {
    rethrow_scrubbed(e);
  }
  rows_read_ += static_cast<std::uint64_t>(batch.rows);
  return batch;
}

std::optional<RecordBatch> TableStream::next() {
  if (failed_) std::rethrow_exception(failed_);
  try {
    if (inferred_done_) {
      if (buffered_.empty()) return std::nullopt;
      RecordBatch batch = std::move(buffered_.front());
      buffered_.pop_front();
      return batch;
    }
    return read_page();
  } catch (...) {
    failed_ = std::current_exception();
    throw;
  }
}

}  // namespace harvest_connect::harvest

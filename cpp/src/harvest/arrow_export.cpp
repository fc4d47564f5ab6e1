// The Arrow C Data Interface export of a record batch and its schema. Each exported ArrowArray
// and ArrowSchema owns its memory through private_data; release callbacks free it and mark the
// struct released (release = nullptr), as the specification requires. A consumer may move
// children out of a parent, so a parent's release only releases the children that still have
// a release callback. (The C Stream Interface over pages is arrow_stream.cpp.)
#include "harvest_connect/harvest/arrow_stream.hpp"

#include <cstdint>
#include <memory>
#include <utility>

namespace harvest_connect::harvest {

namespace {

// A non-null address for buffers of no bytes (some consumers reject null data buffers).
alignas(64) const std::uint8_t empty_buffer[64] = {};

const void* address(const void* data, std::size_t bytes) { return bytes == 0 || data == nullptr ? empty_buffer : data; }

const char* format_of(ColumnType type) {
  switch (type) {
    case ColumnType::int64: return "l";
    case ColumnType::float64: return "g";
    case ColumnType::boolean: return "b";
    case ColumnType::date32: return "tdD";
    case ColumnType::timestamp_us: return "tsu:UTC";
    case ColumnType::null:  // all-null: a string column, which every consumer takes
    case ColumnType::utf8:
    case ColumnType::json: return "u";
  }
  return "u";
}

// --- schemas ---

struct SchemaPrivate {
  std::string format;
  std::string name;
  std::vector<ArrowSchema> children;
  std::vector<ArrowSchema*> child_pointers;
};

void release_schema(ArrowSchema* schema) {
  if (schema == nullptr || schema->release == nullptr) return;
  for (std::int64_t i = 0; i < schema->n_children; ++i) {
    ArrowSchema* child = schema->children[i];
    if (child != nullptr && child->release != nullptr) child->release(child);
  }
  delete static_cast<SchemaPrivate*>(schema->private_data);
  schema->release = nullptr;
}

void fill_schema(ArrowSchema* out, SchemaPrivate* p, std::int64_t flags) {
  out->format = p->format.c_str();
  out->name = p->name.c_str();
  out->metadata = nullptr;
  out->flags = flags;
  out->n_children = static_cast<std::int64_t>(p->children.size());
  out->children = p->child_pointers.empty() ? nullptr : p->child_pointers.data();
  out->dictionary = nullptr;
  out->release = &release_schema;
  out->private_data = p;
}

// --- arrays ---

struct ArrayPrivate {
  ColumnData column;  // a column's buffers (children)
  std::vector<const void*> buffers;
  std::vector<ArrowArray> children;
  std::vector<ArrowArray*> child_pointers;
};

void release_array(ArrowArray* array) {
  if (array == nullptr || array->release == nullptr) return;
  for (std::int64_t i = 0; i < array->n_children; ++i) {
    ArrowArray* child = array->children[i];
    if (child != nullptr && child->release != nullptr) child->release(child);
  }
  delete static_cast<ArrayPrivate*>(array->private_data);
  array->release = nullptr;
}

void fill_array(ArrowArray* out, ArrayPrivate* p, std::int64_t length, std::int64_t null_count) {
  out->length = length;
  out->null_count = null_count;
  out->offset = 0;
  out->n_buffers = static_cast<std::int64_t>(p->buffers.size());
  out->n_children = static_cast<std::int64_t>(p->children.size());
  out->buffers = p->buffers.data();
  out->children = p->child_pointers.empty() ? nullptr : p->child_pointers.data();
  out->dictionary = nullptr;
  out->release = &release_array;
  out->private_data = p;
}

void export_column(ColumnData column, ArrowArray* out) {
  auto p = std::make_unique<ArrayPrivate>();
  p->column = std::move(column);
  const ColumnData& c = p->column;
  const void* validity = c.null_count == 0 ? nullptr : address(c.validity.data(), c.validity.size());
  p->buffers.push_back(validity);
  switch (c.type) {
    case ColumnType::int64:
    case ColumnType::timestamp_us: p->buffers.push_back(address(c.i64.data(), c.i64.size() * 8)); break;
    case ColumnType::float64: p->buffers.push_back(address(c.f64.data(), c.f64.size() * 8)); break;
    case ColumnType::date32: p->buffers.push_back(address(c.i32.data(), c.i32.size() * 4)); break;
    case ColumnType::boolean: p->buffers.push_back(address(c.bits.data(), c.bits.size())); break;
    case ColumnType::null:
    case ColumnType::utf8:
    case ColumnType::json:
      p->buffers.push_back(address(c.offsets.data(), c.offsets.size() * 4));
      p->buffers.push_back(address(c.chars.data(), c.chars.size()));
      break;
  }
  const std::int64_t length = c.length;
  const std::int64_t nulls = c.null_count;
  fill_array(out, p.release(), length, nulls);
}

}  // namespace

void export_schema(const std::vector<ColumnSpec>& schema, ArrowSchema* out) {
  auto p = std::make_unique<SchemaPrivate>();
  p->format = "+s";
  p->children.resize(schema.size());
  p->child_pointers.resize(schema.size());
  for (std::size_t i = 0; i < schema.size(); ++i) {
    auto child = std::make_unique<SchemaPrivate>();
    child->format = format_of(schema[i].type);
    child->name = schema[i].name;
    fill_schema(&p->children[i], child.release(), ARROW_FLAG_NULLABLE);
    p->child_pointers[i] = &p->children[i];
  }
  fill_schema(out, p.release(), 0);
}

void export_batch(RecordBatch batch, ArrowArray* out) {
  auto p = std::make_unique<ArrayPrivate>();
  p->buffers.push_back(nullptr);  // a struct's validity: every row is present
  p->children.resize(batch.columns.size());
  p->child_pointers.resize(batch.columns.size());
  for (std::size_t i = 0; i < batch.columns.size(); ++i) {
    export_column(std::move(batch.columns[i]), &p->children[i]);
    p->child_pointers[i] = &p->children[i];
  }
  fill_array(out, p.release(), batch.rows, 0);
}

}  // namespace harvest_connect::harvest

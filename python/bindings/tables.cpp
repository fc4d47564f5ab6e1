// Bindings of harvest/arrow_stream.hpp: a list endpoint as an object implementing the Arrow
// PyCapsule interface (__arrow_c_stream__), which pyarrow, polars and DuckDB read without
// copying. Fetching and building pages runs without the GIL.
#include <pybind11/stl.h>

#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "harvest_connect/error.hpp"
#include "harvest_connect/harvest/arrow_stream.hpp"
#include "harvest_connect/harvest/client.hpp"
#include "register.hpp"

namespace harvest_connect::python {

namespace {

// Runs `work` without the GIL when the calling thread holds it (pyarrow calls get_next with
// or without it, depending on the reader).
void without_gil(const std::function<void()>& work) {
  if (Py_IsInitialized() != 0 && PyGILState_Check() != 0) {
    py::gil_scoped_release release;
    work();
  } else {
    work();
  }
}

struct TableSource {
  harvest::HarvestClient client;
  std::string path;
  harvest::QueryParams params;
  harvest::TableOptions options;
  // The walk started by api.arrow(); each later __arrow_c_stream__ reads the endpoint again.
  std::unique_ptr<harvest::TableStream> started;
  std::vector<harvest::ColumnSpec> schema;
  bool declared = false;
  // The error behind the last failed get_next of a stream exported from here.
  std::shared_ptr<std::pair<std::mutex, std::exception_ptr>> failure =
      std::make_shared<std::pair<std::mutex, std::exception_ptr>>();
  // Dropping a walk waits for a page still in flight: without the GIL.
  ~TableSource() {
    if (started) without_gil([this] { started.reset(); });
  }
};

void free_stream_capsule(PyObject* capsule) {
  auto* stream = static_cast<ArrowArrayStream*>(PyCapsule_GetPointer(capsule, "arrow_array_stream"));
  if (stream == nullptr) {
    PyErr_Clear();  // a capsule renamed by its consumer ("used_arrow_array_stream"): not ours any more
    return;
  }
  if (stream->release != nullptr) stream->release(stream);
  delete stream;
}

void free_schema_capsule(PyObject* capsule) {
  auto* schema = static_cast<ArrowSchema*>(PyCapsule_GetPointer(capsule, "arrow_schema"));
  if (schema == nullptr) {
    PyErr_Clear();
    return;
  }
  if (schema->release != nullptr) schema->release(schema);
  delete schema;
}

py::object stream_capsule(TableSource& s) {
  std::unique_ptr<harvest::TableStream> stream = std::move(s.started);
  if (!stream) {
    py::gil_scoped_release release;
    stream = std::make_unique<harvest::TableStream>(s.client, s.path, s.params, s.options);
  }
  auto out = std::make_unique<ArrowArrayStream>();
  harvest::StreamHooks hooks;
  hooks.run_blocking = &without_gil;
  hooks.on_error = [failure = s.failure](std::exception_ptr e) {
    std::lock_guard lock(failure->first);
    failure->second = std::move(e);
  };
  harvest::export_stream(std::move(stream), out.get(), std::move(hooks));
  PyObject* capsule = PyCapsule_New(out.get(), "arrow_array_stream", &free_stream_capsule);
  if (capsule == nullptr) {
    out->release(out.get());
    throw py::error_already_set();
  }
  out.release();
  return py::reinterpret_steal<py::object>(capsule);
}

}  // namespace

void register_tables(py::module_& m) {
  py::class_<TableSource>(m, "_ArrowStream",
                          "A list endpoint as Arrow record batches, one per page (use HarvestClient.arrow()).")
      .def_property_readonly(
          "column_names",
          [](const TableSource& s) {
            std::vector<std::string> out;
            for (const auto& c : s.schema) out.push_back(c.name);
            return out;
          },
          "The table's column names (dotted for nested objects).")
      .def_property_readonly(
          "column_types",
          [](const TableSource& s) {
            std::vector<std::string> out;
            for (const auto& c : s.schema) out.emplace_back(harvest::column_type_name(c.type));
            return out;
          },
          "Each column's type as the engine builds it: int64, float64, boolean, string, date, timestamp, "
          "JSON text, null.")
      .def_property_readonly(
          "declared", [](const TableSource& s) { return s.declared; },
          "True when the endpoint has a declared schema; False when the schema was inferred from its records.")
      .def_readonly("path", &TableSource::path, "The endpoint's path.")
      .def(
          "__arrow_c_stream__",
          [](TableSource& s, const py::object& requested_schema) {
            (void)requested_schema;  // the PyCapsule interface lets a producer keep its own schema
            return stream_capsule(s);
          },
          py::arg("requested_schema") = py::none(),
          "The Arrow PyCapsule stream interface: a capsule named 'arrow_array_stream'. The first call streams the "
          "pages api.arrow() started reading; each later call reads the endpoint again.")
      .def(
          "__arrow_c_schema__",
          [](TableSource& s) {
            auto out = std::make_unique<ArrowSchema>();
            harvest::export_schema(s.schema, out.get());
            PyObject* capsule = PyCapsule_New(out.get(), "arrow_schema", &free_schema_capsule);
            if (capsule == nullptr) {
              out->release(out.get());
              throw py::error_already_set();
            }
            out.release();
            return py::reinterpret_steal<py::object>(capsule);
          },
          "The Arrow PyCapsule schema interface: a capsule named 'arrow_schema'.")
      .def(
          "_raise_failure",
          [](TableSource& s) {
            std::exception_ptr e;
            {
              std::lock_guard lock(s.failure->first);
              e = std::exchange(s.failure->second, nullptr);
            }
            if (e) std::rethrow_exception(e);
          },
          "Raises the engine's error behind a stream that failed (ApiError, NetworkError, ...), if any.")
      .def("__repr__", [](const TableSource& s) {
        return "_ArrowStream(path=" + py::repr(py::str(s.path)).cast<std::string>() +
               ", columns=" + std::to_string(s.schema.size()) + ")";
      });

  auto client = py::reinterpret_borrow<py::class_<harvest::HarvestClient>>(m.attr("_HarvestClient"));
  client.def(
      "arrow",
      [](const harvest::HarvestClient& c, const std::string& path, const harvest::QueryParams& params,
         const std::optional<std::vector<std::string>>& columns) {
        // Aggregate-initialised in place: a TableSource is neither copied nor moved.
        std::unique_ptr<TableSource> source(new TableSource{c, path, params, {}, nullptr, {}, false});
        if (columns) source->options.columns = *columns;
        {
          py::gil_scoped_release release;
          source->started = std::make_unique<harvest::TableStream>(c, path, params, source->options);
        }
        source->schema = source->started->schema();
        source->declared = source->started->declared();
        return source;
      },
      py::arg("path"), py::arg("params") = harvest::QueryParams{}, py::arg("columns") = py::none(),
      "A list endpoint as an Arrow stream (the first page, or every page of an inferred schema, read now).");
}

}  // namespace harvest_connect::python

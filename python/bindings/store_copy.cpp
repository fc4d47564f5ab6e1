// Binding of store::copy_store: copy_store(from_, to, *, key, passphrase, key_file) and the
// CopyReport it returns. The same key options open both sides; no secret goes in or out
// (sealed values are moved as bytes and never decrypted).
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <filesystem>
#include <optional>
#include <string>

#include "harvest_connect/crypto/master_key.hpp"
#include "harvest_connect/store/copy.hpp"
#include "register.hpp"

namespace harvest_connect::python {

void register_store_copy(py::module_& m) {
  py::class_<store::CopyReport>(m, "CopyReport", "What copy_store() copied: both locations, the store and key ids, "
                                                 "and the rows of every table.")
      .def_readonly("source", &store::CopyReport::from, "Where the store was copied from (never a password).")
      .def_readonly("target", &store::CopyReport::to, "Where the copy is (never a password).")
      .def_readonly("store_id", &store::CopyReport::store_id, "The store's id, the same on both sides.")
      .def_readonly("key_id", &store::CopyReport::key_id, "The master key's id (not secret).")
      .def_readonly("schema_version", &store::CopyReport::schema_version, "The schema version of both sides.")
      .def_property_readonly(
          "tables",
          [](const store::CopyReport& r) {
            std::vector<std::pair<std::string, std::int64_t>> out;
            for (const auto& t : r.tables) out.emplace_back(t.table, t.rows);
            return out;
          },
          "[(table, rows copied)] for every table of the schema, in copy order.")
      .def("__repr__", [](const store::CopyReport& r) {
        return "CopyReport(store_id='" + r.store_id + "', tables=" + std::to_string(r.tables.size()) + ")";
      });

  m.def(
      "copy_store",
      [](const std::filesystem::path& from, const std::filesystem::path& to, std::optional<crypto::MasterKey> key,
         std::optional<std::string> passphrase, std::optional<std::filesystem::path> key_file) {
        store::OpenOptions src;
        src.path = from;
        src.key = std::move(key);
        if (passphrase) src.passphrase = crypto::Secret::from_string(*passphrase);
        src.key_file = std::move(key_file);
        store::OpenOptions dst = src;
        dst.path = to;
        py::gil_scoped_release release;
        return store::copy_store(src, dst);
      },
      py::arg("from_"), py::arg("to"), py::kw_only(), py::arg("key") = py::none(), py::arg("passphrase") = py::none(),
      py::arg("key_file") = py::none(),
      "Copy the store at from_ to to (new or empty), under the same key and store id, and verify the copy. Key "
      "sources as Store.open(). Raises KeyMismatchError for a wrong key, DecryptionError when the source does not "
      "verify, ValidationError when the target is not empty or the source holds no store; then nothing was written.");
}

}  // namespace harvest_connect::python

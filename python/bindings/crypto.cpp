// Bindings of the secret core: master keys. Key material crosses into Python only through
// Key.to_base64(), which a user calls on purpose to back the key up.
#include "harvest_connect/error.hpp"
#include "harvest_connect/crypto/key_file.hpp"
#include "harvest_connect/crypto/master_key.hpp"
#include <pybind11/stl.h>

#include "register.hpp"

namespace harvest_connect::python {

void register_crypto(py::module_& m) {
  using crypto::MasterKey;
  py::class_<MasterKey> key(m, "Key", "A 256-bit master key. Its repr shows the key id only.");
  key.def_static("generate", &MasterKey::generate, "A new random key from OpenSSL's CSPRNG.")
      .def_static("from_base64", &MasterKey::from_base64, py::arg("text"),
                  "The key from its base64 form (44 characters, as to_base64() gives).")
      .def(
          "to_base64", [](const MasterKey& k) { return std::string(k.to_base64().reveal_string()); },
          "The key in base64. Keep it as secret as the key itself.")
      .def_property_readonly("id", &MasterKey::id, "Eight hex digits naming the key; not secret.")
      .def("__repr__", [](const MasterKey& k) { return "Key(id='" + k.id() + "')"; })
      .def("__eq__", [](const MasterKey& a, const MasterKey& b) { return a.bytes() == b.bytes(); }, py::arg("other"), py::is_operator())
      .def("__hash__", [](const MasterKey& k) { return py::hash(py::str(k.id())); })
      .def("__getstate__", [](const MasterKey&) -> py::object {
        throw error(errc::validation_failed, "a Key cannot be pickled; use to_base64() to back it up on purpose");
      });
  m.def("_load_key_file", [](const std::string& path) { return crypto::load_key_file(path); }, py::arg("path"),
        "Load a key file (refused when group or others can read it).");
  m.def("_write_key_file", [](const std::string& path, const MasterKey& k) { crypto::write_key_file(path, k); },
        py::arg("path"), py::arg("key"), "Write a new key file, 0600.");
  m.def("_key_from_environment", &crypto::key_from_environment,
        "The key from HARVEST_CONNECT_KEY or HARVEST_CONNECT_KEY_FILE, or None.");
}

}  // namespace harvest_connect::python

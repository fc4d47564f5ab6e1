// The one place where C++ errors become Python exceptions. harvest_connect::error carries
// an errc; harvest_connect.errors maps its name to the Python class, so the hierarchy is
// defined once, in Python, and every binding file gets it for free.
#include <exception>
#include <new>

#include "harvest_connect/error.hpp"
#include "register.hpp"

namespace harvest_connect::python {

namespace {

[[noreturn]] void raise_python(const char* kind, const std::string& message, int status = 0,
                               const std::string& body = {}, const std::string& server_error = {},
                               std::optional<double> retry_after = std::nullopt) {
  py::object make = py::module_::import("harvest_connect.errors").attr("_from_core");
  py::object exc = make(kind, message, status, body, server_error,
                        retry_after ? py::object(py::float_(*retry_after)) : py::object(py::none()));
  PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(exc.ptr())), exc.ptr());
  throw py::error_already_set();
}

}  // namespace

void register_errors(py::module_& m) {
  py::register_exception_translator([](std::exception_ptr p) {
    if (!p) return;
    try {
      std::rethrow_exception(p);
    } catch (const error& e) {
      try {
        raise_python(errc_name(e.kind()), e.what(), e.http_status(), e.body(), e.server_error(), e.retry_after());
      } catch (py::error_already_set& err) {
        err.restore();
      }
    } catch (const py::error_already_set&) {
      throw;
    } catch (const py::builtin_exception&) {
      throw;
    } catch (const std::bad_alloc&) {
      throw;
    } catch (const std::exception& e) {
      // Anything else is our bug: still a HarvestConnectError, never a bare RuntimeError.
      try {
        raise_python("internal_error", std::string("internal error: ") + e.what());
      } catch (py::error_already_set& err) {
        err.restore();
      }
    }
  });
  m.def(
      "_raise_for_test",
      [](const std::string& kind, const std::string& message, int status) {
        for (int v = 1; v <= static_cast<int>(errc::internal_error); ++v)
          if (kind == errc_name(static_cast<errc>(v))) throw error(static_cast<errc>(v), message, status);
        throw std::runtime_error("unexpected failure");
      },
      py::arg("kind"), py::arg("message"), py::arg("status") = 0,
      "Raise the C++ error of that kind (tests use it to check the translation).");
}

}  // namespace harvest_connect::python

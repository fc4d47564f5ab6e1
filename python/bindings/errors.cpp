// The one place where C++ errors become Python exceptions. harvest_connect::error carries
// an errc; harvest_connect.errors maps its name to the Python class, so the hierarchy is
// defined once, in Python, and every binding file gets it for free. _core never imports the
// Python package (layers point down): errors.py hands its factory over at import time
// through _set_error_factory().
#include <exception>
#include <new>

#include "harvest_connect/error.hpp"
#include "register.hpp"

namespace harvest_connect::python {

namespace {

// The factory errors.py registered. A strong reference that is never released: exceptions
// can be translated until the interpreter is gone, and a destructor at exit would run
// without the GIL.
PyObject* error_factory = nullptr;

[[noreturn]] void raise_python(const char* kind, const std::string& message, int status = 0,
                               const std::string& body = {}, const std::string& server_error = {},
                               std::optional<double> retry_after = std::nullopt) {
  if (error_factory == nullptr) {
    // Only reachable when _core is used without the package (it is private).
    PyErr_SetString(PyExc_ImportError,
                    ("harvest_connect._core was used without harvest_connect: import harvest_connect first (" +
                     std::string(kind) + ")")
                        .c_str());
    throw py::error_already_set();
  }
  py::object make = py::reinterpret_borrow<py::object>(error_factory);
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
      "_set_error_factory",
      [](py::function factory) {
        Py_XDECREF(error_factory);
        error_factory = factory.release().ptr();
      },
      py::arg("factory"),
      "Register harvest_connect.errors._from_core(kind, message, status, body, server_error, retry_after), "
      "which builds the Python exception of a C++ error (errors.py calls it at import).");
  m.def(
      "_raise_for_test",
      [](const std::string& kind, const std::string& message, int status) {
        for (int v = 1; v <= static_cast<int>(errc::authorization_required); ++v)
          if (kind == errc_name(static_cast<errc>(v))) throw error(static_cast<errc>(v), message, status);
        throw std::runtime_error("unexpected failure");
      },
      py::arg("kind"), py::arg("message"), py::arg("status") = 0,
      "Raise the C++ error of that kind (tests use it to check the translation).");
}

}  // namespace harvest_connect::python

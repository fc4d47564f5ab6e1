// The private native module harvest_connect._core. Pythonic behaviour lives in the .py
// files of the package; this module only exposes the engine.
#include "harvest_connect/version.hpp"
#include "register.hpp"

PYBIND11_MODULE(_core, m) {
  m.doc() = "harvest_connect's C++ engine (private: import harvest_connect instead)";
  m.attr("__version__") = harvest_connect::version;
  harvest_connect::python::register_errors(m);
  harvest_connect::python::register_crypto(m);
  harvest_connect::python::register_store(m);
  harvest_connect::python::register_store_copy(m);
  harvest_connect::python::register_pull(m);
  harvest_connect::python::register_oauth(m);
  harvest_connect::python::register_testing(m);
  harvest_connect::python::register_harvest(m);
  harvest_connect::python::register_tables(m);
}

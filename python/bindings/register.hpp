#pragma once
// One register_<area>() per binding file; module.cpp calls them in layer order.
#include <pybind11/pybind11.h>

namespace harvest_connect::python {

namespace py = pybind11;

// _core.DEFAULTS[area]: the defaults of an area's Python calls, read from the C++ option
// structs at import, so that harvest_connect's wrappers restate none of them.
inline py::dict defaults_of(py::module_& m, const char* area) {
  if (!py::hasattr(m, "DEFAULTS")) m.attr("DEFAULTS") = py::dict();
  py::dict all = m.attr("DEFAULTS");
  if (!all.contains(area)) all[area] = py::dict();
  return all[area];
}

void register_errors(py::module_& m);
void register_crypto(py::module_& m);
void register_store(py::module_& m);
void register_store_copy(py::module_& m);
void register_pull(py::module_& m);  // after register_store: adds the pull-state methods to Store
// After register_store: adds the authorization methods to Connection.
void register_oauth(py::module_& m);
void register_testing(py::module_& m);
void register_harvest(py::module_& m);
// After register_harvest: adds arrow() to _HarvestClient.
void register_tables(py::module_& m);

}  // namespace harvest_connect::python

#pragma once
// One register_<area>() per binding file; module.cpp calls them in layer order.
#include <pybind11/pybind11.h>

namespace harvest_connect::python {

namespace py = pybind11;

void register_errors(py::module_& m);
void register_crypto(py::module_& m);
void register_store(py::module_& m);
// After register_store: adds the authorization methods to Connection.
void register_oauth(py::module_& m);
void register_testing(py::module_& m);
void register_harvest(py::module_& m);
// After register_harvest: adds arrow() to _HarvestClient.
void register_tables(py::module_& m);

}  // namespace harvest_connect::python

// Bindings of the incremental pulls' stored states (store/pull_state.hpp): PullState and the
// Store methods that read, save and delete them. The pulls themselves are Python
// (harvest_connect/pull.py): they page through HarvestClient.paginate and commit here.
#include <pybind11/stl.h>

#include "harvest_connect/store/pull_state.hpp"
#include "harvest_connect/store/store.hpp"
#include "register.hpp"

namespace harvest_connect::python {
namespace {

using store::PullRecord;
using store::PullState;
using store::Store;

py::object utc(std::int64_t seconds) {
  py::module_ dt = py::module_::import("datetime");
  return dt.attr("datetime").attr("fromtimestamp")(seconds, dt.attr("timezone").attr("utc"));
}

std::string repr(const PullState& s) {
  const auto quoted = [](const std::string& v) { return py::repr(py::str(v)).cast<std::string>(); };
  return "PullState(name=" + quoted(s.name) + ", path=" + quoted(s.path) +
         ", mark=" + py::str(utc(s.mark).attr("isoformat")()).cast<std::string>() +
         ", recent=" + std::to_string(s.recent.size()) + ")";
}

}  // namespace

void register_pull(py::module_& m) {
  py::class_<PullState> state(m, "PullState",
                              "The stored state of an incremental pull: its endpoint, high-water mark and the "
                              "records delivered in the overlap window before the mark.");
  auto st = py::reinterpret_borrow<py::class_<Store, std::shared_ptr<Store>>>(m.attr("Store"));

  state.def_property_readonly("name", [](const PullState& s) { return s.name; }, "The state name.")
      .def_property_readonly("path", [](const PullState& s) { return s.path; },
                             "The list endpoint and its filters the mark belongs to, e.g. '/time_entries'.")
      .def_property_readonly("mark", [](const PullState& s) { return utc(s.mark); },
                             "The largest updated_at delivered (UTC): the next pull asks for updated_since from "
                             "there, minus the overlap.")
      .def_property_readonly("mark_timestamp", [](const PullState& s) { return s.mark; }, "mark as Unix seconds.")
      .def_property_readonly(
          "recent",
          [](const PullState& s) {
            std::vector<std::pair<std::int64_t, std::int64_t>> out;
            out.reserve(s.recent.size());
            for (const auto& r : s.recent) out.emplace_back(r.id, r.updated_at);
            return out;
          },
          "(id, updated_at as Unix seconds) of the records delivered in the overlap window, which the next pull "
          "drops when they come again unchanged.")
      .def_property_readonly("created_at", [](const PullState& s) { return utc(s.created_at); },
                             "When the state was first saved (UTC).")
      .def_property_readonly("updated_at", [](const PullState& s) { return utc(s.updated_at); },
                             "When the mark last moved (UTC).")
      .def("__repr__", &repr);

  st.def("pull_state", &Store::pull_state, py::arg("connection"), py::arg("state"),
         py::call_guard<py::gil_scoped_release>(),
         "The connection's pull state of that name (names compare ignoring case), or None.")
      .def("pull_states", &Store::pull_states, py::arg("connection"), py::call_guard<py::gil_scoped_release>(),
           "Every pull state of the connection, by name.")
      .def(
          "delete_pull_state", &Store::delete_pull_state, py::arg("connection"), py::arg("state"),
          py::call_guard<py::gil_scoped_release>(),
          "Forget a pull state (True when there was one): the next pull of that name takes everything.")
      .def(
          "_save_pull_state",
          [](Store& s, const std::string& connection, const std::string& name, const std::string& path,
             std::int64_t mark, const std::vector<std::pair<std::int64_t, std::int64_t>>& recent) {
            PullState p;
            p.name = name;
            p.path = path;
            p.mark = mark;
            p.recent.reserve(recent.size());
            for (const auto& [id, updated_at] : recent) p.recent.push_back(PullRecord{id, updated_at});
            py::gil_scoped_release release;
            s.save_pull_state(connection, p);
          },
          py::arg("connection"), py::arg("state"), py::arg("path"), py::arg("mark"), py::arg("recent"),
          "Save a pull state (what Pull.commit() does): ValidationError when that name holds another path.");

  m.def("_validate_pull_state_name", &store::validate_pull_state_name, py::arg("state"),
        "The state name, or ValidationError: 1 to 100 of letters, digits and . _ - : /.");
}

}  // namespace harvest_connect::python

// Bindings of harvest/: the authenticated API client, its page stream and the ping result.
// Every call that waits on the network releases the GIL; bodies cross into Python as bytes,
// which the Python layer decodes with json.loads (the fastest way to build Python objects).
#include <pybind11/functional.h>
#include <pybind11/stl.h>

#include <memory>
#include <optional>
#include <string>

#include "harvest_connect/error.hpp"
#include "harvest_connect/harvest/client.hpp"
#include "harvest_connect/harvest/connection_test.hpp"
#include "harvest_connect/harvest/export.hpp"
#include "harvest_connect/harvest/paginator.hpp"
#include "register.hpp"

namespace harvest_connect::python {

namespace {

struct PageStream {
  explicit PageStream(harvest::Paginator p) : paginator(std::move(p)) {}
  harvest::Paginator paginator;
};

std::string repr(const harvest::TestResult& r) {
  std::string out = "TestResult(ok=";
  out += r.ok ? "True" : "False";
  out += ", status_code=" + std::to_string(r.status_code) + ", user=";
  out += r.user ? py::repr(py::str(*r.user)).cast<std::string>() : "None";
  out += ", message=" + py::repr(py::str(r.message)).cast<std::string>() + ")";
  return out;
}

}  // namespace

void register_harvest(py::module_& m) {
  using harvest::HarvestClient;
  using harvest::QueryParams;
  using harvest::TestResult;

  py::class_<TestResult> test_result(m, "TestResult",
                                     "What conn.test() found: ok, the HTTP status, the user's name and a message.");
  py::class_<HarvestClient> client(m, "_HarvestClient", "The engine's Harvest client (use harvest_connect.HarvestClient).");
  py::class_<PageStream> stream(m, "_PageStream", "Pages of a list endpoint, the next one prefetched.");

  test_result
      .def(py::init([](bool ok, int status_code, std::optional<std::string> user, std::string message) {
             return TestResult{ok, status_code, std::move(user), std::move(message)};
           }),
           py::arg("ok"), py::arg("status_code"), py::arg("user") = py::none(), py::arg("message") = "",
           "A result (normally made by conn.test()).")
      .def_readonly("ok", &TestResult::ok, "True when Harvest accepted the connection's token and account ID.")
      .def_readonly("status_code", &TestResult::status_code, "The HTTP status of the ping; 0 when no answer came.")
      .def_readonly("user", &TestResult::user, "The authorized user's name, when ok.")
      .def_readonly("message", &TestResult::message, "What happened and, when not ok, what to do.")
      .def("__bool__", [](const TestResult& r) { return r.ok; })
      .def("__repr__", &repr);

  client
      .def_property_readonly("api_url", &HarvestClient::api_url, "The connection's API URL.")
      .def(
          "request",
          [](const HarvestClient& c, const std::string& method, const std::string& path, const QueryParams& params,
             const std::optional<std::string>& body) {
            harvest::ApiResponse answer;
            {
              py::gil_scoped_release release;
              answer = c.request(method, path, params,
                                 body ? std::optional<std::string_view>(*body) : std::optional<std::string_view>());
            }
            return py::bytes(answer.body);
          },
          py::arg("method"), py::arg("path"), py::arg("params") = QueryParams{}, py::arg("body") = py::none(),
          "Send one request; the 2xx answer's body as bytes.")
      .def(
          "paginate",
          [](const HarvestClient& c, const std::string& path, const QueryParams& params) {
            py::gil_scoped_release release;  // the first page starts loading at once
            return std::make_unique<PageStream>(c.paginate(path, params));
          },
          py::arg("path"), py::arg("params") = QueryParams{}, "The pages of a list endpoint.")
      .def(
          "accounts",
          [](const HarvestClient& c) {
            std::string body;
            {
              py::gil_scoped_release release;
              body = c.accounts();
            }
            return py::bytes(body);
          },
          "The identity service's /api/v2/accounts answer as bytes.")
      .def(
          "test",
          [](const HarvestClient& c) {
            py::gil_scoped_release release;
            return harvest::ping(c);
          },
          "GET /users/me: a TestResult (does not record the status; conn.test() does).")
      .def(
          "export_jsonl",
          [](const HarvestClient& c, const std::string& path, const QueryParams& params, const std::string& output,
             std::optional<py::function> progress) {
            std::function<void(const harvest::ExportProgress&)> report;
            if (progress) {
              report = [&progress](const harvest::ExportProgress& p) {
                py::gil_scoped_acquire acquire;
                (*progress)(p.records, p.total_entries ? py::object(py::int_(*p.total_entries)) : py::object(py::none()));
              };
            }
            py::gil_scoped_release release;
            return harvest::export_jsonl(c, path, params, std::filesystem::path(output), report);
          },
          py::arg("path"), py::arg("params"), py::arg("output"), py::arg("progress") = py::none(),
          "Write every record to `output` as JSON Lines (the bytes Harvest sent); the count.")
      .def("__repr__", [](const HarvestClient& c) { return "_HarvestClient(api_url='" + c.api_url() + "')"; });

  stream
      .def(
          "next_page",
          [](PageStream& s) -> py::object {
            std::shared_ptr<const harvest::PageData> page;
            {
              py::gil_scoped_release release;
              page = s.paginator.next();
            }
            if (!page) return py::none();
            return py::make_tuple(py::str(page->page.resource), py::bytes(page->body));
          },
          "(resource, body) of the next page, None after the last.")
      .def_property_readonly(
          "records_seen", [](const PageStream& s) { return s.paginator.records_seen(); }, "Records returned so far.")
      .def_property_readonly(
          "total_entries", [](const PageStream& s) { return s.paginator.total_entries(); },
          "The total Harvest announced, when it did.");
}

}  // namespace harvest_connect::python

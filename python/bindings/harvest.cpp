// Bindings of harvest/: the authenticated API client, its page stream and the ping result.
// Every call that waits on the network releases the GIL; bodies cross into Python as bytes,
// which the Python layer decodes with json.loads (the fastest way to build Python objects).
// Pages cross as str: json.loads would decode bytes to str anyway, so decoding straight from
// the engine's buffer saves copying each page (2 MB at 2,000 records) into a bytes first.
#include <pybind11/functional.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "harvest_connect/error.hpp"
#include "harvest_connect/harvest/client.hpp"
#include "harvest_connect/harvest/connection_client.hpp"
#include "harvest_connect/harvest/connection_test.hpp"
#include "harvest_connect/harvest/export.hpp"
#include "harvest_connect/harvest/paginator.hpp"
#include "py_connection.hpp"
#include "register.hpp"

namespace harvest_connect::python {

namespace {

struct PageStream {
  explicit PageStream(harvest::Paginator p) : paginator(std::move(p)) {}
  // A caller that stops iterating early drops the stream while a page may still be in
  // flight: wait for it without the GIL, so other Python threads keep running.
  ~PageStream() {
    if (PyGILState_Check()) {
      py::gil_scoped_release release;
      harvest::Paginator dropped(std::move(paginator));
    }
  }
  PageStream(const PageStream&) = delete;
  PageStream& operator=(const PageStream&) = delete;
  harvest::Paginator paginator;
};

// The page's text as a Python str (json.loads takes it without decoding again).
py::str page_text(const std::string& body) {
  PyObject* text = PyUnicode_DecodeUTF8(body.data(), static_cast<Py_ssize_t>(body.size()), "strict");
  if (text == nullptr) {
    PyErr_Clear();
    throw error(errc::api_error,
                "Harvest's list page is not valid UTF-8 (a proxy or a broken server in between?); try again");
  }
  return py::reinterpret_steal<py::str>(text);
}

std::string repr(const harvest::TestResult& r) {
  std::string out = "TestResult(ok=";
  out += r.ok ? "True" : "False";
  out += ", status_code=" + std::to_string(r.status_code) + ", user=";
  out += r.user ? py::repr(py::str(*r.user)).cast<std::string>() : "None";
  out += ", message=" + py::repr(py::str(r.message)).cast<std::string>() + ")";
  return out;
}

double seconds(std::chrono::milliseconds d) { return static_cast<double>(d.count()) / 1000.0; }

// (requests, seconds), as Python gives a rate limit.
std::pair<unsigned, double> limit_pair(const harvest::RateLimit& r) { return {r.limit, seconds(r.window)}; }

// The ConnectOptions that Python's keyword arguments describe, starting from the C++
// defaults (a value Python does not give stays the struct's).
harvest::ConnectOptions connect_options(const std::optional<std::pair<unsigned, double>>& rate_limit,
                                        const std::optional<std::pair<unsigned, double>>& reports_rate_limit,
                                        double deadline, unsigned prefetch_pages, double refresh_leeway,
                                        const std::optional<std::string>& ca_file, double timeout) {
  auto ms = [](double seconds, const char* field) {
    if (!(seconds > 0) || seconds > 7 * 24 * 3600.0) {
      throw error(errc::validation_failed, std::string(field) + ": must be a positive number of seconds");
    }
    return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000.0));
  };
  harvest::ConnectOptions o;
  o.client.rate_limits.enabled = rate_limit.has_value();
  if (rate_limit) o.client.rate_limits.general = harvest::RateLimit{rate_limit->first, ms(rate_limit->second, "rate_limit")};
  if (reports_rate_limit) {
    o.client.rate_limits.reports =
        harvest::RateLimit{reports_rate_limit->first, ms(reports_rate_limit->second, "reports_rate_limit")};
  }
  o.client.retry.deadline = ms(deadline, "deadline");
  o.client.prefetch_pages = prefetch_pages;
  if (refresh_leeway < 0) throw error(errc::validation_failed, "refresh_leeway: must not be negative");
  o.refresh_leeway = std::chrono::seconds(static_cast<std::int64_t>(refresh_leeway));
  if (ca_file) o.http.ca_file = *ca_file;
  o.http.request_timeout = ms(timeout, "timeout");
  o.http.io_timeout = std::min(o.http.io_timeout, o.http.request_timeout);
  return o;
}

// Python's defaults of conn.api() and conn.test(), read from the C++ structs: the bindings'
// keyword defaults and harvest_connect's wrappers (client.py) take them from here, so no
// default is restated in Python (_core.DEFAULTS; tests/python/test_stubs.py compares).
py::dict api_defaults() {
  const harvest::ConnectOptions d;
  py::dict out;
  out["rate_limit"] = d.client.rate_limits.enabled ? py::cast(limit_pair(d.client.rate_limits.general)) : py::none();
  out["reports_rate_limit"] = py::cast(limit_pair(d.client.rate_limits.reports));
  out["deadline"] = seconds(d.client.retry.deadline);
  out["prefetch_pages"] = d.client.prefetch_pages;
  out["refresh_leeway"] = static_cast<double>(d.refresh_leeway.count());
  out["ca_file"] = py::none();
  out["timeout"] = seconds(d.http.request_timeout);
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
      .def_readonly("kind", &TestResult::kind,
                    "When not ok, the error's kind (as HarvestConnectError.kind), e.g. 'authorization_required' "
                    "when the connection must be authorized again; '' when ok.")
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
            // json.loads validates every page (HarvestClient.paginate), so the engine only
            // reads the page's structure.
            return std::make_unique<PageStream>(c.paginate(path, params, harvest::PageValidation::left_to_caller));
          },
          py::arg("path"), py::arg("params") = QueryParams{},
          "The pages of a list endpoint; the caller must parse each page strictly (json.loads).")
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
            return py::make_tuple(py::str(page->page.resource), page_text(page->body));
          },
          "(resource, text) of the next page, None after the last.")
      .def_property_readonly(
          "records_seen", [](const PageStream& s) { return s.paginator.records_seen(); }, "Records returned so far.")
      .def_property_readonly(
          "total_entries", [](const PageStream& s) { return s.paginator.total_entries(); },
          "The total Harvest announced, when it did.");

  const py::dict defaults = api_defaults();
  const harvest::ConnectOptions d;
  auto conn = py::reinterpret_borrow<py::class_<PyConnection>>(m.attr("Connection"));
  conn.def(
          "_api",
          [](const PyConnection& c, std::optional<std::pair<unsigned, double>> rate_limit,
             std::optional<std::pair<unsigned, double>> reports_rate_limit, double deadline, unsigned prefetch_pages,
             double refresh_leeway, std::optional<std::string> ca_file, double timeout) {
            const auto o = connect_options(rate_limit, reports_rate_limit, deadline, prefetch_pages, refresh_leeway,
                                           ca_file, timeout);
            py::gil_scoped_release release;
            return harvest::open_client(c.store, c.value.name, o);
          },
          py::kw_only(), py::arg("rate_limit") = py::object(defaults["rate_limit"]),
          py::arg("reports_rate_limit") = py::object(defaults["reports_rate_limit"]),
          py::arg("deadline") = seconds(d.client.retry.deadline), py::arg("prefetch_pages") = d.client.prefetch_pages,
          py::arg("refresh_leeway") = static_cast<double>(d.refresh_leeway.count()), py::arg("ca_file") = py::none(),
          py::arg("timeout") = seconds(d.http.request_timeout),
          "The engine's client for this connection (private: conn.api() wraps it in a HarvestClient). "
          "rate_limit=(requests, seconds) for the client-side limiter (None: off), deadline for a whole call with "
          "its retries, prefetch_pages fetched ahead by paginate(), refresh_leeway seconds before expiry when the "
          "token is refreshed, ca_file an extra CA bundle, timeout for one HTTP exchange.")
      .def_property_readonly(
          "_store", [](const PyConnection& c) { return c.store; },
          "The store this connection came from (private: conn.api() hands it to pull(), which keeps its "
          "states there).")
      .def(
          "test",
          [](PyConnection& c, std::optional<std::string> ca_file, double timeout) {
            const harvest::ConnectOptions d;
            // The ping's whole call and each exchange end within `timeout`; nothing to prefetch.
            const auto o = connect_options(limit_pair(d.client.rate_limits.general),
                                           limit_pair(d.client.rate_limits.reports), timeout, 0,
                                           static_cast<double>(d.refresh_leeway.count()), ca_file, timeout);
            harvest::TestResult result;
            model::Connection fresh;
            {
              py::gil_scoped_release release;
              result = harvest::test_connection(c.store, c.value.name, o);
              fresh = c.store->connection(c.value.name);
            }
            c.value = std::move(fresh);
            return result;
          },
          py::kw_only(), py::arg("ca_file") = py::none(),
          py::arg("timeout") = static_cast<double>(harvest::default_test_timeout.count()),
          "Test the connection: GET /v2/users/me with its headers. Returns a TestResult (ok, status_code, user, "
          "message) and records the status: 'authorized', or 'offline' with the reason as last_error. timeout: "
          "seconds for the whole test.");

  defaults_of(m, "api").attr("update")(defaults);
  py::dict test_defaults = defaults_of(m, "test");
  test_defaults["ca_file"] = py::none();
  test_defaults["timeout"] = static_cast<double>(harvest::default_test_timeout.count());
}

}  // namespace harvest_connect::python

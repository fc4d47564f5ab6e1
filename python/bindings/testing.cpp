// Bindings of the Harvest emulator (harvest_connect.testing.HarvestEmulator wraps them).
// The server's threads never call into Python; blocking calls release the GIL.
#include <chrono>

#include <pybind11/stl.h>

#include "harvest_connect/error.hpp"
#include "harvest_connect/testing/emulator.hpp"
#include "register.hpp"

namespace harvest_connect::python {

namespace {

using namespace harvest_connect::testing;

std::chrono::milliseconds millis(double seconds, const char* name) {
  if (!(seconds >= 0)) throw error(errc::validation_failed, std::string(name) + " must be a number of seconds >= 0");
  return std::chrono::milliseconds(static_cast<long long>(seconds * 1000.0 + 0.5));
}

py::dict app_dict(const OAuthApp& a) {
  py::dict d;
  d["name"] = a.name;
  d["client_id"] = a.client_id;
  d["client_secret"] = a.client_secret;
  d["redirect_url"] = a.redirect_url;
  d["multi_account"] = a.multi_account;
  d["forecast"] = a.forecast;
  return d;
}

py::dict user_dict(const EmulatorUser& u) {
  py::dict d;
  d["id"] = u.id;
  d["first_name"] = u.first_name;
  d["last_name"] = u.last_name;
  d["email"] = u.email;
  d["password"] = u.password;
  d["role"] = u.role;
  d["account_ids"] = u.account_ids;
  return d;
}

py::dict account_dict(const EmulatorAccount& a) {
  py::dict d;
  d["id"] = a.id;
  d["name"] = a.name;
  d["product"] = a.product;
  return d;
}

// The emulator's defaults (EmulatorOptions{}, Faults{}) as Python sees them, in seconds:
// the keyword defaults below and harvest_connect.testing take them from _core.DEFAULTS.
double secs(std::chrono::milliseconds d) { return static_cast<double>(d.count()) / 1000.0; }

void emulator_defaults(py::dict d) {
  const EmulatorOptions o;
  d["entries"] = o.data.time_entries;
  d["tls"] = o.tls;
  d["port"] = o.port;
  d["seed"] = o.data.seed;
  d["users"] = o.data.users;
  d["clients"] = o.data.clients;
  d["projects"] = o.data.projects;
  d["tasks"] = o.data.tasks;
  d["rate_limits"] = o.rate_limits.enabled;
  d["general_limit"] = o.rate_limits.general_limit;
  d["general_window"] = secs(o.rate_limits.general_window);
  d["reports_limit"] = o.rate_limits.reports_limit;
  d["reports_window"] = secs(o.rate_limits.reports_window);
  d["access_token_lifetime"] = static_cast<double>(o.oauth.access_token_lifetime.count());
  d["code_lifetime"] = static_cast<double>(o.oauth.code_lifetime.count());
  d["rotate_refresh_tokens"] = o.oauth.rotate_refresh_tokens;
  d["cursor_pagination"] = o.cursor_pagination;
  d["threads"] = o.threads;
  d["host"] = o.host;
  d["expires_in_json"] = o.oauth.expires_in_json;
  d["indent_json"] = o.indent_json;
}

void faults_defaults(py::dict d) {
  const Faults f;
  d["path_prefix"] = f.path_prefix;
  d["latency"] = secs(f.latency);
  d["page_latency"] = secs(f.page_latency);
  d["drop_next"] = f.drop_next;
  d["drop_rate"] = f.drop_rate;
  d["error_next"] = f.error_next;
  d["error_rate"] = f.error_rate;
  d["error_status"] = f.error_status;
  d["retry_after"] = f.retry_after_seconds;
  d["truncate_next"] = f.truncate_next;
  d["truncate_rate"] = f.truncate_rate;
  d["retry_after_header"] = f.retry_after_header;
  d["bare_errors"] = f.bare_errors;
}

}  // namespace

void register_testing(py::module_& m) {
  py::dict E = defaults_of(m, "emulator");
  emulator_defaults(E);
  py::dict F = defaults_of(m, "faults");
  faults_defaults(F);
  py::class_<Emulator> emu(m, "Emulator",
                           "The Harvest emulator serving on 127.0.0.1 in background threads (private: use "
                           "harvest_connect.testing.HarvestEmulator).");
  emu.def(py::init([](std::size_t entries, bool tls, std::uint16_t port, std::uint64_t seed, unsigned users,
                      unsigned clients, unsigned projects, unsigned tasks, bool rate_limits, unsigned general_limit,
                      double general_window, unsigned reports_limit, double reports_window,
                      double access_token_lifetime, double code_lifetime, bool rotate_refresh_tokens,
                      bool cursor_pagination, unsigned threads, const std::string& host,
                      const std::string& expires_in_json, bool indent_json) {
             EmulatorOptions o;
             o.host = host;
             o.port = port;
             o.tls = tls;
             o.threads = threads;
             o.data.seed = seed;
             o.data.time_entries = entries;
             o.data.users = users;
             o.data.clients = clients;
             o.data.projects = projects;
             o.data.tasks = tasks;
             o.rate_limits.enabled = rate_limits;
             o.rate_limits.general_limit = general_limit;
             o.rate_limits.general_window = millis(general_window, "general_window");
             o.rate_limits.reports_limit = reports_limit;
             o.rate_limits.reports_window = millis(reports_window, "reports_window");
             o.oauth.access_token_lifetime =
                 std::chrono::duration_cast<std::chrono::seconds>(millis(access_token_lifetime, "access_token_lifetime"));
             o.oauth.code_lifetime = std::chrono::duration_cast<std::chrono::seconds>(millis(code_lifetime, "code_lifetime"));
             o.oauth.rotate_refresh_tokens = rotate_refresh_tokens;
             o.cursor_pagination = cursor_pagination;
             o.oauth.expires_in_json = expires_in_json;
             o.indent_json = indent_json;
             if (host != "127.0.0.1" && host != "::1" && host != "localhost")
               throw error(errc::validation_failed, "the emulator listens on loopback only (127.0.0.1, ::1 or localhost)");
             return std::make_unique<Emulator>(std::move(o));
           }),
           py::arg("entries") = py::object(E["entries"]), py::arg("tls") = py::object(E["tls"]), py::arg("port") = py::object(E["port"]), py::arg("seed") = py::object(E["seed"]), py::arg("users") = py::object(E["users"]), py::arg("clients") = py::object(E["clients"]), py::arg("projects") = py::object(E["projects"]), py::arg("tasks") = py::object(E["tasks"]), py::arg("rate_limits") = py::object(E["rate_limits"]), py::arg("general_limit") = py::object(E["general_limit"]), py::arg("general_window") = py::object(E["general_window"]), py::arg("reports_limit") = py::object(E["reports_limit"]), py::arg("reports_window") = py::object(E["reports_window"]), py::arg("access_token_lifetime") = py::object(E["access_token_lifetime"]), py::arg("code_lifetime") = py::object(E["code_lifetime"]), py::arg("rotate_refresh_tokens") = py::object(E["rotate_refresh_tokens"]), py::arg("cursor_pagination") = py::object(E["cursor_pagination"]), py::arg("threads") = py::object(E["threads"]), py::arg("host") = py::object(E["host"]), py::arg("expires_in_json") = py::object(E["expires_in_json"]), py::arg("indent_json") = py::object(E["indent_json"]),
           py::call_guard<py::gil_scoped_release>(),
           "Generate the data (and certificates) and start serving; raises NetworkError when the port is taken.")
      .def_property_readonly("id_url", &Emulator::id_url, "Base URL of the ID service, e.g. https://127.0.0.1:PORT.")
      .def_property_readonly("api_url", &Emulator::api_url, "Base URL of the API, id_url + '/v2'.")
      .def_property_readonly("ca_file", &Emulator::ca_file, "PEM file of the emulator's CA; '' when plain HTTP.")
      .def_property_readonly("port", &Emulator::port, "The TCP port it listens on.")
      .def_property_readonly("default_account_id", [](Emulator& e) { return e.service().default_account_id(); },
                             "Id of the seeded Harvest account.")
      .def(
          "register_app",
          [](Emulator& e, const std::string& name, const std::string& redirect_url, bool multi_account, bool forecast) {
            return app_dict(e.service().register_app(name, redirect_url, multi_account, forecast));
          },
          py::arg("name"), py::arg("redirect_url"), py::arg("multi_account") = false, py::arg("forecast") = false,
          "Register an OAuth app; returns {name, client_id, client_secret, redirect_url, multi_account, forecast}.")
      .def(
          "add_user",
          [](Emulator& e, const std::string& first_name, const std::string& last_name, const std::string& email,
             const std::string& password, const std::string& role, const std::vector<std::uint64_t>& account_ids) {
            return user_dict(e.service().add_user(first_name, last_name, email, password, role, account_ids));
          },
          py::arg("first_name"), py::arg("last_name"), py::arg("email"), py::arg("password"),
          py::arg("role") = "administrator", py::arg("account_ids") = std::vector<std::uint64_t>{},
          "Add a user (sign-in identity and account member); returns it as a dict.")
      .def(
          "add_account",
          [](Emulator& e, const std::string& name, const std::string& product, const std::vector<std::uint64_t>& user_ids) {
            return account_dict(e.service().add_account(name, product, user_ids));
          },
          py::arg("name"), py::arg("product") = "harvest", py::arg("user_ids") = std::vector<std::uint64_t>{},
          "Add an account ('harvest' or 'forecast') for the users given (the default user when none).")
      .def(
          "default_user", [](Emulator& e) { return user_dict(e.service().default_user()); },
          "The seeded user that signs in by default (email and password included).")
      .def(
          "accounts",
          [](Emulator& e) {
            py::list l;
            for (const auto& a : e.service().accounts()) l.append(account_dict(a));
            return l;
          },
          "Every account, as dicts {id, name, product}.")
      .def(
          "approve",
          [](Emulator& e, const std::string& url, const std::string& email, const std::string& password,
             std::uint64_t account_id) { return e.service().approve(url, email, password, account_id); },
          py::arg("authorization_url"), py::arg("email") = "", py::arg("password") = "", py::arg("account_id") = 0,
          py::call_guard<py::gil_scoped_release>(),
          "Do what the consent form's 'Authorize application' does; returns the redirect URL.")
      .def(
          "deny", [](Emulator& e, const std::string& url) { return e.service().deny(url); }, py::arg("authorization_url"),
          py::call_guard<py::gil_scoped_release>(), "Do what the consent form's 'Deny' does; returns the redirect URL.")
      .def(
          "create_personal_access_token",
          [](Emulator& e, std::uint64_t user_id) { return e.service().create_personal_access_token(user_id); },
          py::arg("user_id") = 0, py::call_guard<py::gil_scoped_release>(),
          "A personal access token (scope 'all', no expiry) of that user (0: the default user).")
      .def(
          "expire_tokens", [](Emulator& e) { e.service().expire_tokens(); }, py::call_guard<py::gil_scoped_release>(),
          "Make every access token issued so far expire now (refresh tokens keep working).")
      .def(
          "advance_clock", [](Emulator& e, double seconds) { e.service().advance_clock(millis(seconds, "seconds")); },
          py::arg("seconds"), py::call_guard<py::gil_scoped_release>(),
          "Move the emulator's clock forward (code/token expiry, rate-limit windows).")
      .def(
          "set_faults",
          [](Emulator& e, const std::string& path_prefix, double latency, double page_latency, unsigned drop_next,
             double drop_rate, unsigned error_next, double error_rate, int error_status, unsigned retry_after,
             unsigned truncate_next, double truncate_rate, const std::string& retry_after_header,
             bool bare_errors) {
            Faults f;
            f.path_prefix = path_prefix;
            f.latency = millis(latency, "latency");
            f.page_latency = millis(page_latency, "page_latency");
            f.drop_next = drop_next;
            f.drop_rate = drop_rate;
            f.error_next = error_next;
            f.error_rate = error_rate;
            f.error_status = error_status;
            f.retry_after_seconds = retry_after;
            f.truncate_next = truncate_next;
            f.truncate_rate = truncate_rate;
            f.retry_after_header = retry_after_header;
            f.bare_errors = bare_errors;
            e.service().set_faults(f);
          },
          py::arg("path_prefix") = py::object(F["path_prefix"]), py::arg("latency") = py::object(F["latency"]), py::arg("page_latency") = py::object(F["page_latency"]), py::arg("drop_next") = py::object(F["drop_next"]), py::arg("drop_rate") = py::object(F["drop_rate"]), py::arg("error_next") = py::object(F["error_next"]), py::arg("error_rate") = py::object(F["error_rate"]), py::arg("error_status") = py::object(F["error_status"]), py::arg("retry_after") = py::object(F["retry_after"]), py::arg("truncate_next") = py::object(F["truncate_next"]), py::arg("truncate_rate") = py::object(F["truncate_rate"]), py::arg("retry_after_header") = py::object(F["retry_after_header"]), py::arg("bare_errors") = py::object(F["bare_errors"]),
          py::call_guard<py::gil_scoped_release>(),
          "Replace the faults injected into requests whose path starts with path_prefix.")
      .def(
          "clear_faults", [](Emulator& e) { e.service().clear_faults(); }, py::call_guard<py::gil_scoped_release>(),
          "Stop injecting faults.")
      .def(
          "request_log",
          [](Emulator& e) {
            std::vector<RequestLogEntry> entries;
            {
              py::gil_scoped_release release;
              entries = e.service().request_log();
            }
            py::list l;
            for (const auto& x : entries) {
              py::dict d;
              d["method"] = x.method;
              d["target"] = x.target;
              d["status"] = x.status;
              py::list headers;
              for (const auto& [k, v] : x.headers) headers.append(py::make_tuple(k, v));
              d["headers"] = headers;
              d["body"] = x.body;
              d["fault"] = x.fault;
              l.append(d);
            }
            return l;
          },
          "Requests seen so far, oldest first, secrets redacted: dicts {method, target, status, headers, body, fault}.")
      .def(
          "clear_request_log", [](Emulator& e) { e.service().clear_request_log(); },
          py::call_guard<py::gil_scoped_release>(), "Forget the requests logged so far.")
      .def(
          "counters", [](Emulator& e) { return e.service().counters(); }, py::call_guard<py::gil_scoped_release>(),
          "Counters by name (requests, api_requests, token_requests.<grant>, rate_limited, faults.*, ...).")
      .def(
          "time_entry_count", [](Emulator& e) { return e.service().time_entry_count(); },
          py::call_guard<py::gil_scoped_release>(), "How many time entries it holds.")
      .def(
          "update_time_entry",
          [](Emulator& e, std::uint64_t id, std::optional<std::string> notes, std::optional<double> hours,
             std::optional<std::int64_t> updated_at) { e.service().update_time_entry(id, notes, hours, updated_at); },
          py::arg("id"), py::kw_only(), py::arg("notes") = py::none(), py::arg("hours") = py::none(),
          py::arg("updated_at") = py::none(), py::call_guard<py::gil_scoped_release>(),
          "Edit a time entry as Harvest would: notes/hours when given, updated_at = that Unix second (the "
          "emulator's clock when None).")
      .def("stop", &Emulator::stop, py::call_guard<py::gil_scoped_release>(), "Stop serving (idempotent).");
}

}  // namespace harvest_connect::python

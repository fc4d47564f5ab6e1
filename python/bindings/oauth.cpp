// Bindings of the OAuth flow: the authorization methods of Connection and the loopback flow
// object that harvest_connect/authorization.py drives in short slices (so that Ctrl-C works).
// The authorization URL (it holds the state) is returned to Python only to be shown to the
// user or handed to the browser; no code, token, verifier or secret ever comes back.
#include <pybind11/stl.h>

#include <chrono>
#include <memory>
#include <optional>

#include "harvest_connect/error.hpp"
#include "harvest_connect/oauth/authorization.hpp"
#include "py_connection.hpp"
#include "register.hpp"

namespace harvest_connect::python {
namespace {

// A loopback flow and the store it works on (kept alive with it).
struct PyLoopbackAuthorization {
  std::shared_ptr<store::Store> store;
  std::unique_ptr<oauth::LoopbackAuthorization> flow;
};

// TLS settings for the token endpoint and the accounts list: an extra CA bundle when given.
// Proxies come from the environment (http::ClientOptions' default).
http::ClientOptions client_options(const std::optional<std::string>& ca_file) {
  http::ClientOptions options;
  if (ca_file) options.ca_file = *ca_file;
  return options;
}

std::chrono::milliseconds to_ms(double seconds, const char* field) {
  if (!(seconds > 0) || seconds > 7 * 24 * 3600.0)
    throw error(errc::validation_failed, std::string(field) + ": must be a positive number of seconds");
  return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000));
}

}  // namespace

void register_oauth(py::module_& m) {
  py::class_<PyLoopbackAuthorization> flow(m, "LoopbackAuthorization",
                                           "A loopback authorization in progress (private: use "
                                           "Connection.authorize()).");
  auto conn = py::reinterpret_borrow<py::class_<PyConnection>>(m.attr("Connection"));
  // conn.authorize()'s default wait (authorization.py reads it from _core.DEFAULTS).
  const double authorization_timeout =
      std::chrono::duration<double>(oauth::default_authorization_timeout).count();
  py::dict authorize_defaults = defaults_of(m, "authorize");
  authorize_defaults["timeout"] = authorization_timeout;

  flow.def_property_readonly(
          "url", [](const PyLoopbackAuthorization& f) { return std::string(f.flow->url().reveal_string()); },
          "The URL to open in the browser. It holds the state: show it to the user only, never log it.")
      .def_property_readonly(
          "redirect_uri", [](const PyLoopbackAuthorization& f) { return f.flow->redirect_uri(); },
          "The redirect URI the receiver listens on (not secret).")
      .def_property_readonly(
          "port", [](const PyLoopbackAuthorization& f) { return f.flow->port(); }, "The receiver's port.")
      .def(
          "poll",
          [](PyLoopbackAuthorization& f, double seconds) {
            auto slice = to_ms(seconds, "seconds");
            py::gil_scoped_release release;
            return f.flow->poll(slice);
          },
          py::arg("seconds"),
          "Wait up to `seconds` for the redirect. False: not yet; True: the connection is authorized. Raises "
          "AuthorizationError, TokenError, TimeoutError (the flow's timeout passed) or NetworkError.")
      .def(
          "complete_pasted",
          [](PyLoopbackAuthorization& f, const std::string& redirected_url) {
            py::gil_scoped_release release;
            f.flow->complete_pasted(redirected_url);
          },
          py::arg("redirected_url"),
          "Complete the flow with the address the browser was sent to, pasted by the user (same checks).")
      .def(
          "cancel", [](PyLoopbackAuthorization& f) { f.flow->cancel(); },
          "Stop waiting; nothing is changed. Safe to call twice.");

  conn.def(
          "_start_authorization",
          [](const PyConnection& c, std::optional<int> port, double timeout, std::optional<std::string> ca_file) {
            oauth::AuthorizeOptions options;
            options.client_options = client_options(ca_file);
            if (port) {
              if (*port < 1 || *port > 65535) throw error(errc::validation_failed, "port: must be 1 to 65535");
              options.port = static_cast<std::uint16_t>(*port);
            }
            options.timeout = to_ms(timeout, "timeout");
            PyLoopbackAuthorization out{c.store, nullptr};
            py::gil_scoped_release release;
            out.flow = std::make_unique<oauth::LoopbackAuthorization>(c.store, c.value.name, options);
            return out;
          },
          py::arg("port") = py::none(), py::arg("timeout") = authorization_timeout, py::arg("ca_file") = py::none(),
          "Start the loopback receiver and prepare the request (private: use authorize()). ca_file: an extra CA "
          "bundle (PEM) trusted for the token endpoint.")
      .def(
          "_authorization_url",
          [](const PyConnection& c) {
            crypto::Secret url;
            {
              py::gil_scoped_release release;
              url = oauth::authorization_url(c.store, c.value.name);
            }
            return std::string(url.reveal_string());
          },
          "Store a new pending authorization and return its URL (private: use authorization_url()).")
      .def(
          "_reload",
          [](PyConnection& c) {
            model::Connection fresh;
            {
              py::gil_scoped_release release;
              fresh = c.store->connection(c.value.name);
            }
            c.value = std::move(fresh);
          },
          "Re-read the connection's fields (status, token expiry) from the store.")
      .def(
          "complete_authorization",
          [](PyConnection& c, const std::string& redirected_url, std::optional<std::string> ca_file) {
            model::Connection fresh;
            {
              py::gil_scoped_release release;
              fresh = oauth::complete_authorization(c.store, c.value.name, redirected_url, client_options(ca_file));
            }
            c.value = std::move(fresh);
          },
          py::arg("redirected_url"), py::kw_only(), py::arg("ca_file") = py::none(),
          "Finish an authorization started with authorization_url(): pass the whole address the browser was "
          "sent to after 'Authorize application'. Checks the state (single use, 10 minutes), the redirect URI, "
          "errors and the account, then stores the tokens sealed; the status becomes 'authorized'. On any "
          "failure (AuthorizationError, TokenError) nothing is changed. ca_file: an extra CA bundle (PEM) trusted "
          "for the token endpoint.")
      .def(
          "disconnect",
          [](PyConnection& c, std::optional<std::string> ca_file) {
            model::Connection fresh;
            bool revoked = false;
            {
              py::gil_scoped_release release;
              revoked = oauth::disconnect(c.store, c.value.name, client_options(ca_file));
              fresh = c.store->connection(c.value.name);
            }
            c.value = std::move(fresh);
            return revoked;
          },
          py::kw_only(), py::arg("ca_file") = py::none(),
          "Forget the connection's tokens (revoking them first when the OAuth client has a revoke URL); the "
          "status becomes 'not_authorized'. Returns whether a revocation was sent and accepted. ca_file: an extra "
          "CA bundle (PEM) trusted for the revocation endpoint.");
}

}  // namespace harvest_connect::python

// Bindings of the model and the store: Store, OAuthClient, Connection, Problem. Secrets go
// in (as str) and never come out: there is no binding of credentials() or of any sealed
// value, and every repr shows model::redacted where a secret would be.
#include <pybind11/functional.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <memory>

#include "harvest_connect/error.hpp"
#include "harvest_connect/model/connection.hpp"
#include "harvest_connect/model/http_settings.hpp"
#include "harvest_connect/model/oauth_client.hpp"
#include "harvest_connect/model/redacted.hpp"
#include "harvest_connect/store/location.hpp"
#include "harvest_connect/store/options.hpp"
#include "harvest_connect/store/secret_scan.hpp"
#include "harvest_connect/store/store.hpp"
#include "py_connection.hpp"
#include "register.hpp"

namespace harvest_connect::python {
namespace {

using crypto::Secret;
using store::Store;
using StorePtr = std::shared_ptr<Store>;
namespace m = harvest_connect::model;


// A stored Unix time as an aware datetime. Python's datetime spans years 1 to 9999: a stored
// value outside it (stores of older versions kept an unbounded expires_in) shows as the
// nearest end of that span, so that no property ever raises on stored data.
py::object utc(std::int64_t seconds) {
  constexpr std::int64_t first = -62'135'596'800;  // 0001-01-01T00:00:00Z
  constexpr std::int64_t last = 253'402'300'799;   // 9999-12-31T23:59:59Z
  py::module_ dt = py::module_::import("datetime");
  py::object tz = dt.attr("timezone").attr("utc");
  if (seconds < first) return dt.attr("datetime").attr("min").attr("replace")(py::arg("tzinfo") = tz);
  if (seconds > last) return dt.attr("datetime").attr("max").attr("replace")(py::arg("tzinfo") = tz, py::arg("microsecond") = 0);
  return dt.attr("datetime").attr("fromtimestamp")(seconds, tz);
}

py::object optional_utc(const std::optional<std::int64_t>& s) { return s ? utc(*s) : py::object(py::none()); }

Secret secret_of(const std::string& s) { return Secret::from_string(s); }
std::optional<Secret> secret_of(const std::optional<std::string>& s) {
  if (!s) return std::nullopt;
  return Secret::from_string(*s);
}

std::string repr_str(const std::string& s) { return py::repr(py::str(s)).cast<std::string>(); }
std::string repr_opt(const std::optional<std::string>& s) { return s ? repr_str(*s) : "None"; }

std::string client_repr(const m::OAuthClient& c) {
  return "OAuthClient(name=" + repr_str(c.name) + ", provider=" + repr_str(std::string(to_string(c.provider))) +
         ", client_id=" + repr_str(c.client_id) + ", client_secret=" + repr_str(m::redacted) +
         ", redirect_uri=" + repr_opt(c.redirect_uri) + ", scope=" + repr_opt(c.scope) +
         ", pkce=" + (c.pkce ? "True" : "False") + ", client_credentials=" +
         repr_str(std::string(to_string(c.client_credentials))) + ")";
}

// What a repr or a listing shows for the account ID (every connection has one).
constexpr const char* account_id_state = "account ID: set (encrypted)";
constexpr const char* account_id_write_only =
    "Connection has no attribute 'account_id': the account ID is write-only and encrypted in the store "
    "(has_account_id says it is set); to change it, give it again to Store.update_connection(name, "
    "account_id=...)";

std::string connection_repr(const m::Connection& c) {
  std::string auth = c.auth == m::AuthMethod::oauth ? "oauth_client=" + repr_str(c.oauth_client)
                                                    : "personal_access_token=" + repr_str(m::redacted);
  // The account ID is write-only: the repr says it is set, and shows no stand-in value.
  return "Connection(name=" + repr_str(c.name) + ", type=" + repr_str(c.type) + ", " + auth + ", " +
         std::string(account_id_state) + ", status=" + repr_str(std::string(to_string(c.status))) +
         ", api_url=" + repr_str(c.api_url) + ")";
}

py::dict settings_dict(const m::HttpSettings& s) {
  py::dict d;
  d["name"] = s.name;
  d["base_uri"] = s.base_uri;
  d["auth_type"] = s.auth_type;
  py::dict headers;
  for (const auto& [k, v] : s.headers) headers[py::str(k)] = v;
  d["headers"] = headers;
  if (s.auth_type == "oauth2") {
    py::dict oauth;
    oauth["grant_type"] = s.grant_type;
    oauth["authorize_url"] = s.authorize_url;
    oauth["token_url"] = s.token_url;
    oauth["revoke_url"] = s.revoke_url;
    oauth["redirect_uri"] = s.redirect_uri;
    oauth["scope"] = s.scope;
    oauth["client_id"] = s.client_id;
    oauth["client_secret"] = s.client_secret;
    oauth["client_credentials_location"] = s.client_credentials_location;
    oauth["pkce"] = s.pkce;
    d["oauth2"] = oauth;
  }
  py::dict ping;
  ping["method"] = s.ping_method;
  ping["relative_uri"] = s.ping_relative_uri;
  d["ping"] = ping;
  return d;
}

}  // namespace

void register_store(py::module_& mod) {
  py::class_<m::OAuthClient> client(mod, "OAuthClient",
                                    "An OAuth 2.0 client (registered app). Holds no secret: the client secret stays "
                                    "sealed in the store.");
  py::class_<PyConnection> conn(mod, "Connection",
                                "A named connection to a Harvest account. Holds no secret: the account ID and "
                                "tokens stay sealed in the store.");
  py::class_<store::Problem> problem(mod, "Problem", "A finding of Store.verify(): record, field and reason.");
  py::class_<Store, StorePtr> st(mod, "Store", "The encrypted store of OAuth clients and connections.");

  client.def_property_readonly("name", [](const m::OAuthClient& c) { return c.name; }, "The client's unique name.")
      .def_property_readonly("provider", [](const m::OAuthClient& c) { return std::string(to_string(c.provider)); },
                             "'harvest' or 'custom'.")
      .def_property_readonly("client_id", [](const m::OAuthClient& c) { return c.client_id; },
                             "The OAuth client ID (not secret).")
      .def_property_readonly("client_secret", [](const m::OAuthClient&) { return std::string(m::redacted); },
                             "A redacted placeholder: the secret is write-only.")
      .def_property_readonly("authorize_url", [](const m::OAuthClient& c) { return c.authorize_url; },
                             "The authorization endpoint, or None for Harvest's (from the connection's id_url).")
      .def_property_readonly("token_url", [](const m::OAuthClient& c) { return c.token_url; },
                             "The token endpoint, or None for Harvest's (from the connection's id_url).")
      .def_property_readonly("revoke_url", [](const m::OAuthClient& c) { return c.revoke_url; },
                             "The revocation endpoint, or None.")
      .def_property_readonly("redirect_uri", [](const m::OAuthClient& c) { return c.redirect_uri; },
                             "The registered Redirect URL, or None (a loopback URL chosen at authorization).")
      .def_property_readonly("scope", [](const m::OAuthClient& c) { return c.scope; }, "The scope, or None.")
      .def_property_readonly("pkce", [](const m::OAuthClient& c) { return c.pkce; }, "Whether PKCE (S256) is sent.")
      .def_property_readonly("client_credentials",
                             [](const m::OAuthClient& c) { return std::string(to_string(c.client_credentials)); },
                             "'body' or 'basic': where the token request carries the client credentials.")
      .def_property_readonly("created_at", [](const m::OAuthClient& c) { return utc(c.created_at); },
                             "When it was created (UTC).")
      .def_property_readonly("updated_at", [](const m::OAuthClient& c) { return utc(c.updated_at); },
                             "When it was last changed (UTC).")
      .def("__repr__", &client_repr);

  conn.def_property_readonly("name", [](const PyConnection& c) { return c.value.name; }, "The unique name.")
      .def_property_readonly("type", [](const PyConnection& c) { return c.value.type; }, "Always 'harvest'.")
      .def_property_readonly("auth",
                             [](const PyConnection& c) { return std::string(to_string(c.value.auth)); },
                             "'oauth' or 'personal_access_token'.")
      .def_property_readonly("oauth_client",
                             [](const PyConnection& c) -> std::optional<std::string> {
                               if (c.value.auth != m::AuthMethod::oauth) return std::nullopt;
                               return c.value.oauth_client;
                             },
                             "The OAuth client's name, or None for a personal access token.")
      .def_property_readonly("has_account_id", [](const PyConnection&) { return true; },
                             "True: every connection has an account ID. It is write-only and encrypted: no "
                             "attribute returns it or a stand-in.")
      .def_property_readonly("user_agent", [](const PyConnection& c) { return c.value.effective_user_agent(); },
                             "The User-Agent sent to Harvest (the default when none was set).")
      .def_property_readonly("api_url", [](const PyConnection& c) { return c.value.api_url; }, "The API base URL.")
      .def_property_readonly("id_url", [](const PyConnection& c) { return c.value.id_url; },
                             "The identity service URL.")
      .def_property_readonly("status", [](const PyConnection& c) { return std::string(to_string(c.value.status)); },
                             "'not_authorized', 'authorized' or 'offline'.")
      .def_property_readonly("has_tokens", [](const PyConnection& c) { return c.value.has_access_token; },
                             "Whether OAuth tokens are stored (they are never shown).")
      .def_property_readonly("token_expires_at", [](const PyConnection& c) { return optional_utc(c.value.token_expires_at); },
                             "When the access token expires (UTC), or None.")
      .def_property_readonly("last_error", [](const PyConnection& c) { return c.value.last_error; },
                             "The last error (never holds a secret), or None.")
      .def_property_readonly("created_at", [](const PyConnection& c) { return utc(c.value.created_at); },
                             "When it was created (UTC).")
      .def_property_readonly("updated_at", [](const PyConnection& c) { return utc(c.value.updated_at); },
                             "When it was last changed (UTC).")
      .def(
          "http_settings",
          [](const PyConnection& c) {
            m::HttpSettings s;
            {
              py::gil_scoped_release release;
              s = c.store->http_settings(c.value.name);
            }
            return settings_dict(s);
          },
          "The universal OAuth 2.0 view of the connection (base URI, headers, endpoints, scope, ping), secrets "
          "masked.")
      .def("__repr__", [](const PyConnection& c) { return connection_repr(c.value); })
      .def(
          "__getattr__",
          [](const PyConnection&, const std::string& name) -> py::object {
            // Only reached for names the class does not have: say why account_id is not one.
            if (name == "account_id") throw py::attribute_error(account_id_write_only);
            throw py::attribute_error("'Connection' object has no attribute '" + name + "'");
          },
          py::arg("name"), "Raises AttributeError; for account_id, says that the account ID is write-only.");

  problem.def_readonly("table", &store::Problem::table, "'oauth_client', 'connection', ... or 'store'.")
      .def_readonly("record", &store::Problem::record, "The record's name.")
      .def_readonly("field", &store::Problem::field, "The field that failed, e.g. 'account_id'.")
      .def_readonly("reason", &store::Problem::reason, "What is wrong and what to do.")
      .def("__repr__", [](const store::Problem& p) {
        return "Problem(table=" + repr_str(p.table) + ", record=" + repr_str(p.record) + ", field=" +
               repr_str(p.field) + ", reason=" + repr_str(p.reason) + ")";
      });

  st.def_static(
        "open",
        [](std::optional<std::filesystem::path> path, std::optional<crypto::MasterKey> key,
           std::optional<std::string> passphrase, std::optional<std::filesystem::path> key_file) {
          store::OpenOptions o;
          o.path = std::move(path);
          o.key = std::move(key);
          o.passphrase = secret_of(passphrase);
          o.key_file = std::move(key_file);
          py::gil_scoped_release release;
          return std::make_shared<Store>(Store::open(o));
        },
        py::arg("path") = py::none(), py::kw_only(), py::arg("key") = py::none(), py::arg("passphrase") = py::none(),
        py::arg("key_file") = py::none(),
        "Open (or create) a store: path is a SQLite file or a PostgreSQL URL (postgresql://user@host/db?"
        "sslmode=verify-full; the password from ~/.pgpass, PGPASSFILE or PGPASSWORD); without one, "
        "HARVEST_CONNECT_STORE, else the default file. Key sources, first that is set: key, passphrase, key_file, "
        "HARVEST_CONNECT_KEY, HARVEST_CONNECT_KEY_FILE, the default key file. Raises KeyMismatchError when the key "
        "is not the store's, NetworkError when a PostgreSQL server cannot be reached.")
      .def("close", &Store::close, "Close the store; later calls raise. Safe to call twice.")
      .def_property_readonly("closed", &Store::closed, "Whether close() was called.")
      // Where it lives, as `location` gives it: a database URL without its password.
      .def("__repr__",
           [](const Store& s) {
             return "Store(" + py::repr(py::str(s.location())).cast<std::string>() +
                    (s.closed() ? ", closed=True)" : ")");
           })
      .def_property_readonly(
          "path",
          [](const Store& s) -> std::optional<std::filesystem::path> {
            if (s.path().empty()) return std::nullopt;
            return s.path();
          },
          "The database file; None for a PostgreSQL store (see location).")
      .def_property_readonly("location", &Store::location,
                             "Where the store lives: the file, or the database URL without its password.")
      .def_property_readonly(
          "backend", [](const Store& s) { return std::string(s.backend()); }, "'sqlite' or 'postgresql'.")
      .def_property_readonly("key_id", &Store::key_id, "The master key's id (not secret).")
      .def_property_readonly("store_id", &Store::store_id, "The store's random id (not secret).")
      .def_property_readonly("schema_version", &Store::schema_version, "The schema version.")
      .def("__enter__", [](StorePtr s) { return s; })
      .def(
          "__exit__", [](Store& s, py::object, py::object, py::object) { s.close(); }, py::arg("exc_type"),
          py::arg("exc"), py::arg("tb"))
      .def(
          "create_oauth_client",
          [](Store& s, std::string name, std::string client_id, std::string client_secret, std::string provider,
             std::optional<std::string> authorize_url, std::optional<std::string> token_url,
             std::optional<std::string> revoke_url, std::optional<std::string> redirect_uri,
             std::optional<std::string> scope, bool pkce, std::string client_credentials) {
            m::NewOAuthClient c;
            c.name = std::move(name);
            c.client_id = std::move(client_id);
            c.client_secret = secret_of(client_secret);
            c.provider = m::provider_from_string(provider);
            c.authorize_url = std::move(authorize_url);
            c.token_url = std::move(token_url);
            c.revoke_url = std::move(revoke_url);
            c.redirect_uri = std::move(redirect_uri);
            c.scope = std::move(scope);
            c.pkce = pkce;
            c.client_credentials = m::client_credentials_from_string(client_credentials);
            py::gil_scoped_release release;
            return s.create_oauth_client(std::move(c));
          },
          // The defaults are model::NewOAuthClient's.
          py::arg("name"), py::kw_only(), py::arg("client_id"), py::arg("client_secret"),
          py::arg("provider") = std::string(to_string(m::NewOAuthClient{}.provider)),
          py::arg("authorize_url") = py::none(), py::arg("token_url") = py::none(),
          py::arg("revoke_url") = py::none(), py::arg("redirect_uri") = py::none(), py::arg("scope") = py::none(),
          py::arg("pkce") = m::NewOAuthClient{}.pkce,
          py::arg("client_credentials") = std::string(to_string(m::NewOAuthClient{}.client_credentials)),
          "Register an OAuth 2.0 client. provider='harvest' fills Harvest's endpoints; 'custom' needs "
          "authorize_url and token_url.")
      .def("oauth_client", &Store::oauth_client, py::arg("name"), py::call_guard<py::gil_scoped_release>(),
           "The OAuth client of that name (NotFoundError otherwise).")
      .def("oauth_clients", &Store::oauth_clients, py::call_guard<py::gil_scoped_release>(),
           "All OAuth clients, by name.")
      .def(
          "update_oauth_client",
          [](Store& s, std::string name, std::optional<std::string> new_name, std::optional<std::string> client_id,
             std::optional<std::string> client_secret, std::optional<std::string> provider,
             std::optional<std::string> authorize_url, std::optional<std::string> token_url,
             std::optional<std::string> revoke_url, std::optional<std::string> redirect_uri,
             std::optional<std::string> scope, std::optional<bool> pkce,
             std::optional<std::string> client_credentials) {
            m::OAuthClientChanges ch;
            ch.name = std::move(new_name);
            ch.client_id = std::move(client_id);
            ch.client_secret = secret_of(client_secret);
            if (provider) ch.provider = m::provider_from_string(*provider);
            ch.authorize_url = std::move(authorize_url);
            ch.token_url = std::move(token_url);
            ch.revoke_url = std::move(revoke_url);
            ch.redirect_uri = std::move(redirect_uri);
            ch.scope = std::move(scope);
            ch.pkce = pkce;
            if (client_credentials) ch.client_credentials = m::client_credentials_from_string(*client_credentials);
            py::gil_scoped_release release;
            return s.update_oauth_client(name, std::move(ch));
          },
          py::arg("name"), py::kw_only(), py::arg("new_name") = py::none(), py::arg("client_id") = py::none(),
          py::arg("client_secret") = py::none(), py::arg("provider") = py::none(),
          py::arg("authorize_url") = py::none(), py::arg("token_url") = py::none(),
          py::arg("revoke_url") = py::none(), py::arg("redirect_uri") = py::none(), py::arg("scope") = py::none(),
          py::arg("pkce") = py::none(), py::arg("client_credentials") = py::none(),
          "Change the given fields (new_name renames). The stored client secret is kept unless a new one is "
          "given; an optional URL or scope given as '' is cleared.")
      .def("delete_oauth_client", &Store::delete_oauth_client, py::arg("name"),
           py::call_guard<py::gil_scoped_release>(),
           "Delete an OAuth client; refused (ValidationError naming them) while connections use it.")
      .def(
          "create_connection",
          [](const StorePtr& s, std::string name, std::string oauth_client, std::string account_id,
             std::optional<std::string> user_agent, std::optional<std::string> api_url,
             std::optional<std::string> id_url) {
            m::NewConnection c{std::move(name), std::move(oauth_client), secret_of(account_id), std::move(user_agent),
                               std::move(api_url), std::move(id_url)};
            py::gil_scoped_release release;
            return PyConnection{s->create_connection(std::move(c)), s};
          },
          py::arg("name"), py::kw_only(), py::arg("oauth_client"), py::arg("account_id"),
          py::arg("user_agent") = py::none(), py::arg("api_url") = py::none(), py::arg("id_url") = py::none(),
          "Create a connection that authorizes through an OAuth client. account_id is the Harvest account ID "
          "(digits); it is sealed and never shown again.")
      .def(
          "create_token_connection",
          [](const StorePtr& s, std::string name, std::string access_token, std::string account_id,
             std::optional<std::string> user_agent, std::optional<std::string> api_url,
             std::optional<std::string> id_url) {
            m::NewTokenConnection c{std::move(name),       secret_of(access_token), secret_of(account_id),
                                    std::move(user_agent), std::move(api_url),      std::move(id_url)};
            py::gil_scoped_release release;
            return PyConnection{s->create_token_connection(std::move(c)), s};
          },
          py::arg("name"), py::kw_only(), py::arg("access_token"), py::arg("account_id"),
          py::arg("user_agent") = py::none(), py::arg("api_url") = py::none(), py::arg("id_url") = py::none(),
          "Create a connection with a Harvest personal access token (sealed, never shown again).")
      .def(
          "connection",
          [](const StorePtr& s, const std::string& name) {
            py::gil_scoped_release release;
            return PyConnection{s->connection(name), s};
          },
          py::arg("name"), "The connection of that name (NotFoundError otherwise).")
      .def(
          "connections",
          [](const StorePtr& s) {
            std::vector<m::Connection> all;
            {
              py::gil_scoped_release release;
              all = s->connections();
            }
            std::vector<PyConnection> out;
            for (auto& c : all) out.push_back({std::move(c), s});
            return out;
          },
          "All connections, by name.")
      .def(
          "update_connection",
          [](const StorePtr& s, const std::string& name, std::string account_id, std::optional<std::string> new_name,
             std::optional<std::string> oauth_client, std::optional<std::string> access_token,
             std::optional<std::string> user_agent, std::optional<std::string> api_url,
             std::optional<std::string> id_url) {
            m::ConnectionChanges ch;
            ch.account_id = secret_of(account_id);
            ch.name = std::move(new_name);
            ch.oauth_client = std::move(oauth_client);
            ch.access_token = secret_of(access_token);
            ch.user_agent = std::move(user_agent);
            ch.api_url = std::move(api_url);
            ch.id_url = std::move(id_url);
            py::gil_scoped_release release;
            return PyConnection{s->update_connection(name, std::move(ch)), s};
          },
          py::arg("name"), py::kw_only(), py::arg("account_id"), py::arg("new_name") = py::none(),
          py::arg("oauth_client") = py::none(), py::arg("access_token") = py::none(),
          py::arg("user_agent") = py::none(), py::arg("api_url") = py::none(), py::arg("id_url") = py::none(),
          "Change a connection. The account ID must be entered again; other fields change only when given "
          "(user_agent='' restores the default). A new account ID, OAuth client or id_url forgets the tokens.")
      .def("delete_connection", &Store::delete_connection, py::arg("name"), py::call_guard<py::gil_scoped_release>(),
           "Delete a connection and its tokens.")
      .def(
          "rotate_key",
          [](Store& s, std::optional<crypto::MasterKey> new_key, std::optional<std::string> passphrase,
             bool keep_data_key) {
            if (new_key.has_value() == passphrase.has_value())
              throw error(errc::validation_failed, "new_key: give either a new Key or passphrase=, exactly one");
            const store::RotateKeyOptions options{keep_data_key};
            py::gil_scoped_release release;
            if (new_key)
              s.rotate_key(*new_key, options);
            else
              s.rotate_passphrase(secret_of(*passphrase), options);
          },
          py::arg("new_key") = py::none(), py::kw_only(), py::arg("passphrase") = py::none(),
          py::arg("keep_data_key") = false,
          "Move the store to a new master key (or passphrase) in one transaction: every secret is re-sealed "
          "under a fresh data key wrapped by the new key (keep_data_key=True only rewraps the current data "
          "key). The old key then no longer opens the store. Save the new key first.")
      .def("rotate_data_key", &Store::rotate_data_key, py::call_guard<py::gil_scoped_release>(),
           "Re-seal every secret under a new data key and re-authenticate every row, in one transaction.")
      .def("verify", &Store::verify, py::call_guard<py::gil_scoped_release>(),
           "Check every row's authenticator and open every sealed field; returns the problems found ([] when "
           "all is well).");

  mod.def(
      "_scan_store_for_secrets",
      [](const Store& s, const std::string& connection) {
        std::vector<store::SecretScanFinding> findings;
        {
          py::gil_scoped_release release;
          findings = store::scan_for_secrets_in_clear(s, connection);
        }
        std::vector<std::pair<std::string, bool>> out;
        for (auto& f : findings) out.emplace_back(std::move(f.secret), f.found_in_clear);
        return out;
      },
      py::arg("store"), py::arg("connection"),
      "[(what, found_in_clear)] for the connection's account ID, client secret and tokens: a byte scan of the "
      "store's files (the demo's check).");
  mod.def("default_store_path", &store::default_store_path,
          "Where Store.open() keeps the store by default (HARVEST_CONNECT_HOME, else the XDG data directory).");
  mod.def("default_store_location", &store::default_store_location,
          "Where Store.open() finds the store without a path: HARVEST_CONNECT_STORE (a path or a PostgreSQL URL), "
          "else default_store_path().");
  mod.def("is_database_url", [](const std::string& s) { return store::is_database_url(s); }, py::arg("location"),
          "Whether location is a PostgreSQL URL (postgresql:// or postgres://) rather than a file path.");
  mod.def("default_key_file_path", &store::default_key_file_path,
          "The default key file (HARVEST_CONNECT_HOME, else the XDG config directory).");
  mod.def("default_user_agent", &m::default_user_agent,
          "The User-Agent used when a connection sets none (HARVEST_CONNECT_CONTACT gives the contact).");
}

}  // namespace harvest_connect::python

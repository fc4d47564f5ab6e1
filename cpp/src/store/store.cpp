#include "harvest_connect/store/store.hpp"

#include <charconv>
#include <chrono>
#include <cstring>
#include <mutex>

#include "harvest_connect/crypto/core_dumps.hpp"
#include "harvest_connect/crypto/encoding.hpp"
#include "harvest_connect/crypto/envelope.hpp"
#include "harvest_connect/crypto/random.hpp"
#include "harvest_connect/crypto/scrypt.hpp"
#include "harvest_connect/crypto/sealed_field.hpp"
#include "harvest_connect/error.hpp"
#include "harvest_connect/model/harvest.hpp"
#include "harvest_connect/model/validation.hpp"
#include "crypto/detail/digest.hpp"
#include "store/detail/connect.hpp"
#include "store/detail/key_source.hpp"
#include "store/detail/migrations.hpp"
#include "store/detail/pull_state.hpp"
#include "store/detail/rate_budget.hpp"
#include "store/detail/row_mac.hpp"
#include "store/detail/schema.hpp"
#include "store/detail/database.hpp"
#include "store/detail/store_access.hpp"

namespace harvest_connect::store {
namespace {

namespace fs = std::filesystem;
using detail::Database;
using detail::Statement;
using detail::Transaction;
using crypto::Secret;
using Bytes = std::vector<unsigned char>;

std::int64_t now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string new_uid() { return crypto::hex_encode(crypto::random_bytes(16)); }

// A name as shown in a message (in_quotes: quoted), control characters escaped (a name looked up is
// not validated yet and must not put terminal escapes into an error text), long ones cut.
std::string printable(std::string_view s) {
  constexpr std::size_t shown = 100;
  std::string out;
  for (std::size_t i = 0; i < s.size() && i < shown; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) {
      static constexpr char hex[] = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > shown) out += "...";
  return out;
}

std::string in_quotes(std::string_view s) { return "'" + printable(s) + "'"; }

// The tables that hold sealed columns, for verify() and rotate_data_key().
struct SealedTable {
  const char* table;
  const char* display;
  const char* name_column;
  std::vector<const char*> columns;
};

const std::vector<SealedTable>& sealed_tables() {
  static const std::vector<SealedTable> tables{
      {"oauth_clients", "oauth_client", "name", {"client_secret"}},
      {"connections", "connection", "name", {"account_id", "personal_access_token", "access_token", "refresh_token"}},
      {"pending_authorizations", "pending_authorization", "uid", {"code_verifier"}},
      {"pull_states", "pull_state", "name", {}},  // nothing sealed: listed for display_of()
  };
  return tables;
}

const char* display_of(std::string_view table) {
  for (const auto& t : sealed_tables())
    if (table == t.table) return t.display;
  return "record";
}

constexpr const char* client_columns =
    "SELECT id, uid, name, provider, client_id, authorize_url, token_url, revoke_url, redirect_uri, scope, pkce, "
    "client_credentials, created_at, updated_at FROM oauth_clients";

constexpr const char* connection_columns =
    "SELECT c.id, c.uid, c.name, c.type, o.name, c.personal_access_token IS NOT NULL, c.user_agent, c.api_url, "
    "c.id_url, c.status, c.access_token IS NOT NULL, c.refresh_token IS NOT NULL, c.token_expires_at, c.last_error, "
    "c.created_at, c.updated_at, o.id, o.uid FROM connections c LEFT JOIN oauth_clients o ON o.id = c.oauth_client_id";

model::OAuthClient client_from_row(const Statement& s) {
  model::OAuthClient c;
  c.id = s.text(1);
  c.name = s.text(2);
  c.provider = model::provider_from_string(s.text(3));
  c.client_id = s.text(4);
  c.authorize_url = s.optional_text(5);
  c.token_url = s.optional_text(6);
  c.revoke_url = s.optional_text(7);
  c.redirect_uri = s.optional_text(8);
  c.scope = s.optional_text(9);
  c.pkce = s.int64(10) != 0;
  c.client_credentials = model::client_credentials_from_string(s.text(11));
  c.created_at = s.int64(12);
  c.updated_at = s.int64(13);
  return c;
}

model::Connection connection_from_row(const Statement& s) {
  model::Connection c;
  c.id = s.text(1);
  c.name = s.text(2);
  c.type = s.text(3);
  c.oauth_client = s.optional_text(4).value_or("");
  c.auth = s.int64(5) ? model::AuthMethod::personal_access_token : model::AuthMethod::oauth;
  c.user_agent = s.optional_text(6);
  c.api_url = s.text(7);
  c.id_url = s.text(8);
  c.status = model::connection_status_from_string(s.text(9));
  c.has_access_token = s.int64(10) != 0;
  c.has_refresh_token = s.int64(11) != 0;
  c.token_expires_at = s.optional_int64(12);
  c.last_error = s.optional_text(13);
  c.created_at = s.int64(14);
  c.updated_at = s.int64(15);
  return c;
}

// Pending authorizations are found by the hash of their `state`, never by the value itself.
Bytes sha256(const Secret& s) {
  const crypto::detail::Sha256 digest = crypto::detail::sha256(s.reveal());
  return Bytes(digest.begin(), digest.end());
}

}  // namespace

class Store::Impl {
 public:
  Database db;
  fs::path path;         // the SQLite file; empty for a PostgreSQL store
  std::string location;  // the file, or the database URL without its password
  std::string store_id;
  std::optional<crypto::MasterKey> master;
  crypto::DataKey dek;
  Secret row_key;  // HKDF of dek.key (store/detail/row_mac.hpp)
  int version = 0;
  mutable std::recursive_mutex mu;

  void set_data_key(crypto::DataKey k) {
    row_key = detail::derive_row_mac_key(k.key);
    dek = std::move(k);
  }
  std::string wrap_context() const { return detail::wrap_context(store_id, version); }

  // --- row authenticators ---
  void authenticate(std::string_view table, std::int64_t rowid) {
    detail::authenticate_row(db, detail::authenticated_table(table), row_key, store_id, rowid);
  }
  // Runs an INSERT ... RETURNING id and authenticates the new row.
  void authenticate_insert(std::string_view table, Statement& insert) {
    authenticate(table, detail::insert_returning_id(insert));
  }
  // Called before anything from the row is used (returned, sent, or written back).
  void check_row(std::string_view table, std::int64_t rowid, std::string_view name, std::string_view uid) {
    const auto& t = detail::authenticated_table(table);
    if (!detail::row_is_authentic(db, t, row_key, store_id, rowid))
      throw error(errc::decryption_failed,
                  std::string("integrity check failed: the ") + t.display + " " + in_quotes(name) + " (record id " + in_quotes(uid) +
                      ") was changed outside harvest-connect (e.g. a URL, a name or its OAuth client) or damaged, so "
                      "it was not used and nothing was sent. Restore the store from a backup, or delete the " +
                      t.display + " and create it again; verifying the store lists every such record");
  }
  // Throws for the first row of any table whose authenticator does not verify.
  void check_all_rows() {
    for (const auto& t : detail::authenticated_tables()) {
      Statement s = db.prepare(std::string("SELECT id, ") + t.name_column + ", uid FROM " + t.table);
      while (s.step()) check_row(t.table, s.int64(0), s.text(1), s.text(2));
    }
  }
  void authenticate_all_rows(const Secret& key) {
    for (const auto& t : detail::authenticated_tables()) {
      Statement s = db.prepare(std::string("SELECT id FROM ") + t.table);
      while (s.step()) detail::authenticate_row(db, t, key, store_id, s.int64(0));
    }
  }
  // Re-seals every sealed field under `fresh` and re-authenticates every row with its row
  // key, inside the caller's transaction. The rows must have been checked first: this
  // would otherwise make a tampered row authentic.
  void reseal_everything(const crypto::DataKey& fresh);
  // SQLite: moves the old pages (old wrapped key, old sealed values, deleted rows) out of
  // the -wal file (store/detail/database.hpp). Best effort after a commit.
  void checkpoint() noexcept { db.checkpoint(); }

  void check_open() const {
    if (!db.is_open()) throw error(errc::store_error, "the store is closed; open it again with Store.open()");
  }

  // --- meta ---
  std::optional<Bytes> meta(std::string_view key) {
    Statement s = db.prepare("SELECT value FROM meta WHERE key = ?");
    s.bind(1, key);
    if (!s.step()) return std::nullopt;
    return s.blob(0);
  }
  std::optional<std::string> meta_text(std::string_view key) {
    auto b = meta(key);
    if (!b) return std::nullopt;
    return std::string(b->begin(), b->end());
  }
  void set_meta(std::string_view key, std::span<const unsigned char> value) {
    db.prepare("INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
        .bind(1, key)
        .bind_blob(2, value)
        .run();
  }
  void set_meta(std::string_view key, std::string_view value) {
    set_meta(key, std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(value.data()), value.size()));
  }
  std::optional<detail::Kdf> read_kdf() {
    auto salt = meta("kdf_salt");
    if (!salt) return std::nullopt;
    detail::Kdf k{*salt, {}};
    // Parsed strictly: a damaged value is this library's store_error, never std::stoull's
    // std::invalid_argument escaping Store::open (found by tests/fuzz/fuzz_store_open.cpp).
    auto number = [&](const char* key, auto& out) {
      const std::string text = meta_text(key).value_or("");
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
      if (ec != std::errc() || end != text.data() + text.size() || text.empty())
        throw error(errc::store_error, "the store's passphrase parameters are damaged");
    };
    number("kdf_n", k.params.n);
    number("kdf_r", k.params.r);
    number("kdf_p", k.params.p);
    return k;
  }
  void write_kdf(const std::optional<detail::Kdf>& k) {
    if (!k) {
      db.exec("DELETE FROM meta WHERE key IN ('kdf_salt', 'kdf_n', 'kdf_r', 'kdf_p')");
      return;
    }
    set_meta("kdf_salt", k->salt);
    set_meta("kdf_n", std::to_string(k->params.n));
    set_meta("kdf_r", std::to_string(k->params.r));
    set_meta("kdf_p", std::to_string(k->params.p));
  }

  // --- sealing ---
  crypto::FieldContext where(std::string_view table, std::string_view uid, std::string_view field) const {
    return {store_id, std::string(table), std::string(uid), std::string(field)};
  }
  Bytes seal(std::string_view table, std::string_view uid, std::string_view field, const Secret& value) const {
    return crypto::seal_field(dek.key, dek.id, where(table, uid, field), value.reveal());
  }
  Secret unseal(std::string_view table, std::string_view uid, std::string_view field, const Bytes& sealed,
                std::string_view record_name) const {
    std::error_code ec;
    Secret out = crypto::open_field(dek.key, dek.id, where(table, uid, field), sealed, ec);
    if (ec)
      throw error(errc::decryption_failed,
                  "the encrypted field '" + std::string(field) + "' of " + display_of(table) + " " +
                      in_quotes(record_name) +
                      " failed to authenticate: it was changed, damaged, or copied from another record. Enter it "
                      "again (edit the record) or restore the store from a backup; other records are not affected");
    return out;
  }
  std::optional<Secret> unseal_column(const Statement& s, int col, std::string_view table, std::string_view uid,
                                      std::string_view field, std::string_view name) const {
    if (s.is_null(col)) return std::nullopt;
    return unseal(table, uid, field, s.blob(col), name);
  }

  // --- lookups ---
  struct ClientRow {
    std::int64_t rowid;
    model::OAuthClient value;
  };
  // `authentic`: check the row's authenticator first (every path but deletion, which must
  // work on a tampered record so that it can be created again).
  std::optional<ClientRow> find_client(std::string_view name, bool authentic = true) {
    Statement s = db.prepare(std::string(client_columns) + " WHERE name = ?");
    s.bind(1, name);
    if (!s.step()) return std::nullopt;
    if (authentic) check_row("oauth_clients", s.int64(0), s.text(2), s.text(1));
    return ClientRow{s.int64(0), client_from_row(s)};
  }
  ClientRow client_or_throw(std::string_view name, bool authentic = true) {
    auto c = find_client(name, authentic);
    if (!c)
      throw error(errc::not_found, "there is no OAuth client named " + in_quotes(name) +
                                       " (list them with oauth_clients())");
    return *c;
  }
  struct ConnectionRow {
    std::int64_t rowid;
    model::Connection value;
  };
  // A connection row names its OAuth client (model::Connection::oauth_client): the client's
  // row is checked with it.
  void check_connection_row(const Statement& s) {
    check_row("connections", s.int64(0), s.text(2), s.text(1));
    if (!s.is_null(16)) check_row("oauth_clients", s.int64(16), s.text(4), s.text(17));
  }
  std::optional<ConnectionRow> find_connection(std::string_view name, bool authentic = true) {
    Statement s = db.prepare(std::string(connection_columns) + " WHERE c.name = ?");
    s.bind(1, name);
    if (!s.step()) return std::nullopt;
    if (authentic) check_connection_row(s);
    return ConnectionRow{s.int64(0), connection_from_row(s)};
  }
  ConnectionRow connection_or_throw(std::string_view name, bool authentic = true) {
    auto c = find_connection(name, authentic);
    if (!c)
      throw error(errc::not_found, "there is no connection named " + in_quotes(name) +
                                       " (list them with connections())");
    return *c;
  }
  void check_unique(const char* table, const char* what, std::string_view name, std::int64_t except_rowid = -1) {
    Statement s = db.prepare(std::string("SELECT name FROM ") + table + " WHERE name = ? AND id <> ?");
    s.bind(1, name).bind(2, except_rowid);
    if (s.step())
      throw error(errc::duplicate_name, std::string("name: ") + what + " named " + in_quotes(s.text(0)) +
                                            " already exists (names are compared ignoring case); choose another name");
  }
  std::int64_t client_rowid_for_connection(std::string_view client_name) {
    // As a name is checked when a client is created, so the name that refers to it.
    const std::string name = model::validate_name("oauth_client", client_name);
    auto c = find_client(name);
    if (!c)
      throw error(errc::validation_failed, "oauth_client: there is no OAuth client named " + in_quotes(client_name) +
                                               "; create it first (create_oauth_client)");
    return c->rowid;
  }

  void purge_expired_authorizations() {
    db.prepare("DELETE FROM pending_authorizations WHERE expires_at <= ?").bind(1, now()).run();
  }
};

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::Store(Store&&) noexcept = default;
Store& Store::operator=(Store&&) noexcept = default;
Store::~Store() = default;

Store Store::open(const OpenOptions& options) {
  // Decrypted secrets will live in this process from now on: no core dumps
  // (crypto/core_dumps.hpp; HARVEST_CONNECT_ALLOW_CORE_DUMPS=1 opts out).
  crypto::disable_core_dumps();
  auto impl = std::make_unique<Impl>();
  Database& db = impl->db;
  detail::connect(db, options);
  impl->location = detail::location_of(options);
  if (db.kind() == detail::BackendKind::sqlite) impl->path = impl->location;

  if (detail::holds_no_store(db)) {
    detail::ResolvedKey rk = detail::resolve_key(options, true, std::nullopt);
    detail::prepare_new_store(db);
    Transaction tx(db, Transaction::Kind::immediate);
    if (detail::holds_no_store(db)) {  // another process may have created it meanwhile
      impl->version = detail::create_schema(db);
      impl->store_id = new_uid();
      impl->set_data_key(crypto::DataKey::generate());
      impl->set_meta("store_id", impl->store_id);
      impl->set_meta("created_at", std::to_string(now()));
      impl->set_meta("wrapped_data_key", crypto::wrap_data_key(rk.key, impl->dek, impl->wrap_context()));
      impl->write_kdf(rk.kdf);
      impl->master = std::move(rk.key);
      tx.commit();
      detail::after_open(options);
      return Store(std::move(impl));
    }
  }

  // An existing store: check the key before anything else is read or written.
  const int version = db.schema_version();
  detail::check_schema_supported(version, impl->location);
  std::optional<std::string> store_id;
  std::optional<Bytes> wrapped;
  std::optional<detail::Kdf> kdf;
  try {
    store_id = impl->meta_text("store_id");
    wrapped = impl->meta("wrapped_data_key");
    kdf = impl->read_kdf();
  } catch (const error&) {
    store_id.reset();
  }
  if (version < 1 || !store_id || !wrapped)
    throw error(errc::store_error, impl->location + " is not a harvest-connect store (or it is damaged); give "
                                                     "another path or restore a backup");
  detail::ResolvedKey rk = detail::resolve_key(options, false, kdf);
  impl->store_id = *store_id;
  impl->set_data_key(detail::unwrap_store_data_key(rk.key, *wrapped, impl->store_id, version, impl->location));
  impl->master = std::move(rk.key);
  db.use_write_ahead_log();  // SQLite: WAL, as a new store gets (store/detail/connect.hpp)
  // Set first: the upgrade rewraps the data key under the latest version's wrap context.
  impl->version = detail::latest_schema_version();
  const bool migrated = detail::upgrade_schema(db, version, {.authenticate_existing_rows = [&] {
    impl->authenticate_all_rows(impl->row_key);
    impl->set_meta("wrapped_data_key", crypto::wrap_data_key(*impl->master, impl->dek, impl->wrap_context()));
  }});
  if (migrated) impl->checkpoint();  // the version 1 wrapping leaves the -wal file
  detail::after_open(options);
  return Store(std::move(impl));
}

void Store::close() noexcept {
  if (!impl_) return;
  std::lock_guard lock(impl_->mu);
  impl_->db.close();
}

bool Store::closed() const noexcept { return !impl_ || !impl_->db.is_open(); }
const fs::path& Store::path() const noexcept { return impl_->path; }
const std::string& Store::location() const noexcept { return impl_->location; }
std::string_view Store::backend() const noexcept { return impl_->path.empty() ? "postgresql" : "sqlite"; }
std::string Store::store_id() const { return impl_->store_id; }
std::string Store::key_id() const { return impl_->master ? impl_->master->id() : std::string(); }
int Store::schema_version() const { return impl_->version; }

// ----------------------------------------------------------------------------------
// OAuth clients

model::OAuthClient Store::create_oauth_client(model::NewOAuthClient spec) {
  model::validate(spec);
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  Database& db = impl_->db;
  Transaction tx(db, Transaction::Kind::immediate);
  impl_->check_unique("oauth_clients", "an OAuth client", spec.name);
  const std::string uid = new_uid();
  const std::int64_t t = now();
  Statement insert = db.prepare(
      "INSERT INTO oauth_clients(uid, name, provider, client_id, client_secret, authorize_url, token_url, "
      "revoke_url, redirect_uri, scope, pkce, client_credentials, created_at, updated_at) "
      "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id");
  insert.bind(1, uid)
      .bind(2, spec.name)
      .bind(3, model::to_string(spec.provider))
      .bind(4, spec.client_id)
      .bind_blob(5, impl_->seal("oauth_clients", uid, "client_secret", spec.client_secret))
      .bind(6, spec.authorize_url)
      .bind(7, spec.token_url)
      .bind(8, spec.revoke_url)
      .bind(9, spec.redirect_uri)
      .bind(10, spec.scope)
      .bind(11, std::int64_t{spec.pkce})
      .bind(12, model::to_string(spec.client_credentials))
      .bind(13, t)
      .bind(14, t);
  impl_->authenticate_insert("oauth_clients", insert);
  model::OAuthClient out = impl_->client_or_throw(spec.name).value;
  tx.commit();
  return out;
}

model::OAuthClient Store::oauth_client(std::string_view name) const {
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  return impl_->client_or_throw(name).value;
}

std::vector<model::OAuthClient> Store::oauth_clients() const {
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  std::vector<model::OAuthClient> out;
  // A tampered row makes the whole list fail, naming it: nothing tampered is ever shown
  // as if it were sound (verify() lists them all).
  Transaction tx(impl_->db, Transaction::Kind::deferred);
  Statement s = impl_->db.prepare(std::string(client_columns) + " ORDER BY name");
  while (s.step()) {
    impl_->check_row("oauth_clients", s.int64(0), s.text(2), s.text(1));
    out.push_back(client_from_row(s));
  }
  return out;
}

model::OAuthClient Store::update_oauth_client(std::string_view name, model::OAuthClientChanges ch) {
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  Database& db = impl_->db;
  Transaction tx(db, Transaction::Kind::immediate);
  auto [rowid, cur] = impl_->client_or_throw(name);
  // Merge, then validate the result as a whole (e.g. provider "custom" needs URLs).
  model::NewOAuthClient merged;
  merged.name = ch.name ? *ch.name : cur.name;
  merged.client_id = ch.client_id ? *ch.client_id : cur.client_id;
  merged.client_secret = ch.client_secret ? *ch.client_secret : Secret::from_string("kept");
  merged.provider = ch.provider.value_or(cur.provider);
  auto pick = [](const std::optional<std::string>& change, const std::optional<std::string>& current) {
    if (!change) return current;
    return change->empty() ? std::optional<std::string>() : change;
  };
  merged.authorize_url = pick(ch.authorize_url, cur.authorize_url);
  merged.token_url = pick(ch.token_url, cur.token_url);
  merged.revoke_url = pick(ch.revoke_url, cur.revoke_url);
  merged.redirect_uri = pick(ch.redirect_uri, cur.redirect_uri);
  merged.scope = pick(ch.scope, cur.scope);
  merged.pkce = ch.pkce.value_or(cur.pkce);
  merged.client_credentials = ch.client_credentials.value_or(cur.client_credentials);
  model::validate(merged);
  impl_->check_unique("oauth_clients", "an OAuth client", merged.name, rowid);
  db.prepare(
        "UPDATE oauth_clients SET name = ?, provider = ?, client_id = ?, authorize_url = ?, token_url = ?, "
        "revoke_url = ?, redirect_uri = ?, scope = ?, pkce = ?, client_credentials = ?, updated_at = ? WHERE id = ?")
      .bind(1, merged.name)
      .bind(2, model::to_string(merged.provider))
      .bind(3, merged.client_id)
      .bind(4, merged.authorize_url)
      .bind(5, merged.token_url)
      .bind(6, merged.revoke_url)
      .bind(7, merged.redirect_uri)
      .bind(8, merged.scope)
      .bind(9, std::int64_t{merged.pkce})
      .bind(10, model::to_string(merged.client_credentials))
      .bind(11, now())
      .bind(12, rowid)
      .run();
  if (ch.client_secret)
    db.prepare("UPDATE oauth_clients SET client_secret = ? WHERE id = ?")
        .bind_blob(1, impl_->seal("oauth_clients", cur.id, "client_secret", *ch.client_secret))
        .bind(2, rowid)
        .run();
  impl_->authenticate("oauth_clients", rowid);
  model::OAuthClient out = impl_->client_or_throw(merged.name).value;
  tx.commit();
  return out;
}

void Store::delete_oauth_client(std::string_view name) {
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  Database& db = impl_->db;
  Transaction tx(db, Transaction::Kind::immediate);
  auto row = impl_->client_or_throw(name, false);
  Statement users = db.prepare("SELECT name FROM connections WHERE oauth_client_id = ? ORDER BY name");
  users.bind(1, row.rowid);
  std::string names;
  while (users.step()) names += (names.empty() ? "" : ", ") + in_quotes(users.text(0));
  if (!names.empty())
    throw error(errc::validation_failed, "the OAuth client " + in_quotes(row.value.name) + " is used by connection(s) " +
                                             names + "; delete them or move them to another client first");
  db.prepare("DELETE FROM oauth_clients WHERE id = ?").bind(1, row.rowid).run();
  tx.commit();
  impl_->checkpoint();
}

// ----------------------------------------------------------------------------------
// Connections

namespace {

struct CommonConnectionFields {
  std::string name;
  std::optional<std::string> user_agent;
  std::string api_url;
  std::string id_url;
};

CommonConnectionFields validate_common(std::string_view name, const Secret& account_id,
                                       const std::optional<std::string>& user_agent,
                                       const std::optional<std::string>& api_url,
                                       const std::optional<std::string>& id_url) {
  CommonConnectionFields f;
  f.name = model::validate_name("name", name);
  model::validate_account_id(account_id);
  if (user_agent && !user_agent->empty()) {
    model::validate_user_agent(*user_agent);
    f.user_agent = *user_agent;
  }
  f.api_url = model::validate_url("api_url", api_url && !api_url->empty() ? *api_url : model::harvest::api_url, true);
  f.id_url = model::validate_url("id_url", id_url && !id_url->empty() ? *id_url : model::harvest::id_url, true);
  return f;
}

}  // namespace

model::Connection Store::create_connection(model::NewConnection spec) {
  auto f = validate_common(spec.name, spec.account_id, spec.user_agent, spec.api_url, spec.id_url);
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  Database& db = impl_->db;
  Transaction tx(db, Transaction::Kind::immediate);
  impl_->check_unique("connections", "a connection", f.name);
  const std::int64_t client_rowid = impl_->client_rowid_for_connection(spec.oauth_client);
  const std::string uid = new_uid();
  const std::int64_t t = now();
  Statement insert = db.prepare(
      "INSERT INTO connections(uid, name, type, oauth_client_id, account_id, user_agent, api_url, id_url, status, "
      "created_at, updated_at) VALUES(?, ?, 'harvest', ?, ?, ?, ?, ?, 'not_authorized', ?, ?) RETURNING id");
  insert.bind(1, uid)
      .bind(2, f.name)
      .bind(3, client_rowid)
      .bind_blob(4, impl_->seal("connections", uid, "account_id", spec.account_id))
      .bind(5, f.user_agent)
      .bind(6, f.api_url)
      .bind(7, f.id_url)
      .bind(8, t)
      .bind(9, t);
  impl_->authenticate_insert("connections", insert);
  model::Connection out = impl_->connection_or_throw(f.name).value;
  tx.commit();
  return out;
}

model::Connection Store::create_token_connection(model::NewTokenConnection spec) {
  auto f = validate_common(spec.name, spec.account_id, spec.user_agent, spec.api_url, spec.id_url);
  model::validate_secret("access_token", spec.access_token);
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  Database& db = impl_->db;
  Transaction tx(db, Transaction::Kind::immediate);
  impl_->check_unique("connections", "a connection", f.name);
  const std::string uid = new_uid();
  const std::int64_t t = now();
  Statement insert = db.prepare(
      "INSERT INTO connections(uid, name, type, personal_access_token, account_id, user_agent, api_url, id_url, "
      "status, created_at, updated_at) VALUES(?, ?, 'harvest', ?, ?, ?, ?, ?, 'authorized', ?, ?) RETURNING id");
  insert.bind(1, uid)
      .bind(2, f.name)
      .bind_blob(3, impl_->seal("connections", uid, "personal_access_token", spec.access_token))
      .bind_blob(4, impl_->seal("connections", uid, "account_id", spec.account_id))
      .bind(5, f.user_agent)
      .bind(6, f.api_url)
      .bind(7, f.id_url)
      .bind(8, t)
      .bind(9, t);
  impl_->authenticate_insert("connections", insert);
  model::Connection out = impl_->connection_or_throw(f.name).value;
  tx.commit();
  return out;
}

model::Connection Store::connection(std::string_view name) const {
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  return impl_->connection_or_throw(name).value;
}

std::vector<model::Connection> Store::connections() const {
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  std::vector<model::Connection> out;
  Transaction tx(impl_->db, Transaction::Kind::deferred);
  Statement s = impl_->db.prepare(std::string(connection_columns) + " ORDER BY c.name");
  while (s.step()) {
    impl_->check_connection_row(s);  // see oauth_clients()
    out.push_back(connection_from_row(s));
  }
  return out;
}

model::Connection Store::update_connection(std::string_view name, model::ConnectionChanges ch) {
  model::validate_account_id(ch.account_id);
  if (ch.access_token) model::validate_secret("access_token", *ch.access_token);
  if (ch.access_token && ch.oauth_client)
    throw error(errc::validation_failed,
                "access_token: give either an OAuth client or a personal access token, not both");
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  Database& db = impl_->db;
  Transaction tx(db, Transaction::Kind::immediate);
  auto [rowid, cur] = impl_->connection_or_throw(name);
  std::optional<std::string> ua = cur.user_agent;
  if (ch.user_agent) ua = ch.user_agent->empty() ? std::nullopt : ch.user_agent;
  auto f = validate_common(ch.name.value_or(cur.name), ch.account_id, ua,
                           ch.api_url ? ch.api_url : std::optional<std::string>(cur.api_url),
                           ch.id_url ? ch.id_url : std::optional<std::string>(cur.id_url));
  impl_->check_unique("connections", "a connection", f.name, rowid);

  // Tokens belong to one account, client and identity service: a change of any forgets them.
  bool forget_tokens = f.id_url != cur.id_url;
  {
    Statement s = db.prepare("SELECT account_id FROM connections WHERE id = ?");
    s.bind(1, rowid);
    s.step();
    std::error_code ec;
    Secret old = crypto::open_field(impl_->dek.key, impl_->dek.id, impl_->where("connections", cur.id, "account_id"),
                                    s.blob(0), ec);
    if (ec || !(old == ch.account_id)) forget_tokens = true;  // a damaged value is simply replaced
  }
  std::optional<std::int64_t> client_rowid;
  if (ch.oauth_client) {
    client_rowid = impl_->client_rowid_for_connection(*ch.oauth_client);
    if (cur.auth != model::AuthMethod::oauth || *ch.oauth_client != cur.oauth_client) forget_tokens = true;
  }
  const std::int64_t t = now();
  db.prepare(
        "UPDATE connections SET name = ?, account_id = ?, user_agent = ?, api_url = ?, id_url = ?, updated_at = ? "
        "WHERE id = ?")
      .bind(1, f.name)
      .bind_blob(2, impl_->seal("connections", cur.id, "account_id", ch.account_id))
      .bind(3, f.user_agent)
      .bind(4, f.api_url)
      .bind(5, f.id_url)
      .bind(6, t)
      .bind(7, rowid)
      .run();
  if (ch.access_token) {
    db.prepare(
          "UPDATE connections SET personal_access_token = ?, oauth_client_id = NULL, access_token = NULL, "
          "refresh_token = NULL, token_expires_at = NULL, status = 'authorized', last_error = NULL WHERE id = ?")
        .bind_blob(1, impl_->seal("connections", cur.id, "personal_access_token", *ch.access_token))
        .bind(2, rowid)
        .run();
  } else {
    if (client_rowid)
      db.prepare("UPDATE connections SET oauth_client_id = ?, personal_access_token = NULL WHERE id = ?")
          .bind(1, *client_rowid)
          .bind(2, rowid)
          .run();
    if (forget_tokens)
      db.prepare(
            "UPDATE connections SET access_token = NULL, refresh_token = NULL, token_expires_at = NULL, "
            "last_error = NULL, status = CASE WHEN personal_access_token IS NULL THEN 'not_authorized' "
            "ELSE 'authorized' END WHERE id = ?")
          .bind(1, rowid)
          .run();
  }
  impl_->authenticate("connections", rowid);
  model::Connection out = impl_->connection_or_throw(f.name).value;
  tx.commit();
  return out;
}

void Store::delete_connection(std::string_view name) {
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  Database& db = impl_->db;
  Transaction tx(db, Transaction::Kind::immediate);
  auto row = impl_->connection_or_throw(name, false);
  db.prepare("DELETE FROM connections WHERE id = ?").bind(1, row.rowid).run();
  tx.commit();
  impl_->checkpoint();
}

model::HttpSettings Store::http_settings(std::string_view connection_name) const {
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  Transaction tx(impl_->db, Transaction::Kind::deferred);
  auto conn = impl_->connection_or_throw(connection_name).value;
  std::optional<model::OAuthClient> client;
  if (conn.auth == model::AuthMethod::oauth) client = impl_->client_or_throw(conn.oauth_client).value;
  return model::http_settings(conn, client ? &*client : nullptr);
}

// ----------------------------------------------------------------------------------
// Keys

void Store::Impl::reseal_everything(const crypto::DataKey& fresh) {
  for (const SealedTable& t : sealed_tables()) {
    for (const char* col : t.columns) {
      Statement s = db.prepare(std::string("SELECT id, uid, ") + t.name_column + ", " + col + " FROM " + t.table +
                               " WHERE " + col + " IS NOT NULL");
      while (s.step()) {
        const std::string uid = s.text(1);
        Secret plain = unseal(t.table, uid, col, s.blob(3), s.text(2));
        Bytes resealed = crypto::seal_field(fresh.key, fresh.id, where(t.table, uid, col), plain.reveal());
        db.prepare(std::string("UPDATE ") + t.table + " SET " + col + " = ? WHERE id = ?")
            .bind_blob(1, resealed)
            .bind(2, s.int64(0))
            .run();
      }
    }
  }
  authenticate_all_rows(detail::derive_row_mac_key(fresh.key));
}

namespace {

// Moves the store to `new_master` (with `kdf` when it came from a passphrase): a fresh data
// key with every field re-sealed unless `keep_data_key`, in one transaction. With the data
// key kept, anyone holding the old master key and a copy of the old wrapped data key (a
// backup, or a -wal file) can still open the current fields: hence the default.
void move_to_master_key(Store::Impl& impl, crypto::MasterKey new_master, std::optional<detail::Kdf> kdf,
                        const RotateKeyOptions& options) {
  std::lock_guard lock(impl.mu);
  impl.check_open();
  Transaction tx(impl.db, Transaction::Kind::immediate);
  auto wrapped = impl.meta("wrapped_data_key");
  if (!wrapped) throw error(errc::store_error, "the store has no data key; restore it from a backup");
  std::optional<crypto::DataKey> fresh;
  if (options.keep_data_key) {
    impl.set_meta("wrapped_data_key",
                  crypto::rewrap_data_key(*impl.master, new_master, *wrapped, impl.wrap_context()));
  } else {
    impl.check_all_rows();  // never re-authenticate a tampered row
    fresh = crypto::DataKey::generate();
    impl.reseal_everything(*fresh);
    impl.set_meta("wrapped_data_key", crypto::wrap_data_key(new_master, *fresh, impl.wrap_context()));
  }
  impl.write_kdf(kdf);
  tx.commit();
  impl.master = std::move(new_master);
  if (fresh) impl.set_data_key(std::move(*fresh));
  impl.checkpoint();
}

}  // namespace

void Store::rotate_key(const crypto::MasterKey& new_key) { rotate_key(new_key, RotateKeyOptions{}); }

void Store::rotate_key(const crypto::MasterKey& new_key, const RotateKeyOptions& options) {
  move_to_master_key(*impl_, new_key, std::nullopt, options);
}

void Store::rotate_passphrase(const crypto::Secret& passphrase) { rotate_passphrase(passphrase, RotateKeyOptions{}); }

void Store::rotate_passphrase(const crypto::Secret& passphrase, const RotateKeyOptions& options) {
  model::validate_new_passphrase(passphrase);
  crypto::PassphraseKey pk = crypto::derive_passphrase_key(passphrase);
  move_to_master_key(*impl_, std::move(pk.key), detail::Kdf{pk.salt, pk.params}, options);
}

void Store::rotate_data_key() {
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  Transaction tx(impl_->db, Transaction::Kind::immediate);
  impl_->check_all_rows();  // never re-authenticate a tampered row
  crypto::DataKey fresh = crypto::DataKey::generate();
  impl_->reseal_everything(fresh);
  impl_->set_meta("wrapped_data_key", crypto::wrap_data_key(*impl_->master, fresh, impl_->wrap_context()));
  tx.commit();
  impl_->set_data_key(std::move(fresh));
  impl_->checkpoint();
}

std::vector<Problem> Store::verify() const {
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  Database& db = impl_->db;
  Transaction tx(db, Transaction::Kind::deferred);
  std::vector<Problem> problems;
  for (const std::string& problem : db.quick_check())
    problems.push_back({"store", impl_->location, "file", problem + "; restore the store from a backup"});
  for (const auto& t : detail::authenticated_tables()) {
    Statement s = db.prepare(std::string("SELECT id, uid, ") + t.name_column + " FROM " + t.table + " ORDER BY " +
                             t.name_column);
    while (s.step())
      if (!detail::row_is_authentic(db, t, impl_->row_key, impl_->store_id, s.int64(0)))
        problems.push_back({display_of(t.table), printable(s.text(2)), "row",  // the name is untrusted
                            "integrity check failed (record id " + in_quotes(s.text(1)) +
                                "): the row was changed outside harvest-connect (e.g. a URL, a name or its OAuth "
                                "client) or damaged, and is refused until repaired; restore the store from a backup, "
                                "or delete the " + t.display + " and create it again"});
  }
  for (const SealedTable& t : sealed_tables()) {
    for (const char* col : t.columns) {
      Statement s = db.prepare(std::string("SELECT uid, ") + t.name_column + ", " + col + " FROM " + t.table +
                               " WHERE " + col + " IS NOT NULL ORDER BY " + t.name_column);
      while (s.step()) {
        std::error_code ec;
        Secret plain = crypto::open_field(impl_->dek.key, impl_->dek.id, impl_->where(t.table, s.text(0), col),
                                          s.blob(2), ec);
        if (ec)
          problems.push_back({t.display, s.text(1), col,
                              "does not open: it was changed, damaged, or copied from another record; enter it "
                              "again (edit the record) or restore a backup"});
      }
    }
  }
  return problems;
}

// ----------------------------------------------------------------------------------
// Engine-only: secrets and tokens

ConnectionCredentials Store::credentials(std::string_view connection_name) const {
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  Database& db = impl_->db;
  Transaction tx(db, Transaction::Kind::deferred);
  auto [rowid, conn] = impl_->connection_or_throw(connection_name);
  Statement s = db.prepare(
      "SELECT c.account_id, c.personal_access_token, c.access_token, c.refresh_token, o.uid, o.client_secret "
      "FROM connections c LEFT JOIN oauth_clients o ON o.id = c.oauth_client_id WHERE c.id = ?");
  s.bind(1, rowid);
  s.step();
  ConnectionCredentials out{conn, std::nullopt, Secret(), std::nullopt, std::nullopt, std::nullopt, std::nullopt};
  out.account_id = impl_->unseal("connections", conn.id, "account_id", s.blob(0), conn.name);
  out.personal_access_token = impl_->unseal_column(s, 1, "connections", conn.id, "personal_access_token", conn.name);
  out.access_token = impl_->unseal_column(s, 2, "connections", conn.id, "access_token", conn.name);
  out.refresh_token = impl_->unseal_column(s, 3, "connections", conn.id, "refresh_token", conn.name);
  if (conn.auth == model::AuthMethod::oauth) {
    out.oauth_client = impl_->client_or_throw(conn.oauth_client).value;
    out.client_secret = impl_->unseal("oauth_clients", s.text(4), "client_secret", s.blob(5), conn.oauth_client);
  }
  return out;
}

namespace {

void write_tokens(Store::Impl& impl, std::int64_t rowid, const std::string& uid, const TokenUpdate& t) {
  model::validate_secret("access_token", t.access_token);
  if (t.refresh_token) model::validate_secret("refresh_token", *t.refresh_token);
  impl.db
      .prepare(
          "UPDATE connections SET access_token = ?, token_expires_at = ?, status = 'authorized', last_error = NULL, "
          "updated_at = ? WHERE id = ?")
      .bind_blob(1, impl.seal("connections", uid, "access_token", t.access_token))
      .bind(2, t.expires_at)
      .bind(3, now())
      .bind(4, rowid)
      .run();
  if (t.refresh_token)
    impl.db.prepare("UPDATE connections SET refresh_token = ? WHERE id = ?")
        .bind_blob(1, impl.seal("connections", uid, "refresh_token", *t.refresh_token))
        .bind(2, rowid)
        .run();
  impl.authenticate("connections", rowid);
}

}  // namespace

void Store::save_tokens(std::string_view connection_name, TokenUpdate tokens) {
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  Transaction tx(impl_->db, Transaction::Kind::immediate);
  auto row = impl_->connection_or_throw(connection_name);
  write_tokens(*impl_, row.rowid, row.value.id, tokens);
  tx.commit();
}

void Store::clear_tokens(std::string_view connection_name) {
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  Transaction tx(impl_->db, Transaction::Kind::immediate);
  auto row = impl_->connection_or_throw(connection_name);
  impl_->db
      .prepare(
          "UPDATE connections SET access_token = NULL, refresh_token = NULL, token_expires_at = NULL, "
          "last_error = NULL, updated_at = ?, status = CASE WHEN personal_access_token IS NULL THEN "
          "'not_authorized' ELSE 'authorized' END WHERE id = ?")
      .bind(1, now())
      .bind(2, row.rowid)
      .run();
  impl_->authenticate("connections", row.rowid);
  impl_->db.prepare("DELETE FROM pending_authorizations WHERE connection_id = ?").bind(1, row.rowid).run();
  tx.commit();
  impl_->checkpoint();  // forgotten tokens leave the -wal file too
}

void Store::set_status(std::string_view connection_name, model::ConnectionStatus status,
                       std::optional<std::string> last_error) {
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  Transaction tx(impl_->db, Transaction::Kind::immediate);
  auto row = impl_->connection_or_throw(connection_name);
  impl_->db.prepare("UPDATE connections SET status = ?, last_error = ?, updated_at = ? WHERE id = ?")
      .bind(1, model::to_string(status))
      .bind(2, last_error)
      .bind(3, now())
      .bind(4, row.rowid)
      .run();
  impl_->authenticate("connections", row.rowid);
  tx.commit();
}

void Store::with_token_lock(std::string_view connection_name,
                            const std::function<std::optional<TokenUpdate>(const TokenState&)>& refresh) {
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  Transaction tx(impl_->db, Transaction::Kind::immediate);
  auto [rowid, conn] = impl_->connection_or_throw(connection_name);
  Statement s = impl_->db.prepare("SELECT access_token, refresh_token FROM connections WHERE id = ?");
  s.bind(1, rowid);
  s.step();
  TokenState state;
  state.access_token = impl_->unseal_column(s, 0, "connections", conn.id, "access_token", conn.name);
  state.refresh_token = impl_->unseal_column(s, 1, "connections", conn.id, "refresh_token", conn.name);
  state.expires_at = conn.token_expires_at;
  state.status = conn.status;
  if (std::optional<TokenUpdate> update = refresh(state)) write_tokens(*impl_, rowid, conn.id, *update);
  tx.commit();
}

void Store::create_pending_authorization(std::string_view connection_name, const crypto::Secret& state,
                                         const std::optional<crypto::Secret>& code_verifier,
                                         std::string_view redirect_uri) {
  if (state.size() < 16) throw error(errc::validation_failed, "state: must be at least 16 random bytes");
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  Transaction tx(impl_->db, Transaction::Kind::immediate);
  impl_->purge_expired_authorizations();
  auto row = impl_->connection_or_throw(connection_name);
  const std::string uid = new_uid();
  const std::int64_t t = now();
  Statement ins = impl_->db.prepare(
      "INSERT INTO pending_authorizations(uid, connection_id, state_hash, code_verifier, redirect_uri, created_at, "
      "expires_at) VALUES(?, ?, ?, ?, ?, ?, ?) RETURNING id");
  ins.bind(1, uid).bind(2, row.rowid).bind_blob(3, sha256(state));
  if (code_verifier)
    ins.bind_blob(4, impl_->seal("pending_authorizations", uid, "code_verifier", *code_verifier));
  else
    ins.bind_null(4);
  ins.bind(5, redirect_uri).bind(6, t).bind(7, t + pending_authorization_lifetime.count());
  impl_->authenticate_insert("pending_authorizations", ins);
  tx.commit();
}

std::optional<PendingAuthorization> Store::take_pending_authorization(const crypto::Secret& state) {
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  Transaction tx(impl_->db, Transaction::Kind::immediate);
  impl_->purge_expired_authorizations();
  Statement s = impl_->db.prepare(
      "SELECT p.id, p.uid, c.name, p.code_verifier, p.redirect_uri, p.created_at, p.expires_at, c.id, c.uid "
      "FROM pending_authorizations p JOIN connections c ON c.id = p.connection_id WHERE p.state_hash = ?");
  s.bind_blob(1, sha256(state));
  if (!s.step()) {
    tx.commit();  // keep the purge
    return std::nullopt;
  }
  // Both rows before anything is used: the redirect URI and verifier go to a token endpoint.
  impl_->check_row("pending_authorizations", s.int64(0), s.text(1), s.text(1));
  impl_->check_row("connections", s.int64(7), s.text(2), s.text(8));
  PendingAuthorization out;
  out.connection = s.text(2);
  out.code_verifier = impl_->unseal_column(s, 3, "pending_authorizations", s.text(1), "code_verifier", s.text(1));
  out.redirect_uri = s.text(4);
  out.created_at = s.int64(5);
  out.expires_at = s.int64(6);
  impl_->db.prepare("DELETE FROM pending_authorizations WHERE id = ?").bind(1, s.int64(0)).run();
  tx.commit();
  return out;
}

// ----------------------------------------------------------------------------------
// Incremental pull states (the table's SQL: store/pull_state.cpp)

namespace {

detail::PullStateAccess pull_access(Store::Impl& impl) {
  return {impl.db, impl.row_key, impl.store_id, [&impl](std::int64_t rowid, std::string_view name, std::string_view uid) {
            impl.check_row("pull_states", rowid, name, uid);
          }};
}

}  // namespace

std::optional<PullState> Store::pull_state(std::string_view connection_name, std::string_view name) const {
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  Transaction tx(impl_->db, Transaction::Kind::deferred);
  auto row = impl_->connection_or_throw(connection_name);
  return detail::find_pull_state(pull_access(*impl_), row.rowid, name);
}

std::vector<PullState> Store::pull_states(std::string_view connection_name) const {
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  Transaction tx(impl_->db, Transaction::Kind::deferred);
  auto row = impl_->connection_or_throw(connection_name);
  return detail::list_pull_states(pull_access(*impl_), row.rowid);
}

void Store::save_pull_state(std::string_view connection_name, const PullState& state) {
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  Transaction tx(impl_->db, Transaction::Kind::immediate);
  auto row = impl_->connection_or_throw(connection_name);
  detail::write_pull_state(pull_access(*impl_), row.rowid, state, now());
  tx.commit();
}

bool Store::delete_pull_state(std::string_view connection_name, std::string_view name) {
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  Transaction tx(impl_->db, Transaction::Kind::immediate);
  auto row = impl_->connection_or_throw(connection_name, false);
  const bool removed = detail::remove_pull_state(impl_->db, row.rowid, name);
  tx.commit();
  return removed;
}

// ----------------------------------------------------------------------------------
// Shared rate budget (the tables' SQL: store/rate_budget.cpp)

RateLease Store::lease_rate_slots(const RateBudgetId& budget, const RateLeaseRequest& request, std::int64_t now_ms) {
  return lease_rate_slots(budget, request, [now_ms] { return now_ms; });
}

RateLease Store::lease_rate_slots(const RateBudgetId& budget, const RateLeaseRequest& request,
                                  const std::function<std::int64_t()>& clock_ms) {
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  const auto stored = detail::stored_budget(impl_->dek.key, budget);
  Transaction tx(impl_->db, Transaction::Kind::immediate);
  RateLease out = detail::lease_rate_slots(impl_->db, stored, request, clock_ms());  // the lock is held now
  tx.commit();
  return out;
}

void Store::settle_rate_leases(const RateBudgetId& budget, std::string_view holder,
                               std::span<const RateLeaseSettlement> settlements, std::int64_t now_ms) {
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  const auto stored = detail::stored_budget(impl_->dek.key, budget);
  Transaction tx(impl_->db, Transaction::Kind::immediate);
  detail::settle_rate_leases(impl_->db, stored, holder, settlements, now_ms);
  tx.commit();
}

void Store::pause_rate_budget(const RateBudgetId& budget, std::int64_t until_ms, std::int64_t now_ms) {
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  const auto stored = detail::stored_budget(impl_->dek.key, budget);
  Transaction tx(impl_->db, Transaction::Kind::immediate);
  detail::pause_rate_budget(impl_->db, stored, until_ms, now_ms);
  tx.commit();
}

RateBudgetUsage Store::rate_budget_usage(const RateBudgetId& budget, std::int64_t now_ms) const {
  std::lock_guard lock(impl_->mu);
  impl_->check_open();
  const auto stored = detail::stored_budget(impl_->dek.key, budget);
  Transaction tx(impl_->db, Transaction::Kind::deferred);
  return detail::rate_budget_usage(impl_->db, stored, now_ms);
}

// ----------------------------------------------------------------------------------
// The open store's internals for store::copy_store (store/detail/store_access.hpp).

namespace detail {

OpenStore open_store_of(Store& store) {
  Store::Impl& impl = *store.impl_;
  impl.check_open();
  return {impl.db, impl.store_id, impl.row_key};
}

}  // namespace detail

}  // namespace harvest_connect::store

#include "store/detail/row_mac.hpp"

#include <optional>

#include "harvest_connect/crypto/mac.hpp"
#include "harvest_connect/error.hpp"
#include "crypto/detail/digest.hpp"

namespace harvest_connect::store::detail {
namespace {

using Bytes = std::vector<unsigned char>;

constexpr std::string_view message_label = "harvest-connect row v1";
constexpr std::string_view key_label = "harvest-connect row mac v1";

void put_u32(Bytes& out, std::uint32_t n) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<unsigned char>(n >> shift));
}
void put(Bytes& out, std::string_view s) {
  put_u32(out, static_cast<std::uint32_t>(s.size()));
  out.insert(out.end(), s.begin(), s.end());
}

std::string select_of(const AuthenticatedTable& t) {
  std::string sql = "SELECT ";
  for (const auto& c : t.columns) sql += std::string(c.expression) + ", ";
  return sql + "t.row_mac FROM " + t.table + " t WHERE t.id = ?";
}

// The message and the stored MAC of the row, or nullopt when the row does not exist.
std::optional<std::pair<Bytes, Bytes>> read_row(Database& db, const AuthenticatedTable& t, std::string_view store_id,
                                                std::int64_t rowid) {
  Statement s = db.prepare(select_of(t));
  s.bind(1, rowid);
  if (!s.step()) return std::nullopt;
  Bytes m;
  put(m, message_label);
  put(m, store_id);
  put(m, t.table);
  put_u32(m, static_cast<std::uint32_t>(t.columns.size()));
  for (int i = 0; i < static_cast<int>(t.columns.size()); ++i) {
    put(m, t.columns[static_cast<std::size_t>(i)].column);
    switch (s.type(i)) {
      case column_null:
        m.push_back(0);
        break;
      case column_integer: {
        m.push_back(1);
        const auto v = static_cast<std::uint64_t>(s.int64(i));
        for (int shift = 56; shift >= 0; shift -= 8) m.push_back(static_cast<unsigned char>(v >> shift));
        break;
      }
      case column_text:
        m.push_back(2);
        put(m, s.text(i));
        break;
      case column_blob: {
        m.push_back(3);
        const Bytes b = s.blob(i);
        const crypto::detail::Sha256 digest = crypto::detail::sha256(b);
        m.insert(m.end(), digest.begin(), digest.end());
        break;
      }
      default:  // column_float: none of our columns, but a tampered row may hold one
        m.push_back(4);
        put(m, s.text(i));
    }
  }
  const int mac_col = static_cast<int>(t.columns.size());
  Bytes stored = s.type(mac_col) == column_blob ? s.blob(mac_col) : Bytes();
  return std::pair{std::move(m), std::move(stored)};
}

}  // namespace

const std::vector<AuthenticatedTable>& authenticated_tables() {
  static const std::vector<AuthenticatedTable> tables{
      {"oauth_clients",
       "OAuth client",
       "name",
       {{"uid", "t.uid"},
        {"name", "t.name"},
        {"provider", "t.provider"},
        {"client_id", "t.client_id"},
        {"client_secret", "t.client_secret"},
        {"authorize_url", "t.authorize_url"},
        {"token_url", "t.token_url"},
        {"revoke_url", "t.revoke_url"},
        {"redirect_uri", "t.redirect_uri"},
        {"scope", "t.scope"},
        {"pkce", "t.pkce"},
        {"client_credentials", "t.client_credentials"},
        {"created_at", "t.created_at"},
        {"updated_at", "t.updated_at"},
        {"row_version", "t.row_version"}}},
      {"connections",
       "connection",
       "name",
       {{"uid", "t.uid"},
        {"name", "t.name"},
        {"type", "t.type"},
        {"oauth_client_id", "(SELECT o.uid FROM oauth_clients o WHERE o.id = t.oauth_client_id)"},
        {"personal_access_token", "t.personal_access_token"},
        {"account_id", "t.account_id"},
        {"user_agent", "t.user_agent"},
        {"api_url", "t.api_url"},
        {"id_url", "t.id_url"},
        {"status", "t.status"},
        {"access_token", "t.access_token"},
        {"refresh_token", "t.refresh_token"},
        {"token_expires_at", "t.token_expires_at"},
        {"last_error", "t.last_error"},
        {"created_at", "t.created_at"},
        {"updated_at", "t.updated_at"},
        {"row_version", "t.row_version"}}},
      {"pending_authorizations",
       "pending authorization",
       "uid",
       {{"uid", "t.uid"},
        {"connection_id", "(SELECT c.uid FROM connections c WHERE c.id = t.connection_id)"},
        {"state_hash", "t.state_hash"},
        {"code_verifier", "t.code_verifier"},
        {"redirect_uri", "t.redirect_uri"},
        {"created_at", "t.created_at"},
        {"expires_at", "t.expires_at"},
        {"row_version", "t.row_version"}}},
      {"pull_states",
       "pull state",
       "name",
       {{"uid", "t.uid"},
        {"connection_id", "(SELECT c.uid FROM connections c WHERE c.id = t.connection_id)"},
        {"name", "t.name"},
        {"path", "t.path"},
        {"mark", "t.mark"},
        {"recent", "t.recent"},
        {"created_at", "t.created_at"},
        {"updated_at", "t.updated_at"},
        {"row_version", "t.row_version"}}},
  };
  return tables;
}

const AuthenticatedTable& authenticated_table(std::string_view table) {
  for (const auto& t : authenticated_tables())
    if (table == t.table) return t;
  throw error(errc::internal_error, "no authenticated table named " + std::string(table));
}

crypto::Secret derive_row_mac_key(const crypto::Secret& data_key) {
  return crypto::hkdf_sha256(data_key, {}, key_label, crypto::hmac_sha256_size);
}

void authenticate_row(Database& db, const AuthenticatedTable& t, const crypto::Secret& mac_key,
                      std::string_view store_id, std::int64_t rowid) {
  db.prepare(std::string("UPDATE ") + t.table + " SET row_version = row_version + 1 WHERE id = ?").bind(1, rowid).run();
  auto row = read_row(db, t, store_id, rowid);
  if (!row) throw error(errc::internal_error, std::string("the ") + t.display + " row to authenticate is gone");
  const crypto::Hmac mac = crypto::hmac_sha256(mac_key, row->first);
  db.prepare(std::string("UPDATE ") + t.table + " SET row_mac = ? WHERE id = ?").bind_blob(1, mac).bind(2, rowid).run();
}

bool row_is_authentic(Database& db, const AuthenticatedTable& t, const crypto::Secret& mac_key,
                      std::string_view store_id, std::int64_t rowid) {
  auto row = read_row(db, t, store_id, rowid);
  return row && crypto::hmac_sha256_verify(mac_key, row->first, row->second);
}

}  // namespace harvest_connect::store::detail

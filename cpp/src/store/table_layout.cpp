#include "store/detail/table_layout.hpp"

#include <string>

#include "harvest_connect/error.hpp"

namespace harvest_connect::store::detail {

const std::vector<TableLayout>& table_layouts() {
  using K = ColumnKind;
  static const std::vector<TableLayout> tables{
      {"meta", {{"key", K::text}, {"value", K::blob}}},
      {"oauth_clients",
       {{"uid", K::text},
        {"name", K::text},
        {"provider", K::text},
        {"client_id", K::text},
        {"client_secret", K::blob},
        {"authorize_url", K::text},
        {"token_url", K::text},
        {"revoke_url", K::text},
        {"redirect_uri", K::text},
        {"scope", K::text},
        {"pkce", K::integer},
        {"client_credentials", K::text},
        {"created_at", K::integer},
        {"updated_at", K::integer},
        {"row_version", K::integer},
        {"row_mac", K::blob}}},
      {"connections",
       {{"uid", K::text},
        {"name", K::text},
        {"type", K::text},
        {"oauth_client_id", K::link, "oauth_clients"},
        {"personal_access_token", K::blob},
        {"account_id", K::blob},
        {"user_agent", K::text},
        {"api_url", K::text},
        {"id_url", K::text},
        {"status", K::text},
        {"access_token", K::blob},
        {"refresh_token", K::blob},
        {"token_expires_at", K::integer},
        {"last_error", K::text},
        {"created_at", K::integer},
        {"updated_at", K::integer},
        {"row_version", K::integer},
        {"row_mac", K::blob}}},
      {"pending_authorizations",
       {{"uid", K::text},
        {"connection_id", K::link, "connections"},
        {"state_hash", K::blob},
        {"code_verifier", K::blob},
        {"redirect_uri", K::text},
        {"created_at", K::integer},
        {"expires_at", K::integer},
        {"row_version", K::integer},
        {"row_mac", K::blob}}},
      {"pull_states",
       {{"uid", K::text},
        {"connection_id", K::link, "connections"},
        {"name", K::text},
        {"path", K::text},
        {"mark", K::integer},
        {"recent", K::text},
        {"created_at", K::integer},
        {"updated_at", K::integer},
        {"row_version", K::integer},
        {"row_mac", K::blob}}},
      // The shared rate budget (schema version 4, store/detail/rate_budget.hpp): copied too,
      // so that requests still in flight through the old place count against the new one.
      {"rate_budgets", {{"budget", K::text}, {"paused_until", K::integer}}},
      {"rate_leases", {{"budget", K::text}, {"holder", K::text}, {"slots", K::integer}, {"ends_at", K::integer}}},
  };
  return tables;
}

const TableLayout& table_layout(std::string_view table) {
  for (const auto& t : table_layouts())
    if (table == t.table) return t;
  throw error(errc::internal_error, "no table named " + std::string(table) + " in the store's layout");
}

}  // namespace harvest_connect::store::detail

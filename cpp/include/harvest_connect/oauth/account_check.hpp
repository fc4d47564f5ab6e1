#pragma once
// The account check: the user granted access to some Harvest accounts; the connection's
// account ID must be one of them. Harvest says which in the `scope` of the redirect
// (HARVEST.md §4.5): `harvest:ID`, `forecast:ID`, `harvest:all`, `forecast:all` or `all`,
// several joined by '+' or a space. With `all` or `harvest:all` (or no scope at all) only
// GET {id_url}/api/v2/accounts can tell (HARVEST.md §7): it must list the account with
// product "harvest".
//
// Scopes and account lists hold account IDs, so they are read from Secrets and summed up
// in messages by count only.

#include <cstddef>
#include <string>
#include <string_view>

#include "harvest_connect/crypto/secret.hpp"

namespace harvest_connect::oauth {

struct GrantedScope {
  bool all = false;           // "all"
  bool harvest_all = false;   // "harvest:all"
  bool forecast_all = false;  // "forecast:all"
  std::size_t harvest_accounts = 0;   // how many harvest:ID tokens
  std::size_t forecast_accounts = 0;  // how many forecast:ID tokens
  std::size_t unknown = 0;            // tokens of no known shape
  bool includes_account = false;      // harvest:ID with the connection's ID among them

  // "2 Harvest accounts, 1 Forecast account", "all accounts", ...: no ID, for messages.
  [[nodiscard]] std::string describe() const;
};

enum class AccountGrant {
  granted,         // harvest:ID names the account
  check_accounts,  // all / harvest:all / no scope: ask /api/v2/accounts
  not_granted,
};

// Reads the scope (as the redirect gave it, '+' or space separated) against the account ID.
[[nodiscard]] GrantedScope parse_scope(const crypto::Secret& scope, const crypto::Secret& account_id);
[[nodiscard]] AccountGrant account_grant(const GrantedScope& scope) noexcept;

// Whether a /api/v2/accounts answer lists the account with product "harvest". A body that is
// not that JSON shape is errc::authorization_failed. `harvest_accounts` receives the number
// of Harvest accounts listed (for the message).
[[nodiscard]] bool accounts_include(std::string_view accounts_json, const crypto::Secret& account_id,
                                    std::size_t* harvest_accounts = nullptr);

// The errc::authorization_failed error for an account that was not granted.
[[noreturn]] void throw_account_not_granted(const std::string& granted_description);

}  // namespace harvest_connect::oauth

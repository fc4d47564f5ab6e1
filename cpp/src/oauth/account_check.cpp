#include "harvest_connect/oauth/account_check.hpp"

#include <boost/json.hpp>

#include "harvest_connect/error.hpp"
#include "crypto/detail/constant_time.hpp"

namespace harvest_connect::oauth {
namespace {

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

std::string plural(std::size_t n, const char* what) {
  return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
}

}  // namespace

std::string GrantedScope::describe() const {
  if (all) return "all accounts";
  std::string out;
  auto add = [&](const std::string& part) { out += (out.empty() ? "" : ", ") + part; };
  if (harvest_all) add("all Harvest accounts");
  else add(plural(harvest_accounts, "Harvest account"));
  if (forecast_all) add("all Forecast accounts");
  else if (forecast_accounts) add(plural(forecast_accounts, "Forecast account"));
  return out;
}

GrantedScope parse_scope(const crypto::Secret& scope, const crypto::Secret& account_id) {
  GrantedScope out;
  std::string_view text = scope.reveal_string();
  std::string_view id = account_id.reveal_string();
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t end = text.find_first_of("+ ", pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view token = text.substr(pos, end - pos);
    pos = end + 1;
    if (token.empty()) continue;
    if (token == "all") out.all = true;
    else if (token == "harvest:all") out.harvest_all = true;
    else if (token == "forecast:all") out.forecast_all = true;
    else if (token.starts_with("harvest:") && all_digits(token.substr(8))) {
      ++out.harvest_accounts;
      if (crypto::detail::constant_time_equal(token.substr(8), id)) out.includes_account = true;
    } else if (token.starts_with("forecast:") && all_digits(token.substr(9))) {
      ++out.forecast_accounts;
    } else {
      ++out.unknown;
    }
  }
  return out;
}

AccountGrant account_grant(const GrantedScope& scope) noexcept {
  if (scope.includes_account) return AccountGrant::granted;
  if (scope.all || scope.harvest_all) return AccountGrant::check_accounts;
  return AccountGrant::not_granted;
}

bool accounts_include(std::string_view accounts_json, const crypto::Secret& account_id,
                      std::size_t* harvest_accounts) {
  auto malformed = [] {
    throw error(errc::authorization_failed,
                "the identity service's account list (/api/v2/accounts) was not the expected JSON; the tokens were "
                "not kept. Check the connection's id_url and authorize again");
  };
  boost::json::error_code ec;
  boost::json::value doc = boost::json::parse(accounts_json, ec);
  if (ec || !doc.is_object()) malformed();
  const auto* accounts = doc.as_object().if_contains("accounts");
  if (!accounts || !accounts->is_array()) malformed();
  std::string_view id = account_id.reveal_string();
  bool found = false;
  std::size_t count = 0;
  for (const auto& entry : accounts->as_array()) {
    if (!entry.is_object()) malformed();
    const auto& obj = entry.as_object();
    const auto* product = obj.if_contains("product");
    if (!product || !product->is_string() || product->as_string() != "harvest") continue;
    ++count;
    const auto* entry_id = obj.if_contains("id");
    if (!entry_id) continue;
    std::string text;
    if (entry_id->is_int64()) text = std::to_string(entry_id->as_int64());
    else if (entry_id->is_uint64()) text = std::to_string(entry_id->as_uint64());
    else if (entry_id->is_string()) text = std::string(entry_id->as_string());
    if (crypto::detail::constant_time_equal(text, id)) found = true;
  }
  if (harvest_accounts) *harvest_accounts = count;
  return found;
}

void throw_account_not_granted(const std::string& granted_description) {
  throw error(errc::authorization_failed,
              "the connection's Harvest account is not among the accounts the user granted (granted: " +
                  granted_description +
                  "); no token was kept. Sign in at Harvest as a user of that account, or correct the "
                  "connection's account ID, and authorize again");
}

}  // namespace harvest_connect::oauth

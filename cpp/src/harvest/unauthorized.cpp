#include "harvest_connect/harvest/unauthorized.hpp"

namespace harvest_connect::harvest {

UnauthorizedCause diagnose_unauthorized(const UnauthorizedContext& context) noexcept {
  if (!context.account_header_sent) return UnauthorizedCause::account_header;
  if (context.refresh_refused) return UnauthorizedCause::token;
  if (context.fresh_token_refused) return UnauthorizedCause::account_header;
  return UnauthorizedCause::unknown;
}

std::string unauthorized_message(const UnauthorizedContext& context, std::string_view server_error) {
  std::string answer = "Harvest answered 401";
  if (!server_error.empty()) {
    answer += ' ';
    // Only a plain OAuth error code is echoed.
    for (char c : server_error.substr(0, 40)) {
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_') answer += c;
    }
  }
  switch (diagnose_unauthorized(context)) {
    case UnauthorizedCause::account_header:
      if (!context.account_header_sent) {
        return answer + ": the Harvest-Account-Id header was missing (Harvest reports this as invalid_token); "
                        "set the connection's account ID";
      }
      return answer +
             (context.personal_access_token ? std::string(" although the personal access token was sent")
                                            : std::string(" although the access token had just been refreshed")) +
             ": the Harvest-Account-Id header (the connection's account ID) is the likely cause — Harvest reports "
             "a wrong account ID as invalid_token. Check the account ID (update the connection and enter it "
             "again) and that the authorizing user belongs to that account";
    case UnauthorizedCause::token:
      return answer + ": the access token was refused and could not be refreshed (the refresh token is no longer "
                      "valid); authorize the connection again";
    case UnauthorizedCause::unknown:
      break;
  }
  if (context.personal_access_token) {
    return answer + ": either the personal access token was revoked or the Harvest-Account-Id header (the "
                    "connection's account ID) is wrong — Harvest reports both as invalid_token. Check the account "
                    "ID, or create a new token at Harvest ID → Developers";
  }
  return answer + ": the access token was refused; if this persists after a refresh, the Harvest-Account-Id "
                  "header (the connection's account ID) is the likely cause";
}

}  // namespace harvest_connect::harvest

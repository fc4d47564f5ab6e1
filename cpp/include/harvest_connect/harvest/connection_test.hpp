#pragma once
// "Test connection": the ping (GET /v2/users/me, allowed for every role) with the
// connection's headers, and what it tells the user.

#include <optional>
#include <string>

#include "harvest_connect/harvest/client.hpp"

namespace harvest_connect::harvest {

struct TestResult {
  bool ok = false;
  int status_code = 0;              // 0 when no answer came (network, TLS, timeout)
  std::optional<std::string> user;  // "First Last" of the authorized user, when ok
  std::string message;              // what happened and, when not ok, what to do; no secret
  // When not ok: the stable name of the error that ended the ping (errc_name), e.g.
  // "authorization_required" when the connection must be authorized again; "" when ok.
  std::string kind;
};

// Never throws for what the ping finds out (a refused token, an unreachable host); those
// come back as ok == false with the message.
[[nodiscard]] TestResult ping(const HarvestClient& client);

}  // namespace harvest_connect::harvest

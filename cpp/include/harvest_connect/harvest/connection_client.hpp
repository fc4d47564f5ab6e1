#pragma once
// A stored connection, ready for API calls: its HarvestClient (HTTPS transport, the store's
// token source — refreshing for OAuth, fixed for a personal access token — the account ID
// and User-Agent) and the "test connection" that records the outcome in the store.

#include <chrono>
#include <memory>
#include <string_view>

#include "harvest_connect/harvest/client.hpp"
#include "harvest_connect/harvest/connection_test.hpp"
#include "harvest_connect/harvest/token_expiry.hpp"
#include "harvest_connect/http/client.hpp"
#include "harvest_connect/store/store.hpp"

namespace harvest_connect::harvest {

// One HTTP exchange of an API call may take this long: half the retry policy's deadline, so
// that an answer this slow still leaves time for a retry (http::ClientOptions' generic 120 s
// would spend the whole deadline on one attempt).
inline constexpr std::chrono::milliseconds default_api_request_timeout{60'000};

// The default time limit of a "test connection" from Python (conn.test()) or the CLI, for
// the ping, its retries and a token refresh together: a form's button should answer within
// seconds, not minutes.
inline constexpr std::chrono::seconds default_test_timeout{30};

struct ConnectOptions {
  ClientOptions client;
  // TLS and timeouts for the API and the token endpoint (e.g. ca_file for a test server).
  http::ClientOptions http = [] {
    http::ClientOptions o;
    o.request_timeout = default_api_request_timeout;
    return o;
  }();
  std::chrono::seconds refresh_leeway = default_refresh_leeway;
};

// The client of connection `name`. errc::not_found when there is none. A connection that is
// not authorized yet opens, and its first call fails with errc::authorization_required saying so.
[[nodiscard]] HarvestClient open_client(std::shared_ptr<store::Store> store, std::string_view name,
                                        const ConnectOptions& options = {});

// The ping (GET /v2/users/me). Records the outcome: status authorized and no last error when
// it succeeds; offline with the message (no secret) when Harvest refuses the token or
// account ID or cannot be reached. A connection that was never authorized stays so.
[[nodiscard]] TestResult test_connection(std::shared_ptr<store::Store> store, std::string_view name,
                                         const ConnectOptions& options = {});

}  // namespace harvest_connect::harvest

#pragma once
// The authenticated Harvest API client of one connection.
//
// Every request carries Authorization: Bearer (the token only ever in that header),
// Harvest-Account-Id and User-Agent. Requests pass the account's shared rate limiter
// (general, plus the reports limit under /reports/; shared across processes through the
// store when the client has one); 429 waits Retry-After; 5xx answers and
// dropped connections are retried with backoff for idempotent methods; a 401 leads to one
// token refresh and one more try; all of it within the retry policy's deadline.
//
// A HarvestClient is cheap to copy (copies share one state) and safe to use from several
// threads at once.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "harvest_connect/crypto/secret.hpp"
#include "harvest_connect/harvest/api_path.hpp"
#include "harvest_connect/harvest/page.hpp"
#include "harvest_connect/harvest/rate_limiter.hpp"
#include "harvest_connect/harvest/retry_policy.hpp"
#include "harvest_connect/harvest/token_source.hpp"
#include "harvest_connect/harvest/transport.hpp"
#include "harvest_connect/http/message.hpp"
#include "harvest_connect/model/scrubber.hpp"

namespace harvest_connect::store {
class Store;
}

namespace harvest_connect::harvest {

struct ClientConfig {
  std::string api_url;  // e.g. https://api.harvestapp.com/v2
  std::string id_url;   // e.g. https://id.getharvest.com (for accounts())
  crypto::Secret account_id;
  std::string user_agent;
  // Identifies the account for the shared rate limiter without being secret; empty: a
  // SHA-256 digest of the API URL and the account ID.
  std::string account_key;
  // The connection's secrets (oauth/connection_secrets.hpp), removed with the account ID and
  // the token in use from every message and body of the errors thrown (model/scrubber.hpp).
  model::Scrubber secrets;
  // When set, the rate limits are one budget shared through this store by every process
  // using it (store_rate_limiter.hpp); without one, they are the process's own.
  std::shared_ptr<store::Store> rate_store;
};

struct ClientOptions {
  RateLimitOptions rate_limits;
  RetryPolicy retry;
  // Pages fetched ahead of the one being consumed (0: none). Two hide a page's latency
  // behind the decoding of the one before even when pages arrive unevenly (docs/performance.md);
  // Python's conn.api() takes this value as its default.
  unsigned prefetch_pages = 2;
  // How the client waits between attempts; tests replace it to record the waits.
  std::function<void(std::chrono::milliseconds)> sleep;
};

struct ApiResponse {
  int status = 0;
  http::Headers headers;
  std::string body;
};

class Paginator;

class HarvestClient {
 public:
  HarvestClient(ClientConfig config, std::shared_ptr<Transport> transport, std::shared_ptr<TokenSource> tokens,
                ClientOptions options = {});

  // Sends a request and returns a 2xx answer; any other answer throws harvest_connect::error
  // (api_error with the status and body; rate_limited; network_error; timeout). `json_body`
  // goes with Content-Type: application/json.
  [[nodiscard]] ApiResponse request(std::string_view method, std::string_view path, const QueryParams& params = {},
                                    std::optional<std::string_view> json_body = std::nullopt) const;
  [[nodiscard]] std::string get(std::string_view path, const QueryParams& params = {}) const;
  [[nodiscard]] std::string post(std::string_view path, std::string_view json_body) const;
  [[nodiscard]] std::string patch(std::string_view path, std::string_view json_body) const;
  [[nodiscard]] std::string del(std::string_view path, const QueryParams& params = {}) const;

  // Every record of a list endpoint, page by page (Paginator::next()). `validation`:
  // left_to_caller only when the caller parses each page's records strictly itself.
  [[nodiscard]] Paginator paginate(std::string_view path, const QueryParams& params = {},
                                   PageValidation validation = PageValidation::whole_body) const;
  // The accounts the token can reach: the identity service's /api/v2/accounts answer
  // ({"user":{...},"accounts":[{"id","name","product"}]}).
  [[nodiscard]] std::string accounts() const;

  [[nodiscard]] const std::string& api_url() const noexcept;
  [[nodiscard]] const ClientOptions& options() const noexcept;
  // Requests sent so far by this client (all attempts), and token refreshes it caused.
  [[nodiscard]] std::uint64_t requests_sent() const noexcept;
  // `text` without the connection's secrets or control characters: for a message built from
  // an error this client threw or from a server's answer (ping, last_error).
  [[nodiscard]] std::string scrub(std::string_view text) const;

  struct State;

 private:
  // GET of a page's absolute URL, its body read into `body_buffer`'s memory (Paginator).
  [[nodiscard]] ApiResponse get_page(const std::string& url, std::string body_buffer) const;

  std::shared_ptr<State> state_;
  friend class Paginator;
};

}  // namespace harvest_connect::harvest

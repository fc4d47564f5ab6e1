#pragma once
// The token source of an OAuth connection: the tokens sealed in the store, refreshed
//
// - ahead of expiry (when the token expires within the leeway, 5 minutes by default), and
// - once after a 401 for the token that was refused;
//
// one refresh at a time per connection in the process (a mutex shared by every source of
// that store file and connection), and across processes through the store: the refresh runs
// inside Store::with_token_lock, which re-reads the tokens under a write transaction, so a
// process that waited for another one's refresh finds the new tokens and uses them instead
// of refreshing again. New tokens (the newest refresh token; the old one kept when none is
// returned) are committed before they are used. A refresh refused with invalid_grant sets
// the connection offline with a message to authorize again.

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "harvest_connect/harvest/token_expiry.hpp"
#include "harvest_connect/harvest/token_source.hpp"
#include "harvest_connect/store/store.hpp"

namespace harvest_connect::harvest {

class StoreTokenSource final : public TokenSource {
 public:
  // Exchanges a refresh token for new tokens at the token endpoint (oauth/); throws
  // harvest_connect::error (errc::token_error with server_error() "invalid_grant" when the
  // refresh token is no longer valid).
  using Refresher = std::function<store::TokenUpdate(const crypto::Secret& refresh_token)>;

  StoreTokenSource(std::shared_ptr<store::Store> store, std::string connection_name, Refresher refresher,
                   std::chrono::seconds leeway = default_refresh_leeway);

  [[nodiscard]] AccessToken current() override;
  [[nodiscard]] std::optional<AccessToken> refresh_after_unauthorized(const AccessToken& rejected) override;
  [[nodiscard]] bool refreshable() const noexcept override { return true; }

  // Refreshes performed by this source (not adopted from elsewhere), for tests.
  [[nodiscard]] std::uint64_t refreshes() const noexcept;

 private:
  AccessToken obtain(const AccessToken& stale, bool after_unauthorized);

  std::shared_ptr<store::Store> store_;
  std::string name_;
  Refresher refresher_;
  std::chrono::seconds leeway_;
  std::shared_ptr<std::mutex> refresh_mutex_;
  mutable std::mutex cache_mutex_;
  AccessToken cached_;  // generation 0: nothing loaded yet
  std::uint64_t refreshes_ = 0;
};

}  // namespace harvest_connect::harvest

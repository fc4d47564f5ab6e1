#pragma once
// Where HarvestClient gets the bearer token for each request.
//
// An OAuth connection's source refreshes the token ahead of its expiry and once after a 401
// (store_token_source.hpp); a personal access token's source (StaticTokenSource) hands out
// the same token and never refreshes.

#include <cstdint>
#include <optional>

#include "harvest_connect/crypto/secret.hpp"

namespace harvest_connect::harvest {

struct AccessToken {
  crypto::Secret value;
  std::optional<std::int64_t> expires_at;  // Unix seconds; nullopt: unknown or never
  // Changes whenever the source hands out a different token, so that of many requests
  // refused with the same token only one refreshes it.
  std::uint64_t generation = 0;
};

class TokenSource {
 public:
  virtual ~TokenSource() = default;
  // The token to send now, refreshed first when it expires within the leeway.
  [[nodiscard]] virtual AccessToken current() = 0;
  // Harvest refused `rejected` with 401: returns a newer token, refreshing it unless another
  // thread or process already did; nullopt when this source cannot refresh. Throws
  // errc::token_error when the refresh itself fails (invalid_grant: authorize again).
  [[nodiscard]] virtual std::optional<AccessToken> refresh_after_unauthorized(const AccessToken& rejected) = 0;
  [[nodiscard]] virtual bool refreshable() const noexcept = 0;
  [[nodiscard]] virtual bool personal_access_token() const noexcept { return false; }
};

// A token that never changes: a personal access token (or a test's fixed token).
class StaticTokenSource final : public TokenSource {
 public:
  explicit StaticTokenSource(crypto::Secret token, bool personal_access_token = true)
      : token_(std::move(token)), pat_(personal_access_token) {}
  [[nodiscard]] AccessToken current() override { return {token_, std::nullopt, 1}; }
  [[nodiscard]] std::optional<AccessToken> refresh_after_unauthorized(const AccessToken&) override {
    return std::nullopt;
  }
  [[nodiscard]] bool refreshable() const noexcept override { return false; }
  [[nodiscard]] bool personal_access_token() const noexcept override { return pat_; }

 private:
  crypto::Secret token_;
  bool pat_;
};

}  // namespace harvest_connect::harvest

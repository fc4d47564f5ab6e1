#pragma once
// When an OAuth access token is refreshed: ahead of its expiry (within a leeway, 5 minutes by
// default, so that a request never leaves with a token that expires on the way), when its
// expiry is unknown only after a 401, and once after a 401 for a token that still looked valid.
// Personal access tokens are never refreshed.

#include <chrono>
#include <cstdint>
#include <optional>

namespace harvest_connect::harvest {

inline constexpr std::chrono::seconds default_refresh_leeway{300};

// Whether a token expiring at `expires_at` (Unix seconds; nullopt: unknown) should be
// refreshed before it is used at `now`.
[[nodiscard]] bool expires_soon(std::optional<std::int64_t> expires_at, std::int64_t now,
                                std::chrono::seconds leeway = default_refresh_leeway) noexcept;

// Unix seconds now (system clock).
[[nodiscard]] std::int64_t unix_now() noexcept;

}  // namespace harvest_connect::harvest

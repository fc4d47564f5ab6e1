#include "harvest_connect/harvest/token_expiry.hpp"

namespace harvest_connect::harvest {

bool expires_soon(std::optional<std::int64_t> expires_at, std::int64_t now, std::chrono::seconds leeway) noexcept {
  if (!expires_at) return false;  // unknown: refresh only when Harvest refuses it
  return *expires_at - now <= leeway.count();
}

std::int64_t unix_now() noexcept {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace harvest_connect::harvest

#include "harvest_connect/harvest/token_expiry.hpp"

#include <algorithm>
#include <limits>

namespace harvest_connect::harvest {

bool expires_soon(std::optional<std::int64_t> expires_at, std::int64_t now, std::chrono::seconds leeway) noexcept {
  if (!expires_at) return false;  // unknown: refresh only when Harvest refuses it
  // Stores written by older versions may hold any 64-bit expiry (they added an unbounded
  // expires_in): compare without subtracting, so that no stored value can overflow.
  const std::int64_t lead = std::max<std::int64_t>(leeway.count(), 0);
  if (now > std::numeric_limits<std::int64_t>::max() - lead) return true;
  return *expires_at <= now + lead;
}

std::int64_t unix_now() noexcept {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace harvest_connect::harvest

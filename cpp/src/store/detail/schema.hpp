#pragma once
// The versioned schema. PRAGMA user_version holds the version; migrations[i] takes a store
// from version i to i + 1 and runs inside the caller's immediate transaction, so a crash
// leaves the store at the old version or the new one, never between.

#include <span>

namespace harvest_connect::store::detail {

[[nodiscard]] std::span<const char* const> migrations();
[[nodiscard]] inline int latest_schema_version() { return static_cast<int>(migrations().size()); }

}  // namespace harvest_connect::store::detail

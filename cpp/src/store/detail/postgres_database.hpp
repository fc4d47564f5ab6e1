#pragma once
// The PostgreSQL backend of store/detail/database.hpp, through libpq (store/detail/libpq.hpp).

#include <memory>
#include <string>

#include "store/detail/database_backend.hpp"

namespace harvest_connect::store::detail {

// Connects to `url` (a postgresql:// URL, given to libpq as it is). Writers wait for one
// another at most busy_timeout_ms (lock_timeout). Throws errc::network_error naming the
// server (never its password) when it cannot be reached.
[[nodiscard]] std::unique_ptr<DatabaseBackend> open_postgres(const std::string& url, int busy_timeout_ms);

}  // namespace harvest_connect::store::detail

#pragma once
// The SQLite backend of store/detail/database.hpp: a local file.

#include <filesystem>
#include <memory>

#include "store/detail/database_backend.hpp"

namespace harvest_connect::store::detail {

// Opens (creating when missing) the file, with foreign keys and secure_delete on.
[[nodiscard]] std::unique_ptr<DatabaseBackend> open_sqlite(const std::filesystem::path& path, int busy_timeout_ms);

}  // namespace harvest_connect::store::detail

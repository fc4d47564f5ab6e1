#pragma once
// Where a store lives, as the user gives it: a SQLite file path or a PostgreSQL URL
// (postgresql://user@host:port/db?sslmode=verify-full, or postgres://). A URL is handed to
// libpq as it is, so libpq's own ways to supply a password work (PGPASSFILE, ~/.pgpass,
// PGPASSWORD); a password written into the URL is accepted too but never shown: messages,
// Store::location() and reprs carry redact_database_url()'s form.

#include <string>
#include <string_view>

namespace harvest_connect::store {

// Names the store's location when no path or URL is given: a path or a URL.
inline constexpr const char* store_env_var = "HARVEST_CONNECT_STORE";

// Whether `location` is a PostgreSQL URL (scheme postgresql:// or postgres://, any case)
// rather than a file path.
[[nodiscard]] bool is_database_url(std::string_view location) noexcept;

// The URL without its password: user:secret@host → user@host, and a password=… query
// parameter dropped. Everything else (user, hosts, ports, database, sslmode) stays, so the
// result names the server in messages.
[[nodiscard]] std::string redact_database_url(std::string_view url);

}  // namespace harvest_connect::store

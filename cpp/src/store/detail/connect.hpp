#pragma once
// How a store's database is reached, shared by Store::open and store::copy_store so that both
// set a connection up the same way (file and directory modes, foreign keys, journal mode).
// This is the one place that knows where a store lives: a backend added beside SQLite (a
// server URL) is handled here, and copy_store follows without a change.

#include <string>

#include "harvest_connect/store/options.hpp"
#include "store/detail/database.hpp"

namespace harvest_connect::store::detail {

// Where `options` points, as shown in messages (never a password).
[[nodiscard]] std::string location_of(const OpenOptions& options);

// Whether something exists at that location that could hold a store (a file; a server is
// always there). copy_store uses it so that a mistyped source is reported, not created.
[[nodiscard]] bool location_exists(const OpenOptions& options);

// Opens the database at `options`' location, creating an empty one when there is none.
void connect(Database& db, const OpenOptions& options);

// Whether the database holds nothing yet: no table, no schema version.
[[nodiscard]] bool holds_no_store(Database& db);

// Settings a new store gets before its creating transaction (the journal mode).
void prepare_new_store(Database& db);

// After a store was created or opened: the side files of a store file get its mode.
void after_open(const OpenOptions& options);

}  // namespace harvest_connect::store::detail

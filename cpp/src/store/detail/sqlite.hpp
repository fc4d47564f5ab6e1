#pragma once
// Kept so that code written against the former SQLite-only header still builds: the store's
// database API is store/detail/database.hpp (SQLite and PostgreSQL behind one interface).
#include "store/detail/database.hpp"

#pragma once
// Read access to an open Store's database and keys, for engine code beside Store that works
// on whole tables (store::copy_store). Not public: nothing outside cpp/src/store uses it.

#include <string>

#include "harvest_connect/crypto/secret.hpp"
#include "harvest_connect/store/store.hpp"
#include "store/detail/database.hpp"

namespace harvest_connect::store::detail {

struct OpenStore {
  Database& db;
  const std::string& store_id;
  const crypto::Secret& row_key;  // the row-MAC key (store/detail/row_mac.hpp)
};

// The store must stay open and unshared while the result is used (calls through `store` are
// serialised by its mutex; this bypasses it).
[[nodiscard]] OpenStore open_store_of(Store& store);

}  // namespace harvest_connect::store::detail

#pragma once
// The fixed keys the seed corpora are made with (make_seeds.cpp). Test keys, never secrets.
#include "harvest_connect/crypto/master_key.hpp"

namespace harvest_connect::fuzz {

inline crypto::MasterKey store_key() {
  return crypto::MasterKey(crypto::Secret::from_string("fuzz-store-master-key-0123456789"));
}

}  // namespace harvest_connect::fuzz

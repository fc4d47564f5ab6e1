#pragma once
// One finding of Store::verify(): a sealed field that does not open, or a damaged file.

#include <string>

namespace harvest_connect::store {

struct Problem {
  std::string table;   // "oauth_client", "connection", "pending_authorization" or "store"
  std::string record;  // the record's name (never a secret)
  std::string field;   // e.g. "account_id"
  std::string reason;  // what is wrong and what to do
};

}  // namespace harvest_connect::store

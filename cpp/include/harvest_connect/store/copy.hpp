#pragma once
// Copying a whole store to another place (another file, or another backend): every table,
// the store id and the wrapped data key with it, so the copy opens with the same master key
// and its sealed values, which are bound to (store id, table, uid, column), open unchanged.
// Nothing is decrypted on the way: sealed values and row authenticators are moved as bytes.

#include <cstdint>
#include <string>
#include <vector>

#include "harvest_connect/store/options.hpp"

namespace harvest_connect::store {

struct CopiedTable {
  std::string table;  // as in the schema: "meta", "oauth_clients", "connections", ...
  std::int64_t rows = 0;
};

struct CopyReport {
  std::string from;      // the source's location as shown in messages (never a password)
  std::string to;        // the target's location, likewise
  std::string store_id;  // the same on both sides
  std::string key_id;    // the master key's id (not secret)
  int schema_version = 0;
  std::vector<CopiedTable> tables;  // every table of the schema, in copy order
};

// Copies the store at `from` to `to` under the master key `from` names (its key, passphrase or
// key file; `to`'s key options are not used: the copy has the same key). In order:
//  - the source must hold a store and open with the key (errc::key_mismatch otherwise), and
//    verify clean: a row changed outside harvest-connect or a field that does not open
//    refuses the copy (errc::decryption_failed, naming it);
//  - the target must be new or empty (errc::validation_failed otherwise, and it is left as it
//    was);
//  - one transaction on the target creates the schema and copies every table, rows re-linked
//    by uid (row ids may differ), then compares every row of the target with the source's
//    before it commits: a failure leaves no part of a store behind;
//  - the copy is then opened with the key and Store::verify() must find nothing.
// The source is only read (an older schema is upgraded first, as every open does).
[[nodiscard]] CopyReport copy_store(const OpenOptions& from, const OpenOptions& to);

}  // namespace harvest_connect::store

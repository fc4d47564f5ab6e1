#pragma once
// The Python view of a connection, shared by the binding files that add methods to it
// (store.cpp defines the class, oauth.cpp adds the authorization methods).
#include <memory>

#include "harvest_connect/model/connection.hpp"
#include "harvest_connect/store/store.hpp"

namespace harvest_connect::python {

// A connection as Python sees it: its non-secret fields and the store it came from (later
// features — authorize, test, api — act through the store).
struct PyConnection {
  model::Connection value;
  std::shared_ptr<store::Store> store;
};

}  // namespace harvest_connect::python

#pragma once
// The encrypted SQLite store of OAuth clients and connections.
#include "harvest_connect/store/copy.hpp"
#include "harvest_connect/store/credentials.hpp"
#include "harvest_connect/store/location.hpp"
#include "harvest_connect/store/options.hpp"
#include "harvest_connect/store/pending_authorization.hpp"
#include "harvest_connect/store/problem.hpp"
#include "harvest_connect/store/pull_state.hpp"
#include "harvest_connect/store/rate_budget.hpp"
#include "harvest_connect/store/secret_scan.hpp"
#include "harvest_connect/store/store.hpp"

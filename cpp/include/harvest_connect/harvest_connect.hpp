#pragma once
// Umbrella header: everything a C++ program needs from harvest_connect.
#include "harvest_connect/crypto.hpp"
#include "harvest_connect/error.hpp"
#include "harvest_connect/http.hpp"
#include "harvest_connect/version.hpp"
#include "harvest_connect/model.hpp"
#include "harvest_connect/store.hpp"
#include "harvest_connect/testing.hpp"
#include "harvest_connect/harvest.hpp"

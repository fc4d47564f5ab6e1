#pragma once
// Umbrella header: every public area of the engine, bottom layer first (DESIGN.md's layers).
// The Harvest emulator is not part of it: it is the separate library harvest_connect::testing,
// included with <harvest_connect/testing.hpp>, as Beast and GoogleTest keep test helpers apart.
#include "harvest_connect/error.hpp"
#include "harvest_connect/version.hpp"
#include "harvest_connect/crypto.hpp"
#include "harvest_connect/http.hpp"
#include "harvest_connect/model.hpp"
#include "harvest_connect/store.hpp"
#include "harvest_connect/oauth.hpp"
#include "harvest_connect/harvest.hpp"

#pragma once
// Umbrella header for the test support: the Harvest emulator and the throwaway test PKI.
#include "harvest_connect/testing/certificates.hpp"
#include "harvest_connect/testing/emulator.hpp"
#include "harvest_connect/testing/emulator_options.hpp"
#include "harvest_connect/testing/emulator_service.hpp"

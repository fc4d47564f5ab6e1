#pragma once
// The records a user creates: OAuth clients, connections, their validation and HTTP view.
#include "harvest_connect/model/connection.hpp"
#include "harvest_connect/model/harvest.hpp"
#include "harvest_connect/model/http_settings.hpp"
#include "harvest_connect/model/oauth_client.hpp"
#include "harvest_connect/model/redacted.hpp"
#include "harvest_connect/model/scrubber.hpp"
#include "harvest_connect/model/validation.hpp"

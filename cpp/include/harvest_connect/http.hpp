#pragma once
// Umbrella header for the HTTP layer: URLs and forms, messages, the HTTPS client and the
// small server.
#include "harvest_connect/http/client.hpp"
#include "harvest_connect/http/message.hpp"
#include "harvest_connect/http/proxy.hpp"
#include "harvest_connect/http/server.hpp"
#include "harvest_connect/http/url.hpp"

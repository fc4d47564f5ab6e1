#pragma once
// The OAuth 2.0 authorization-code flow (RFC 6749, RFC 7636, RFC 8252, RFC 9700).
#include "harvest_connect/oauth/account_check.hpp"
#include "harvest_connect/oauth/authorization.hpp"
#include "harvest_connect/oauth/authorization_request.hpp"
#include "harvest_connect/oauth/callback.hpp"
#include "harvest_connect/oauth/connection_secrets.hpp"
#include "harvest_connect/oauth/loopback_receiver.hpp"
#include "harvest_connect/oauth/pkce.hpp"
#include "harvest_connect/oauth/state.hpp"
#include "harvest_connect/oauth/token_client.hpp"
#include "harvest_connect/oauth/token_request.hpp"
#include "harvest_connect/oauth/token_response.hpp"

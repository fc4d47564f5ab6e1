#pragma once
// The scrubber (model/scrubber.hpp) that knows every secret of one stored connection: the
// client secret (also as HTTP Basic credentials), the access, refresh and personal access
// tokens and the account ID. oauth/ and harvest/ scrub server text with it before it reaches
// an exception, the store's last_error or a terminal.

#include "harvest_connect/model/scrubber.hpp"
#include "harvest_connect/store/credentials.hpp"

namespace harvest_connect::oauth {

[[nodiscard]] model::Scrubber connection_secrets(const store::ConnectionCredentials& credentials);

}  // namespace harvest_connect::oauth

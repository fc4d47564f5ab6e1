#pragma once
// A strict endpoint-URL check, private to model/ (http/url.hpp may offer the same later;
// the two are to be merged then). Boost.URL parses; we only apply the policy.

#include <string>
#include <string_view>

namespace harvest_connect::model::detail {

struct UrlPolicy {
  bool allow_query = true;
  bool strip_trailing_slash = false;
};

// Returns the normalised URL, or an empty string and sets `problem` to what is wrong
// ("must be an absolute URL", ...), phrased to follow "FIELD: ".
[[nodiscard]] std::string check_endpoint_url(std::string_view url, const UrlPolicy& policy, std::string& problem);

// 127.0.0.0/8, ::1 or "localhost" (any case).
[[nodiscard]] bool is_loopback_host(std::string_view url);

}  // namespace harvest_connect::model::detail

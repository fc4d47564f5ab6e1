#pragma once
// Where a path given to HarvestClient goes. Paths are relative to the connection's API URL
// (https://api.harvestapp.com/v2): "/users/me" and "users/me" both mean .../v2/users/me, and
// a leading "/v2" (the API URL's own path) is accepted and not doubled. An absolute URL —
// typically a page's links.next — must be on the API URL's scheme, host and port and under
// its path; anything else is errc::validation_failed, so that the connection's token is never
// sent to another host.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace harvest_connect::harvest {

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// The absolute URL for `path_or_url`, with `params` set in its query (a parameter given in
// both replaces the one in the path). Throws errc::validation_failed naming the problem.
[[nodiscard]] std::string resolve_api_url(std::string_view api_url, std::string_view path_or_url,
                                          const QueryParams& params = {});

// The path of an absolute API URL relative to the API URL's path, e.g. "/reports/time/clients"
// for https://api.harvestapp.com/v2/reports/time/clients?from=... (no query).
[[nodiscard]] std::string api_relative_path(std::string_view api_url, std::string_view resolved_url);

// Whether a relative path (as api_relative_path returns) falls under Harvest's reports limit.
[[nodiscard]] bool is_reports_path(std::string_view relative_path) noexcept;

// The last segment of a relative path, the likely name of a list's records array
// ("/users/me/project_assignments" → "project_assignments"); "results" under /reports/.
[[nodiscard]] std::string resource_name(std::string_view relative_path);

}  // namespace harvest_connect::harvest

// API path resolution: relative paths, a leading /v2, absolute URLs on the API host only.
#include <gtest/gtest.h>

#include "harvest_connect/error.hpp"
#include "harvest_connect/harvest/api_path.hpp"

using namespace harvest_connect::harvest;

namespace {
const char* const api = "https://api.harvestapp.com/v2";

void expect_invalid(std::string_view path) {
  try {
    (void)resolve_api_url(api, path);
    ADD_FAILURE() << "accepted " << path;
  } catch (const harvest_connect::error& e) {
    EXPECT_EQ(e.kind(), harvest_connect::errc::validation_failed) << path;
  }
}
}  // namespace

TEST(HarvestApiPath, RelativePaths) {
  EXPECT_EQ(resolve_api_url(api, "/users/me"), "https://api.harvestapp.com/v2/users/me");
  EXPECT_EQ(resolve_api_url(api, "users/me"), "https://api.harvestapp.com/v2/users/me");
  EXPECT_EQ(resolve_api_url("https://api.harvestapp.com/v2/", "/users/me"), "https://api.harvestapp.com/v2/users/me");
}

TEST(HarvestApiPath, LeadingV2IsNotDoubled) {
  EXPECT_EQ(resolve_api_url(api, "/v2/users/me"), "https://api.harvestapp.com/v2/users/me");
  EXPECT_EQ(resolve_api_url(api, "v2/time_entries?page=2"), "https://api.harvestapp.com/v2/time_entries?page=2");
  // Only the whole segment: /v2x is a path under /v2.
  EXPECT_EQ(resolve_api_url(api, "/v2x"), "https://api.harvestapp.com/v2/v2x");
}

TEST(HarvestApiPath, ParamsAreEncodedAndReplaceThoseInThePath) {
  EXPECT_EQ(resolve_api_url(api, "/time_entries?page=2&per_page=100", {{"page", "3"}, {"from", "2024-01-01"}}),
            "https://api.harvestapp.com/v2/time_entries?page=3&per_page=100&from=2024-01-01");
  EXPECT_EQ(resolve_api_url(api, "/clients", {{"q", "a b&c"}}), "https://api.harvestapp.com/v2/clients?q=a%20b%26c");
}

TEST(HarvestApiPath, AbsoluteUrlsOnTheApiHost) {
  EXPECT_EQ(resolve_api_url(api, "https://api.harvestapp.com/v2/time_entries?cursor=abc&per_page=2000"),
            "https://api.harvestapp.com/v2/time_entries?cursor=abc&per_page=2000");
  EXPECT_EQ(resolve_api_url(api, "https://api.harvestapp.com:443/v2/users/me"),
            "https://api.harvestapp.com:443/v2/users/me");
  EXPECT_EQ(resolve_api_url("http://127.0.0.1:8080/v2", "http://127.0.0.1:8080/v2/users"), "http://127.0.0.1:8080/v2/users");
}

TEST(HarvestApiPath, RefusesOtherHostsAndTricks) {
  expect_invalid("https://evil.example/v2/users/me");
  expect_invalid("http://api.harvestapp.com/v2/users/me");         // scheme
  expect_invalid("https://api.harvestapp.com:8443/v2/users/me");   // port
  expect_invalid("https://user@api.harvestapp.com/v2/users/me");   // userinfo
  expect_invalid("https://api.harvestapp.com/oauth2/token");       // outside /v2
  expect_invalid("https://api.harvestapp.com.evil.example/v2/x");  // lookalike host
  expect_invalid("//evil.example/v2/users");
  expect_invalid("/users/../../oauth2/token");
  expect_invalid("/users/%2e%2e/x");
  expect_invalid("/users me");
  expect_invalid("/users\n");
  expect_invalid("");
  expect_invalid("/users#frag");
}

// Issue 12 §6: a dot segment is found after percent-decoding, in any case and any mix.
TEST(HarvestApiPath, RefusesPercentEncodedDotSegmentsInAnyForm) {
  for (const char* path : {"/users/.%2e/oauth2/token", "/users/%2e./oauth2/token", "/users/%2E%2e/x", "/users/%2e%2E/x",
                           "/users/.%2E/x", "/users/%2E./x", "/users/%2E/x", "/users/%2e", "/users/.%2e",
                           "/users/%2e%2e%2foauth2", "/users/%2E%2E%2Fx", "/users/..%5cx", "/users/%2e%2e%5Cx",
                           "https://api.harvestapp.com/v2/users/.%2e/x", "https://api.harvestapp.com/v2/%2e./oauth2"}) {
    expect_invalid(path);
  }
  // Dots that are not a whole segment stay allowed.
  EXPECT_EQ(resolve_api_url(api, "/users/a.%2eb"), "https://api.harvestapp.com/v2/users/a.%2eb");
  EXPECT_EQ(resolve_api_url(api, "/users/...x"), "https://api.harvestapp.com/v2/users/...x");
}

TEST(HarvestApiPath, RelativePathAndResource) {
  EXPECT_EQ(api_relative_path(api, "https://api.harvestapp.com/v2/reports/time/clients?from=x"), "/reports/time/clients");
  EXPECT_TRUE(is_reports_path("/reports/time/clients"));
  EXPECT_FALSE(is_reports_path("/reportsx"));
  EXPECT_FALSE(is_reports_path("/time_entries"));
  EXPECT_EQ(resource_name("/time_entries"), "time_entries");
  EXPECT_EQ(resource_name("/users/me/project_assignments/"), "project_assignments");
  EXPECT_EQ(resource_name("/reports/time/projects"), "results");
}

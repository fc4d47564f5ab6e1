#pragma once
// The Harvest preset: the URLs and settings that provider "harvest" and connection type
// "harvest" fill in. Sources: DESIGN.md and HARVEST.md §1, §4, §8.

namespace harvest_connect::model::harvest {

// Harvest's identity service (OAuth authorize and token endpoints, /api/v2/accounts).
inline constexpr const char* id_url = "https://id.getharvest.com";
// Harvest's API v2 base URL.
inline constexpr const char* api_url = "https://api.harvestapp.com/v2";
// Paths under id_url; a provider "harvest" client resolves its endpoints against the
// connection's id_url, so that one client works with Harvest and with the emulator.
inline constexpr const char* authorize_path = "/oauth2/authorize";
inline constexpr const char* token_path = "/api/v2/oauth2/token";
// The "test connection" ping: any role may call it.
inline constexpr const char* ping_path = "/users/me";
// Harvest wants "AppName (contact email or URL)" in every request.
inline constexpr const char* contact_env_var = "HARVEST_CONNECT_CONTACT";

}  // namespace harvest_connect::model::harvest

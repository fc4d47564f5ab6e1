#pragma once
// The rules a form would check before saving. Each throws harvest_connect::error
// (errc::validation_failed) whose message starts with the field's name and says what to
// enter, e.g. "account_id: must be digits only (the Harvest account ID, e.g. 123456)".
// Messages never repeat a secret value.

#include <optional>
#include <string>
#include <string_view>

#include "harvest_connect/crypto/secret.hpp"
#include "harvest_connect/model/connection.hpp"
#include "harvest_connect/model/oauth_client.hpp"

namespace harvest_connect::model {

inline constexpr std::size_t max_name_length = 100;
inline constexpr std::size_t max_url_length = 2048;
inline constexpr std::size_t max_scope_length = 1024;

// A record name: 1–100 characters after trimming, no control characters. Returns it trimmed.
[[nodiscard]] std::string validate_name(std::string_view field, std::string_view name);
// A Harvest account ID: 1–20 ASCII digits.
void validate_account_id(const crypto::Secret& account_id);
// A secret that must not be empty (client_secret, access_token).
void validate_secret(std::string_view field, const crypto::Secret& value);
// An absolute https URL (http only for loopback hosts: 127.0.0.0/8, ::1, localhost), with no
// user info or fragment, at most max_url_length characters. Base URLs (api_url, id_url) also take no query and lose a trailing
// slash. Returns the normalised URL.
[[nodiscard]] std::string validate_url(std::string_view field, std::string_view url, bool base_url = false);
// "AppName (contact)": printable, up to 256 characters, a contact in parentheses that is an
// email address or an http(s) URL.
void validate_user_agent(std::string_view user_agent);
// Space- (or '+'-) separated scope tokens, at most max_scope_length characters in all; for provider "harvest" each must be one of
// harvest:ID, forecast:ID, harvest:all, forecast:all, all. Returns them space-separated.
[[nodiscard]] std::string validate_scope(std::string_view scope, Provider provider);
// An OAuth client ID: non-empty printable ASCII without spaces.
void validate_client_id(std::string_view client_id);
// A passphrase being set (new store, rotation): not empty, no control characters (a NUL
// would cut it short in other tools; a newline is a pasting accident). Existing
// passphrases are not re-checked, so no store is locked out.
void validate_new_passphrase(const crypto::Secret& passphrase);

// Whole-record checks used by the store; they normalise in place.
void validate(NewOAuthClient& client);

}  // namespace harvest_connect::model

#include "harvest_connect/harvest/store_token_source.hpp"

#include <atomic>
#include <map>

#include "harvest_connect/error.hpp"

namespace harvest_connect::harvest {

namespace {

std::atomic<std::uint64_t> next_generation{1};

// One mutex per (store file, connection) in the process.
std::shared_ptr<std::mutex> refresh_mutex_for(const std::string& key) {
  static std::mutex registry_mutex;
  static std::map<std::string, std::weak_ptr<std::mutex>> registry;
  std::lock_guard lock(registry_mutex);
  if (auto existing = registry[key].lock()) return existing;
  auto m = std::make_shared<std::mutex>();
  registry[key] = m;
  return m;
}

constexpr const char* reauthorize_message =
    "the refresh token was refused (invalid_grant): it expired or was revoked; authorize the connection again";

}  // namespace

StoreTokenSource::StoreTokenSource(std::shared_ptr<store::Store> store, std::string connection_name,
                                   Refresher refresher, std::chrono::seconds leeway)
    : store_(std::move(store)), name_(std::move(connection_name)), refresher_(std::move(refresher)), leeway_(leeway) {
  if (!store_ || !refresher_) throw error(errc::validation_failed, "StoreTokenSource: a store and a refresher are needed");
  // location(): the file, or the database URL (a PostgreSQL store has no file).
  refresh_mutex_ = refresh_mutex_for(store_->location() + '\n' + name_);
}

AccessToken StoreTokenSource::current() {
  AccessToken stale;
  {
    std::lock_guard lock(cache_mutex_);
    if (cached_.generation != 0 && !expires_soon(cached_.expires_at, unix_now(), leeway_)) return cached_;
    stale = cached_;
  }
  return obtain(stale, false);
}

std::optional<AccessToken> StoreTokenSource::refresh_after_unauthorized(const AccessToken& rejected) {
  return obtain(rejected, true);
}

std::uint64_t StoreTokenSource::refreshes() const noexcept {
  std::lock_guard lock(cache_mutex_);
  return refreshes_;
}

AccessToken StoreTokenSource::obtain(const AccessToken& stale, bool after_unauthorized) {
  std::lock_guard refresh_lock(*refresh_mutex_);
  {
    // Another thread of this source may have refreshed while this one waited.
    std::lock_guard lock(cache_mutex_);
    if (cached_.generation != 0 && cached_.generation != stale.generation &&
        !expires_soon(cached_.expires_at, unix_now(), leeway_)) {
      return cached_;
    }
  }
  std::optional<AccessToken> fresh;
  bool refreshed = false;
  try {
    store_->with_token_lock(name_, [&](const store::TokenState& state) -> std::optional<store::TokenUpdate> {
      const bool is_stale = state.access_token && !stale.value.empty() && *state.access_token == stale.value;
      // The stored token is usable: loaded for the first time, or renewed by another source
      // or process since this one was handed `stale`.
      if (state.access_token && !state.access_token->empty() && !is_stale &&
          !expires_soon(state.expires_at, unix_now(), leeway_)) {
        fresh = AccessToken{*state.access_token, state.expires_at, 0};
        return std::nullopt;
      }
      if (state.access_token && is_stale && !after_unauthorized &&
          !expires_soon(state.expires_at, unix_now(), leeway_)) {
        fresh = AccessToken{*state.access_token, state.expires_at, 0};
        return std::nullopt;
      }
      if (!state.refresh_token || state.refresh_token->empty()) {
        if (!state.access_token) {
          throw error(errc::authorization_required,
                      "the connection '" + name_ + "' is not authorized yet; authorize it first");
        }
        throw error(errc::authorization_required, "the connection '" + name_ +
                                           "' has no refresh token, so its expired access token cannot be renewed; "
                                           "authorize it again");
      }
      store::TokenUpdate update = refresher_(*state.refresh_token);
      fresh = AccessToken{update.access_token, update.expires_at, 0};
      refreshed = true;
      return update;  // committed before with_token_lock returns, so before the token is used
    });
  } catch (const error& e) {
    if (e.kind() == errc::token_error && e.server_error() == "invalid_grant") {
      try {
        store_->set_status(name_, model::ConnectionStatus::offline, std::string(reauthorize_message));
      } catch (...) {
        // The refusal is what the caller needs to hear about.
      }
      // Not a token_error: no retry or setting helps, only authorizing again (errc docs).
      throw error(errc::authorization_required, std::string(reauthorize_message) + " (connection '" + name_ + "')",
                  e.http_status(), {}, "invalid_grant");
    }
    throw;
  }
  std::lock_guard lock(cache_mutex_);
  fresh->generation = next_generation++;
  cached_ = std::move(*fresh);
  if (refreshed) ++refreshes_;
  return cached_;
}

}  // namespace harvest_connect::harvest

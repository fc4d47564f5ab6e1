#pragma once
// The encrypted store of OAuth clients and connections: one SQLite file (WAL mode, safe for
// several processes), every secret field sealed with the store's data key (envelope
// encryption, crypto/envelope.hpp), a versioned schema migrated at open.
//
// Secrets are write-only through this interface: records come back as model::OAuthClient
// and model::Connection, which hold no secret. The engine reads them through credentials().
//
// A Store is safe to share between threads (calls are serialised); several processes may
// open the same file. Every write is one immediate transaction.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "harvest_connect/crypto/master_key.hpp"
#include "harvest_connect/crypto/secret.hpp"
#include "harvest_connect/model/connection.hpp"
#include "harvest_connect/model/http_settings.hpp"
#include "harvest_connect/model/oauth_client.hpp"
#include "harvest_connect/store/credentials.hpp"
#include "harvest_connect/store/options.hpp"
#include "harvest_connect/store/pending_authorization.hpp"
#include "harvest_connect/store/problem.hpp"
#include "harvest_connect/store/pull_state.hpp"
#include "harvest_connect/store/rate_budget.hpp"

namespace harvest_connect::store {

class Store;
namespace detail {
struct OpenStore;
// Engine-internal access to an open store's database (cpp/src/store/detail/store_access.hpp).
OpenStore open_store_of(Store& store);
}  // namespace detail

struct RotateKeyOptions {
  // Keep the data key and only rewrap it (one small write). By default a key rotation also
  // moves every field to a fresh data key, so that the old master key together with an old
  // copy of the wrapped data key (a backup, a -wal file) opens nothing current.
  bool keep_data_key = false;
};

class Store {
 public:
  // Opens (or creates) the store. errc::key_mismatch when the key is not the store's (and
  // then nothing was read or written), errc::store_error when the file or database cannot
  // be used, errc::network_error when a PostgreSQL server cannot be reached.
  [[nodiscard]] static Store open(const OpenOptions& options = {});
  // The same, shared: oauth:: and harvest:: take a store as std::shared_ptr<Store> (a client
  // keeps it for its token refreshes, a loopback authorization for its lifetime).
  [[nodiscard]] static std::shared_ptr<Store> open_shared(const OpenOptions& options = {}) {
    return std::make_shared<Store>(open(options));
  }

  Store(Store&&) noexcept;
  Store& operator=(Store&&) noexcept;
  ~Store();

  // Closes the file; later calls fail with errc::store_error. Idempotent.
  void close() noexcept;
  [[nodiscard]] bool closed() const noexcept;
  // The SQLite file; empty for a PostgreSQL store.
  [[nodiscard]] const std::filesystem::path& path() const noexcept;
  // Where the store lives, to show: the file, or the database URL without its password
  // (store/location.hpp).
  [[nodiscard]] const std::string& location() const noexcept;
  // "sqlite" or "postgresql".
  [[nodiscard]] std::string_view backend() const noexcept;
  // The random id of this store (bound into every sealed value) and the master key's id.
  [[nodiscard]] std::string store_id() const;
  [[nodiscard]] std::string key_id() const;
  [[nodiscard]] int schema_version() const;

  // --- OAuth clients ---------------------------------------------------------------
  model::OAuthClient create_oauth_client(model::NewOAuthClient spec);
  [[nodiscard]] model::OAuthClient oauth_client(std::string_view name) const;
  [[nodiscard]] std::vector<model::OAuthClient> oauth_clients() const;
  model::OAuthClient update_oauth_client(std::string_view name, model::OAuthClientChanges changes);
  // Refused (errc::validation_failed, naming them) while connections use it.
  void delete_oauth_client(std::string_view name);

  // --- connections -----------------------------------------------------------------
  model::Connection create_connection(model::NewConnection spec);
  model::Connection create_token_connection(model::NewTokenConnection spec);
  // Every read checks the rows it uses against their authenticators first (row_mac, see
  // docs/security.md): a row changed outside this library throws errc::decryption_failed
  // naming it, and nothing from it is used. A list fails as a whole on a tampered row.
  [[nodiscard]] model::Connection connection(std::string_view name) const;
  [[nodiscard]] std::vector<model::Connection> connections() const;
  model::Connection update_connection(std::string_view name, model::ConnectionChanges changes);
  // Deletes the connection with its tokens, pending authorizations and pull states.
  void delete_connection(std::string_view name);
  [[nodiscard]] model::HttpSettings http_settings(std::string_view connection_name) const;

  // --- incremental pull states (store/pull_state.hpp) ---------------------------------
  // The connection's state of that name (names compare ignoring case), or nullopt. Like
  // every read, refuses a tampered row (errc::decryption_failed).
  [[nodiscard]] std::optional<PullState> pull_state(std::string_view connection_name, std::string_view name) const;
  [[nodiscard]] std::vector<PullState> pull_states(std::string_view connection_name) const;
  // Inserts or replaces the state `state.name` (created_at/updated_at are set here).
  // errc::validation_failed when that name holds a state of another path.
  void save_pull_state(std::string_view connection_name, const PullState& state);
  // Whether there was one; the next pull of that name takes everything.
  bool delete_pull_state(std::string_view connection_name, std::string_view name);

  // --- shared rate budget (store/rate_budget.hpp; engine-only, used by harvest::
  // StoreRateLimiter). Each call is one short immediate transaction; `now_ms` is the
  // caller's wall clock (Unix ms).
  // Settles `request.settle`, then grants up to request.want free slots (none while paused).
  [[nodiscard]] RateLease lease_rate_slots(const RateBudgetId& budget, const RateLeaseRequest& request,
                                           std::int64_t now_ms);
  // The same, with the time read by `clock_ms` once the store's write lock is held: waiting
  // for the lock behind other processes' leases (SQLite's busy waits can last longer than a
  // lease's grace) must not start the lease's hold in the past, or its slots would free
  // while the requests they let through still count at Harvest.
  [[nodiscard]] RateLease lease_rate_slots(const RateBudgetId& budget, const RateLeaseRequest& request,
                                           const std::function<std::int64_t()>& clock_ms);
  // Settles leases of `holder` (RateLeaseRequest::holder).
  void settle_rate_leases(const RateBudgetId& budget, std::string_view holder,
                          std::span<const RateLeaseSettlement> settlements, std::int64_t now_ms);
  // After a 429: no process leases from the budget before `until_ms` (at most a day ahead).
  void pause_rate_budget(const RateBudgetId& budget, std::int64_t until_ms, std::int64_t now_ms);
  [[nodiscard]] RateBudgetUsage rate_budget_usage(const RateBudgetId& budget, std::int64_t now_ms) const;

  // --- keys ------------------------------------------------------------------------
  // Moves the store to `new_key` in one transaction: a fresh data key, every sealed field
  // re-sealed and every row re-authenticated under it, wrapped by `new_key` (with
  // options.keep_data_key, only a rewrap of the current data key). The store then opens
  // with `new_key` only, and the -wal file is checkpointed so that the old wrapped key does
  // not linger in it. Fails, changing nothing, while a field does not open or a row is
  // tampered with (see verify()). The caller keeps the new key safe (docs/cli.md).
  void rotate_key(const crypto::MasterKey& new_key);
  void rotate_key(const crypto::MasterKey& new_key, const RotateKeyOptions& options);
  // As rotate_key, to a key derived from a passphrase (fresh salt, kept in the store).
  void rotate_passphrase(const crypto::Secret& passphrase);
  void rotate_passphrase(const crypto::Secret& passphrase, const RotateKeyOptions& options);
  // A new data key; every sealed field re-sealed and every row re-authenticated in one
  // transaction. Fails, changing nothing, when a field does not open or a row is tampered
  // with (run verify() and repair first).
  void rotate_data_key();
  // Checks every row's authenticator and opens every sealed field; an empty list when all
  // is well. A tampered row is a Problem with field "row".
  [[nodiscard]] std::vector<Problem> verify() const;

  // --- engine-only: secrets and tokens (not bound to Python) -------------------------
  [[nodiscard]] ConnectionCredentials credentials(std::string_view connection_name) const;
  // Commits new tokens; status becomes authorized and the last error is cleared.
  void save_tokens(std::string_view connection_name, TokenUpdate tokens);
  // Forgets the tokens; status becomes not_authorized (a personal access token is kept).
  void clear_tokens(std::string_view connection_name);
  // Records the outcome of a ping or a refresh. `last_error` must hold no secret.
  void set_status(std::string_view connection_name, model::ConnectionStatus status,
                  std::optional<std::string> last_error = std::nullopt);
  // Runs `refresh` inside an immediate (write-locked) transaction, after re-reading the
  // tokens: of several processes refreshing one connection, the others wait and then see
  // the new tokens. What `refresh` returns is committed before the lock is released; it
  // returns nullopt to change nothing. An exception rolls everything back.
  void with_token_lock(std::string_view connection_name,
                       const std::function<std::optional<TokenUpdate>(const TokenState&)>& refresh);

  // Pending authorizations (the OAuth helper's single-use state/verifier records).
  void create_pending_authorization(std::string_view connection_name, const crypto::Secret& state,
                                    const std::optional<crypto::Secret>& code_verifier, std::string_view redirect_uri);
  // Deletes and returns the record for `state` (compared by SHA-256); nullopt when there is
  // none or it expired. Expired records are purged on the way.
  [[nodiscard]] std::optional<PendingAuthorization> take_pending_authorization(const crypto::Secret& state);

  class Impl;

 private:
  friend detail::OpenStore detail::open_store_of(Store& store);
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace harvest_connect::store

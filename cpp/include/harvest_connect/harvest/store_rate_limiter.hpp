#pragma once
// One rate budget per Harvest account and limit, shared through the store by every process
// that uses it (docs/api-calls.md, "One budget across processes").
//
// Each request first takes a slot of the shared budget, then a permit of the process's own
// RateLimiter (rate_limiter.hpp), whose behaviour is unchanged. Slots are leased from the
// store a few at a time (store/rate_budget.hpp): as many as the process's threads wait for,
// up to a batch, in one short write transaction, not one per request. A lease's slots may be started until `use_for` after it was granted; once
// its requests have completed it is settled — it holds the slots it spent until its last
// completion + the window, the completion-time rule that keeps the process's own limiter
// free of 429s, now across processes — and its unused slots go back. A lease that is never
// settled (its process died) holds its slots for use_for + grace + window, then frees them.
// A 429 pauses the budget for every process (pause_until).
//
// Waits are bounded by the caller's deadline (errc::timeout). Thread-safe; shared() gives
// every client of the account in the process the same one. A closed store shares nothing:
// the process's own limiter still applies.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "harvest_connect/harvest/rate_limiter.hpp"
#include "harvest_connect/store/rate_budget.hpp"

namespace harvest_connect::store {
class Store;
}

namespace harvest_connect::harvest {

class StoreRateLimiter {
 public:
  using clock = std::chrono::steady_clock;

  struct Tuning {
    unsigned batch = 1;                        // the most slots asked for per lease
    std::chrono::milliseconds use_for{1000};   // a lease's slots may be started this long after the grant
    std::chrono::milliseconds grace{15'000};   // an unsettled lease holds its slots use_for + grace + window
    std::chrono::milliseconds poll{500};       // the longest sleep before looking at a full budget again
  };
  // batch: a tenth of the limit (1..16); use_for: an eighth of the window (20 ms..2 s);
  // grace: the window (1..30 s); poll: a twentieth of the window (10 ms..1 s).
  [[nodiscard]] static Tuning default_tuning(RateLimit limit);

  // A slot of the shared budget and a permit of the process's limiter. Completing it (or
  // destroying it) starts the slot's window in both.
  class Permit {
   public:
    Permit() noexcept = default;
    Permit(Permit&& other) noexcept
        : local_(std::move(other.local_)), owner_(std::exchange(other.owner_, nullptr)), lease_(other.lease_) {}
    Permit& operator=(Permit&& other) noexcept;
    Permit(const Permit&) = delete;
    Permit& operator=(const Permit&) = delete;
    ~Permit() { complete(); }

    void complete() noexcept;
    [[nodiscard]] bool active() const noexcept { return owner_ != nullptr || local_.active(); }

   private:
    friend class StoreRateLimiter;
    Permit(RateLimiter::Permit local, StoreRateLimiter* owner, std::int64_t lease) noexcept
        : local_(std::move(local)), owner_(owner), lease_(lease) {}
    RateLimiter::Permit local_;
    StoreRateLimiter* owner_ = nullptr;
    std::int64_t lease_ = 0;
  };

  // `local`: the process's limiter of the same account and limit (RateLimiter::shared).
  StoreRateLimiter(std::shared_ptr<store::Store> store, std::string account_key, RateLimit limit,
                   std::shared_ptr<RateLimiter> local, Tuning tuning);
  StoreRateLimiter(const StoreRateLimiter&) = delete;
  StoreRateLimiter& operator=(const StoreRateLimiter&) = delete;
  // Gives the unused slots back and settles what was spent (best effort: a lease left
  // behind frees itself after its hold).
  ~StoreRateLimiter();

  // Waits for a slot of the shared budget and of the process's limiter. errc::timeout (saying
  // which limit) when none frees before the deadline; the request then was not sent.
  [[nodiscard]] Permit acquire(clock::time_point deadline);
  // After a 429: this process's limiter and every process's next lease wait until `until`.
  void pause_until(clock::time_point until);

  [[nodiscard]] RateLimit limit() const noexcept { return local_->limit(); }
  [[nodiscard]] const Tuning& tuning() const noexcept { return tuning_; }
  [[nodiscard]] const std::shared_ptr<RateLimiter>& local() const noexcept { return local_; }
  // Lease transactions this limiter ran (tests and benchmarks: far fewer than requests).
  [[nodiscard]] std::uint64_t leases_taken() const;
  // Threads in acquire() without a slot yet: a lease asks for that many (batch at most).
  [[nodiscard]] unsigned waiting() const;

  // The limiter of one store, account and limit, shared by every client in this process for
  // as long as one of them holds it; its local limiter is RateLimiter::shared(account_key, limit).
  [[nodiscard]] static std::shared_ptr<StoreRateLimiter> shared(const std::shared_ptr<store::Store>& store,
                                                                std::string_view account_key, RateLimit limit);

 private:
  struct Lease {
    std::int64_t slots = 0;
    std::int64_t spent = 0;
    std::int64_t in_flight = 0;
    std::int64_t last_completion = 0;  // wall ms; 0: none yet
    clock::time_point use_by;
  };

  void release(std::int64_t lease, std::int64_t completed_ms) noexcept;
  // Requires mutex_. Removes the finished leases with nothing in flight; their settlements.
  std::vector<store::RateLeaseSettlement> take_finished(clock::time_point now);
  [[nodiscard]] store::RateLeaseSettlement settlement_of(std::int64_t id, const Lease& lease) const;
  [[nodiscard]] bool shares() const noexcept;

  std::shared_ptr<store::Store> store_;
  store::RateBudgetId budget_;
  std::shared_ptr<RateLimiter> local_;
  Tuning tuning_;
  std::string holder_;  // random: this limiter's leases in the ledger

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::int64_t, Lease> leases_;
  std::int64_t current_ = 0;   // the lease being spent (0: none)
  bool leasing_ = false;       // a thread is in a lease transaction
  unsigned waiting_ = 0;       // threads in acquire() without a slot yet
  clock::time_point look_again_{};  // no lease transaction before this (the budget was full)
  std::vector<store::RateLeaseSettlement> to_settle_;  // carried by the next lease transaction
  std::uint64_t leases_taken_ = 0;
};

}  // namespace harvest_connect::harvest

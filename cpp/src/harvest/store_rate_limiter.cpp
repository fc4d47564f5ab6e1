#include "harvest_connect/harvest/store_rate_limiter.hpp"

#include <algorithm>
#include <exception>
#include <optional>
#include <tuple>

#include "harvest_connect/crypto/encoding.hpp"
#include "harvest_connect/crypto/random.hpp"
#include "harvest_connect/error.hpp"
#include "harvest_connect/store/store.hpp"

namespace harvest_connect::harvest {

namespace {

using std::chrono::milliseconds;

// The ledger's clock: wall-clock Unix milliseconds, the one clock processes (and, with NTP,
// hosts) share. Intervals within the process stay on the steady clock.
std::int64_t wall_now_ms() {
  return std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// A request's completion, rounded up to the next millisecond: the slot it spent is held until
// completion + the window in whole milliseconds, and a time cut down would free it up to 1 ms
// before Harvest stops counting the request (whose clock is finer).
std::int64_t wall_completion_ms() {
  const auto us =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  return (us + 999) / 1000;
}

milliseconds clamp_ms(milliseconds v, milliseconds lo, milliseconds hi) { return std::clamp(v, lo, hi); }

}  // namespace

StoreRateLimiter::Tuning StoreRateLimiter::default_tuning(RateLimit limit) {
  Tuning t;
  t.batch = std::clamp(limit.limit / 10, 1U, 16U);
  t.use_for = clamp_ms(limit.window / 8, milliseconds{20}, milliseconds{2000});
  t.grace = clamp_ms(limit.window, milliseconds{1000}, milliseconds{30'000});
  t.poll = clamp_ms(limit.window / 20, milliseconds{10}, milliseconds{1000});
  return t;
}

StoreRateLimiter::Permit& StoreRateLimiter::Permit::operator=(Permit&& other) noexcept {
  if (this != &other) {
    complete();
    local_ = std::move(other.local_);
    owner_ = std::exchange(other.owner_, nullptr);
    lease_ = other.lease_;
  }
  return *this;
}

void StoreRateLimiter::Permit::complete() noexcept {
  // The shared slot's window starts no earlier than the local one's.
  local_.complete();
  if (auto* owner = std::exchange(owner_, nullptr)) owner->release(lease_, wall_completion_ms());
}

StoreRateLimiter::StoreRateLimiter(std::shared_ptr<store::Store> store, std::string account_key, RateLimit limit,
                                   std::shared_ptr<RateLimiter> local, Tuning tuning)
    : store_(std::move(store)),
      budget_{std::move(account_key), static_cast<std::int64_t>(limit.limit), limit.window.count()},
      local_(std::move(local)),
      tuning_(tuning),
      holder_(crypto::hex_encode(crypto::random_bytes(16))) {
  if (!store_ || !local_) throw error(errc::validation_failed, "StoreRateLimiter: a store and a local limiter are needed");
  if (limit.limit == 0 || limit.window.count() <= 0 || !(local_->limit() == limit))
    throw error(errc::validation_failed, "StoreRateLimiter: the limit must be positive and the local limiter's");
  tuning_.batch = std::clamp(tuning_.batch, 1U, limit.limit);
  tuning_.use_for = std::max(tuning_.use_for, milliseconds{1});
  tuning_.grace = std::max(tuning_.grace, milliseconds{0});
  tuning_.poll = std::max(tuning_.poll, milliseconds{1});
}

StoreRateLimiter::~StoreRateLimiter() {
  std::vector<store::RateLeaseSettlement> settle;
  {
    std::lock_guard lock(mutex_);
    settle = std::move(to_settle_);
    for (const auto& [id, lease] : leases_) settle.push_back(settlement_of(id, lease));
  }
  if (settle.empty() || !shares()) return;
  try {
    store_->settle_rate_leases(budget_, holder_, settle, wall_now_ms());
  } catch (...) {
    // Left behind, the leases free their slots at the end of their hold.
  }
}

bool StoreRateLimiter::shares() const noexcept { return !store_->closed(); }

store::RateLeaseSettlement StoreRateLimiter::settlement_of(std::int64_t id, const Lease& lease) const {
  // Spent slots stay held until the last completion + the window: Harvest counted each of
  // those requests when it arrived, which was no later than its answer.
  if (lease.spent <= 0 || lease.last_completion <= 0) return {id, 0, 0};
  return {id, lease.spent, lease.last_completion + budget_.window_ms};
}

std::vector<store::RateLeaseSettlement> StoreRateLimiter::take_finished(clock::time_point now) {
  std::vector<store::RateLeaseSettlement> out = std::move(to_settle_);
  to_settle_.clear();
  for (auto it = leases_.begin(); it != leases_.end();) {
    const Lease& l = it->second;
    if (l.in_flight == 0 && (l.spent >= l.slots || now >= l.use_by)) {
      out.push_back(settlement_of(it->first, l));
      if (current_ == it->first) current_ = 0;
      it = leases_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

StoreRateLimiter::Permit StoreRateLimiter::acquire(clock::time_point deadline) {
  if (!shares()) return Permit(local_->acquire(deadline), nullptr, 0);
  std::int64_t lease_id = 0;
  {
    std::unique_lock lock(mutex_);
    ++waiting_;
    struct Leave {
      unsigned& n;
      ~Leave() { --n; }
    } leave{waiting_};
    for (;;) {
      const auto now = clock::now();
      if (auto it = leases_.find(current_); it != leases_.end()) {
        Lease& l = it->second;
        if (l.spent < l.slots && now < l.use_by) {
          ++l.spent;
          ++l.in_flight;
          lease_id = current_;
          break;
        }
      }
      if (now >= deadline) {
        throw error(errc::timeout, "the request deadline passed while waiting for the rate limit (" +
                                       describe(limit()) +
                                       ") shared through the store by every process using it; give the call a "
                                       "longer deadline or make fewer calls");
      }
      if (leasing_ || now < look_again_) {
        changed_.wait_until(lock, leasing_ ? deadline : std::min(deadline, look_again_));
        continue;
      }
      // This thread leases for the process; the others wait for it.
      leasing_ = true;
      store::RateLeaseRequest request;
      // As many as this process's threads wait for now (batch at most): a slot leased
      // ahead of demand would sit idle while another process's thread waits for it.
      request.holder = holder_;
      request.want = std::clamp<std::int64_t>(waiting_, 1, tuning_.batch);
      request.hold_ms = (tuning_.use_for + tuning_.grace).count() + budget_.window_ms;
      request.settle = take_finished(now);
      lock.unlock();
      store::RateLease got;
      std::exception_ptr failure;
      try {
        got = store_->lease_rate_slots(budget_, request, wall_now_ms);  // read under the store's lock
      } catch (...) {
        failure = std::current_exception();
      }
      lock.lock();
      leasing_ = false;
      changed_.notify_all();
      if (failure) std::rethrow_exception(failure);  // the settlements' leases free at the end of their hold
      ++leases_taken_;
      const auto after = clock::now();
      if (got.slots > 0) {
        // Counted from the grant's arrival here, so that a slow transaction still leaves
        // use_for to spend the lease; the ledger's hold started when the transaction held the
        // store's lock, just before, and its grace covers the difference.
        leases_[got.id] = Lease{got.slots, 0, 0, 0, after + tuning_.use_for};
        current_ = got.id;
        continue;
      }
      const auto until = now + milliseconds{std::max<std::int64_t>(0, got.retry_at - got.now)};
      if (got.paused && until > deadline) {
        throw error(errc::timeout, "the request deadline would pass while the rate limit (" + describe(limit()) +
                                       ") is paused: Harvest answered 429 to a process sharing this account "
                                       "through the store; try again after its Retry-After");
      }
      // A pause only ever grows: nothing to see before it ends. A full budget frees when its
      // earliest lease ends; a lease settled meanwhile may end earlier than the hold it was
      // read with, hence the poll.
      look_again_ = std::max(got.paused ? until : std::min(until, after + tuning_.poll), after + milliseconds{1});
    }
  }
  try {
    return Permit(local_->acquire(deadline), this, lease_id);
  } catch (...) {
    release(lease_id, 0);  // not sent: the slot goes back to the lease
    throw;
  }
}

void StoreRateLimiter::release(std::int64_t lease, std::int64_t completed_ms) noexcept {
  std::vector<store::RateLeaseSettlement> settle;
  {
    std::lock_guard lock(mutex_);
    auto it = leases_.find(lease);
    if (it == leases_.end()) return;
    Lease& l = it->second;
    if (l.in_flight > 0) --l.in_flight;
    if (completed_ms > 0) {
      l.last_completion = std::max(l.last_completion, completed_ms);
    } else if (l.spent > 0) {
      --l.spent;
    }
    const auto now = clock::now();
    if (l.in_flight == 0 && (l.spent >= l.slots || now >= l.use_by)) {
      const auto s = settlement_of(lease, l);
      if (current_ == lease) current_ = 0;
      leases_.erase(it);
      // When a thread of this process must lease soon (more wait than the current lease can
      // serve, and no lease transaction is under way that they could be served by), that
      // transaction carries the settlement, within a poll. Otherwise it is written now,
      // with any left over: a settlement left for later holds its slots to the end of the hold.
      std::int64_t spare = 0;
      if (auto cur = leases_.find(current_); cur != leases_.end() && now < cur->second.use_by)
        spare = cur->second.slots - cur->second.spent;
      try {
        to_settle_.push_back(s);
        if (leasing_ || static_cast<std::int64_t>(waiting_) <= spare) settle.swap(to_settle_);
      } catch (...) {
        // Out of memory: the lease frees at the end of its hold.
      }
    }
  }
  changed_.notify_all();
  if (settle.empty()) return;
  try {
    store_->settle_rate_leases(budget_, holder_, settle, wall_now_ms());
  } catch (...) {
    // The store failed or closed: the leases free at the end of their hold.
  }
}

void StoreRateLimiter::pause_until(clock::time_point until) {
  local_->pause_until(until);
  if (!shares()) return;
  const auto now = clock::now();
  if (until <= now) return;
  const auto ahead = std::chrono::duration_cast<milliseconds>(until - now).count();
  const std::int64_t wall = wall_now_ms();
  try {
    store_->pause_rate_budget(budget_, wall + ahead, wall);
  } catch (const error&) {
    // This process pauses all the same; the others pause at their own 429.
  }
}

std::uint64_t StoreRateLimiter::leases_taken() const {
  std::lock_guard lock(mutex_);
  return leases_taken_;
}

unsigned StoreRateLimiter::waiting() const {
  std::lock_guard lock(mutex_);
  return waiting_;
}

std::shared_ptr<StoreRateLimiter> StoreRateLimiter::shared(const std::shared_ptr<store::Store>& store,
                                                           std::string_view account_key, RateLimit limit) {
  using key_type = std::tuple<const store::Store*, std::string, unsigned, milliseconds::rep>;
  static std::mutex registry_mutex;
  static std::map<key_type, std::weak_ptr<StoreRateLimiter>> registry;
  std::lock_guard lock(registry_mutex);
  key_type key{store.get(), std::string(account_key), limit.limit, limit.window.count()};
  if (auto existing = registry[key].lock()) return existing;
  for (auto it = registry.begin(); it != registry.end();) {
    it = it->second.expired() && it->first != key ? registry.erase(it) : std::next(it);
  }
  auto limiter = std::make_shared<StoreRateLimiter>(store, std::string(account_key), limit,
                                                    RateLimiter::shared(account_key, limit), default_tuning(limit));
  registry[key] = limiter;
  return limiter;
}

}  // namespace harvest_connect::harvest

#include "harvest_connect/harvest/rate_limiter.hpp"

#include <map>
#include <sstream>
#include <utility>

#include "harvest_connect/error.hpp"

namespace harvest_connect::harvest {

RateLimiter::Permit& RateLimiter::Permit::operator=(Permit&& other) noexcept {
  if (this != &other) {
    complete();
    owner_ = std::exchange(other.owner_, nullptr);
  }
  return *this;
}

void RateLimiter::Permit::complete(clock::time_point now) noexcept {
  if (auto* owner = std::exchange(owner_, nullptr)) owner->release(now);
}

RateLimiter::RateLimiter(RateLimit limit) : limit_(limit) {
  if (limit_.limit == 0 || limit_.window.count() <= 0) {
    throw error(errc::validation_failed, "rate limit: the limit and the window must be positive");
  }
}

RateLimiter::~RateLimiter() = default;

std::size_t RateLimiter::prune(clock::time_point now) const {
  while (!completed_.empty() && completed_.top() + limit_.window <= now) completed_.pop();
  return in_flight_ + completed_.size();
}

std::optional<RateLimiter::Permit> RateLimiter::try_acquire_locked(clock::time_point now,
                                                                    clock::time_point* retry_at) {
  if (now < paused_until_) {
    if (retry_at) *retry_at = paused_until_;
    return std::nullopt;
  }
  if (prune(now) < limit_.limit) {
    ++in_flight_;
    return Permit(this);
  }
  if (retry_at) {
    // Full: the earliest completed slot frees at its completion + window; with every slot
    // in flight, only a completion can free one.
    *retry_at = completed_.empty() ? clock::time_point::max() : completed_.top() + limit_.window;
  }
  return std::nullopt;
}

std::optional<RateLimiter::Permit> RateLimiter::try_acquire(clock::time_point now, clock::time_point* retry_at) {
  std::lock_guard lock(mutex_);
  return try_acquire_locked(now, retry_at);
}

RateLimiter::Permit RateLimiter::acquire(clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  for (;;) {
    clock::time_point retry_at;
    const auto now = clock::now();
    if (auto permit = try_acquire_locked(now, &retry_at)) return std::move(*permit);
    // With every slot in flight the time a slot frees is unknown (max): wait for a completion
    // until the deadline rather than give up at once.
    const bool known = retry_at != clock::time_point::max();
    if (now >= deadline || (known && retry_at > deadline)) {
      throw error(errc::timeout, "the request deadline would pass while waiting for the client-side rate limit (" +
                                     describe(limit_) +
                                     "); give the call a longer deadline or make fewer calls");
    }
    freed_.wait_until(lock, known ? retry_at : deadline);
  }
}

void RateLimiter::release(clock::time_point now) noexcept {
  {
    std::lock_guard lock(mutex_);
    if (in_flight_ > 0) --in_flight_;
    try {
      completed_.push(now);
    } catch (...) {
      // Out of memory: forgetting one slot's window is the least bad outcome.
    }
  }
  // A waiter may now compute an earlier retry time.
  freed_.notify_all();
}

void RateLimiter::pause_until(clock::time_point until) {
  {
    std::lock_guard lock(mutex_);
    if (until > paused_until_) paused_until_ = until;
  }
  freed_.notify_all();
}

std::size_t RateLimiter::in_flight() const {
  std::lock_guard lock(mutex_);
  return in_flight_;
}

std::size_t RateLimiter::used(clock::time_point now) const {
  std::lock_guard lock(mutex_);
  return prune(now);
}

std::shared_ptr<RateLimiter> RateLimiter::shared(std::string_view account_key, RateLimit limit) {
  using key_type = std::tuple<std::string, unsigned, std::chrono::milliseconds::rep>;
  static std::mutex registry_mutex;
  static std::map<key_type, std::weak_ptr<RateLimiter>> registry;
  std::lock_guard lock(registry_mutex);
  key_type key{std::string(account_key), limit.limit, limit.window.count()};
  if (auto existing = registry[key].lock()) return existing;
  // Drop entries whose limiters are gone, so that the map does not grow without bound.
  for (auto it = registry.begin(); it != registry.end();) {
    it = it->second.expired() && it->first != key ? registry.erase(it) : std::next(it);
  }
  auto limiter = std::make_shared<RateLimiter>(limit);
  registry[key] = limiter;
  return limiter;
}

std::string describe(const RateLimit& limit) {
  std::ostringstream out;
  const auto ms = limit.window.count();
  out << limit.limit << " requests / ";
  if (ms % 60'000 == 0) {
    out << ms / 60'000 << " min";
  } else if (ms % 1000 == 0) {
    out << ms / 1000 << " s";
  } else {
    out << static_cast<double>(ms) / 1000.0 << " s";
  }
  return out.str();
}

}  // namespace harvest_connect::harvest

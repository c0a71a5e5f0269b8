#include "backends/redis/connection_pool.hpp"

#include <algorithm>

#include "nadb/errors.hpp"
#include "obs/log.hpp"
#include "obs/metrics.hpp"

namespace nadb::backends::redis {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Reconnect backoff: 50 ms doubling per consecutive failure up to 2 s, with jitter in
// [50%, 100%] so that many clients do not retry in step.
constexpr milliseconds kFirstBackoff{50};
constexpr milliseconds kMaxBackoff{2000};

double elapsed_ms(Clock::time_point since) {
  return std::chrono::duration<double, std::milli>(Clock::now() - since).count();
}

}  // namespace

ConnectionPool::ConnectionPool(RedisOptions options) : options_(std::move(options)) {
  if (options_.pool_size == 0) throw InvalidArgument("RedisOptions::pool_size must be at least 1");
  stats_.size = options_.pool_size;
}

ConnectionPool::Lease ConnectionPool::acquire() {
  static obs::Histogram& acquires = obs::component_histogram("pool.acquire");
  obs::Timed timed(acquires);
  util::MutexLock lock(mutex_);
  const auto deadline = Clock::now() + options_.pool_wait_timeout;
  bool waited = false;
  const auto wait_start = Clock::now();
  for (;;) {
    bool check = false;
    while (auto connection = take_idle(check)) {
      if (check) {  // idle for a while: PING it, without the lock
        ++stats_.health_checks;
        lock.unlock();
        bool good = healthy(*connection);
        lock.lock();
        if (!good) {
          drop_stale(*connection);
          continue;
        }
      }
      if (waited) stats_.wait_time_ms += elapsed_ms(wait_start);
      ++stats_.in_use;
      return Lease(*this, std::move(connection));
    }
    if (open_ < options_.pool_size) {
      ++open_;
      if (waited) stats_.wait_time_ms += elapsed_ms(wait_start);
      lock.unlock();
      try {
        auto connection = connect();
        lock.lock();
        ++stats_.in_use;
        return Lease(*this, std::move(connection));
      } catch (...) {
        lock.lock();
        --open_;
        returned_.notify_one();
        throw;
      }
    }
    if (!waited) ++stats_.waits;
    waited = true;
    if (returned_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        open_ >= options_.pool_size) {
      stats_.wait_time_ms += elapsed_ms(wait_start);
      ++stats_.timeouts;
      obs::logger(obs::Component::Pool)
          .warn("no free connection",
                {{"waited_ms", elapsed_ms(wait_start)}, {"pool_size", options_.pool_size}});
      throw BackendUnavailable("redis: no free connection within pool_wait_timeout (" +
                               std::to_string(options_.pool_wait_timeout.count()) + " ms; all " +
                               std::to_string(options_.pool_size) +
                               " in use): raise RedisOptions::pool_size or pool_wait_timeout");
    }
  }
}

std::unique_ptr<Connection> ConnectionPool::take_idle(bool& check) {
  while (!idle_.empty()) {
    auto connection = std::move(idle_.back());
    idle_.pop_back();
    if (connection->epoch != epoch_) {
      drop_stale(*connection);
      continue;
    }
    check = Clock::now() - connection->idle_since >= options_.health_check_interval;
    return connection;
  }
  return nullptr;
}

void ConnectionPool::drop_stale(const Connection& connection) {
  if (connection.epoch == epoch_) {
    obs::logger(obs::Component::Pool)
        .info("idle connection failed its health check", {{"server", connection.address()}});
  }
  --open_;  // dropped; the next acquire may open a fresh one
}

bool ConnectionPool::healthy(Connection& connection) {
  try {
    Reply reply = connection.run(Command{"PING"});
    return !is_error(*reply);
  } catch (const BackendUnavailable&) {
    return false;
  }
}

std::unique_ptr<Connection> ConnectionPool::connect() {
  {
    util::MutexLock lock(mutex_);
    auto now = Clock::now();
    if (now < next_attempt_) {
      auto wait = std::chrono::duration_cast<milliseconds>(next_attempt_ - now).count();
      throw BackendUnavailable("redis at " + options_.host + ":" + std::to_string(options_.port) +
                               " unavailable (" + last_error_ + "); next attempt in " +
                               std::to_string(wait) + " ms");
    }
  }
  try {
    static obs::Histogram& connects = obs::component_histogram("pool.connect");
    obs::Timed timed(connects);
    auto connection = std::make_unique<Connection>(options_);
    util::MutexLock lock(mutex_);
    connection->epoch = epoch_;
    bool recovered = failures_ > 0;
    failures_ = 0;
    ++stats_.created;
    if (to_replace_ > 0) {
      --to_replace_;
      ++stats_.reconnects;
    }
    const Logger& log = obs::logger(obs::Component::Pool);
    log.log(recovered ? LogLevel::Info : LogLevel::Debug,
            recovered ? "reconnected" : "connection opened",
            {{"server", connection->address()}, {"open", open_}});
    return connection;
  } catch (const BackendUnavailable& e) {
    util::MutexLock lock(mutex_);
    ++stats_.failed;
    ++failures_;
    auto backoff = std::min(kMaxBackoff, kFirstBackoff * (1 << std::min(failures_ - 1, 10)));
    std::uniform_int_distribution<long> half(backoff.count() / 2, backoff.count());
    auto wait = milliseconds(half(jitter_));
    next_attempt_ = Clock::now() + wait;
    last_error_ = e.what();
    // Logged here, once per attempt; the calls refused during the backoff are not logged.
    obs::logger(obs::Component::Pool)
        .warn("connection failed",
              {{"error", last_error_}, {"failures", failures_}, {"retry_in_ms", wait.count()}});
    throw;
  }
}

void ConnectionPool::give_back(std::unique_ptr<Connection> connection) {
  util::MutexLock lock(mutex_);
  --stats_.in_use;
  if (connection->broken()) {
    obs::logger(obs::Component::Pool)
        .info("connection broken, discarded", {{"server", connection->address()}});
    // The server may have restarted: every idle connection of this epoch is suspect.
    if (connection->epoch == epoch_) ++epoch_;
    ++to_replace_;
    --open_;
  } else {
    connection->idle_since = Clock::now();
    idle_.push_back(std::move(connection));
  }
  returned_.notify_one();
}

PoolStats ConnectionPool::stats() const {
  util::MutexLock lock(mutex_);
  PoolStats s = stats_;
  s.open = open_;
  s.idle = idle_.size();
  return s;
}

}  // namespace nadb::backends::redis

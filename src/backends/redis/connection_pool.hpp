// ConnectionPool: up to pool_size Redis connections, made on demand and shared by threads.
// Leases are RAII, so a connection always returns (or, when broken, is discarded).
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <random>
#include <vector>

#include "backends/redis/connection.hpp"
#include "nadb/options.hpp"
#include "nadb/stats.hpp"

namespace nadb::backends::redis {

class ConnectionPool {
 public:
  class Lease {
   public:
    Lease(ConnectionPool& pool, std::unique_ptr<Connection> connection)
        : pool_(&pool), connection_(std::move(connection)) {}
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (connection_) pool_->give_back(std::move(connection_));
    }
    Connection* operator->() const { return connection_.get(); }
    Connection& operator*() const { return *connection_; }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<Connection> connection_;
  };

  explicit ConnectionPool(RedisOptions options);

  // A connection for the caller's exclusive use. Waits up to pool_wait_timeout when all
  // pool_size are in use; connects when fewer are open (not sooner than the reconnect
  // backoff allows after failures). Throws BackendUnavailable. Thread-safe.
  Lease acquire();
  PoolStats stats() const;
  const RedisOptions& options() const { return options_; }

 private:
  void give_back(std::unique_ptr<Connection> connection);
  // A new connection, or BackendUnavailable (also while the backoff after a failure runs).
  std::unique_ptr<Connection> connect();
  // An idle connection that is still good, or null; called with mutex_ held, unlocks
  // around a health check.
  std::unique_ptr<Connection> take_idle(std::unique_lock<std::mutex>& lock);
  bool healthy(Connection& connection);

  const RedisOptions options_;

  // Guarded by mutex_.
  mutable std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<Connection>> idle_;  // most recently used last
  std::size_t open_ = 0;                           // in use + idle + being connected
  std::uint64_t epoch_ = 0;     // bumped when a connection breaks: older idle ones are suspect
  std::size_t to_replace_ = 0;  // broken connections not yet replaced
  int failures_ = 0;            // consecutive connection failures
  std::chrono::steady_clock::time_point next_attempt_{};
  std::string last_error_;
  std::mt19937 jitter_{std::random_device{}()};
  PoolStats stats_;
};

}  // namespace nadb::backends::redis

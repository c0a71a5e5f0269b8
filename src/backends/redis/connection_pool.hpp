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
#include "util/thread_annotations.hpp"

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
  // An idle connection of the current epoch, or null (older ones are dropped). check: it has
  // been idle for health_check_interval, and must answer PING before it is used.
  std::unique_ptr<Connection> take_idle(bool& check) REQUIRES(mutex_);
  // Forgets a connection taken from idle_ that is not to be used.
  void drop_stale(const Connection& connection) REQUIRES(mutex_);
  bool healthy(Connection& connection);

  const RedisOptions options_;

  // Guarded by mutex_.
  mutable util::Mutex mutex_;
  std::condition_variable_any returned_;
  // Most recently used last.
  std::vector<std::unique_ptr<Connection>> idle_ GUARDED_BY(mutex_);
  std::size_t open_ GUARDED_BY(mutex_) = 0;  // in use + idle + being connected
  // Bumped when a connection breaks: older idle ones are suspect.
  std::uint64_t epoch_ GUARDED_BY(mutex_) = 0;
  std::size_t to_replace_ GUARDED_BY(mutex_) = 0;  // broken connections not yet replaced
  int failures_ GUARDED_BY(mutex_) = 0;            // consecutive connection failures
  std::chrono::steady_clock::time_point next_attempt_ GUARDED_BY(mutex_){};
  std::string last_error_ GUARDED_BY(mutex_);
  std::mt19937 jitter_ GUARDED_BY(mutex_){std::random_device{}()};
  PoolStats stats_ GUARDED_BY(mutex_);
};

}  // namespace nadb::backends::redis

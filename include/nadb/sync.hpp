// KeyValueSync: the background flusher and expiry sweeper shared by many stores.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <thread>

namespace nadb {

class KeyValueStore;

struct SyncStatus {
  bool running = false;
  std::size_t stores = 0;    // registered stores
  std::uint64_t rounds = 0;  // completed flush rounds
  std::uint64_t expired_removed = 0;
  std::string last_error;  // empty when the last round succeeded
};

// Every flush_interval it makes every registered store's buffered writes durable and removes
// its expired keys (a full write buffer is flushed at once by the writer itself). Give it to stores
// through Options::sync. Thread-safe.
class KeyValueSync {
 public:
  explicit KeyValueSync(std::chrono::milliseconds flush_interval = std::chrono::seconds(1));
  // Stops (and so flushes) if still running. Never throws.
  ~KeyValueSync();
  KeyValueSync(const KeyValueSync&) = delete;
  KeyValueSync& operator=(const KeyValueSync&) = delete;

  // Starts the background thread; a no-op when running.
  void start();
  // Stops the thread, then flushes every registered store; a no-op when stopped.
  // Throws the first flush error after trying every store.
  void stop();
  SyncStatus status() const;
  // Runs one round (flush and sweep every store) now, in the caller's thread.
  void run_once();

 private:
  friend class KeyValueStore;
  void add(KeyValueStore* store);
  void remove(KeyValueStore* store);
  void loop();
  void round(bool sweep);

  const std::chrono::milliseconds flush_interval_;
  std::thread thread_;

  // Guarded by mutex_.
  mutable std::mutex mutex_;
  std::condition_variable wake_cv_;
  std::set<KeyValueStore*> stores_;
  bool running_ = false;
  bool stop_requested_ = false;
  SyncStatus status_;

  // Held for a whole round so that a store cannot unregister (and die) mid-round.
  std::mutex round_mutex_;
};

}  // namespace nadb

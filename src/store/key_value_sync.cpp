// KeyValueSync: one background thread flushing and sweeping its registered stores.
#include "nadb/sync.hpp"

#include "nadb/errors.hpp"
#include "nadb/store.hpp"
#include "obs/log.hpp"
#include "store/store_core.hpp"

namespace nadb {

KeyValueSync::KeyValueSync(std::chrono::milliseconds flush_interval)
    : flush_interval_(flush_interval) {
  if (flush_interval.count() <= 0) throw InvalidArgument("flush_interval must be positive");
}

KeyValueSync::~KeyValueSync() {
  try {
    stop();
  } catch (const std::exception& e) {
    obs::logger(obs::Component::Sync).error("flush at stop failed", {{"error", e.what()}});
  }
}

void KeyValueSync::start() {
  std::lock_guard lock(mutex_);
  if (running_) return;
  running_ = true;
  stop_requested_ = false;
  status_.running = true;
  thread_ = std::thread([this] { loop(); });
}

void KeyValueSync::stop() {
  {
    std::lock_guard lock(mutex_);
    if (!running_) return;
    stop_requested_ = true;
  }
  wake_cv_.notify_all();
  thread_.join();
  {
    std::lock_guard lock(mutex_);
    running_ = false;
    status_.running = false;
  }
  round(false);
  std::lock_guard lock(mutex_);
  if (!status_.last_error.empty()) throw IOError("KeyValueSync::stop: " + status_.last_error);
}

SyncStatus KeyValueSync::status() const {
  std::lock_guard lock(mutex_);
  SyncStatus s = status_;
  s.stores = stores_.size();
  return s;
}

void KeyValueSync::run_once() {
  round(true);
}

void KeyValueSync::add(KeyValueStore* store) {
  std::lock_guard lock(mutex_);
  stores_.insert(store);
}

void KeyValueSync::remove(KeyValueStore* store) {
  std::lock_guard round_lock(round_mutex_);  // waits for a round that may be using it
  std::lock_guard lock(mutex_);
  stores_.erase(store);
}

void KeyValueSync::loop() {
  std::unique_lock lock(mutex_);
  while (!stop_requested_) {
    wake_cv_.wait_for(lock, flush_interval_, [this] { return stop_requested_; });
    if (stop_requested_) break;
    lock.unlock();
    round(true);
    lock.lock();
  }
}

void KeyValueSync::round(bool sweep) {
  std::lock_guard round_lock(round_mutex_);
  std::set<KeyValueStore*> stores;
  {
    std::lock_guard lock(mutex_);
    stores = stores_;
  }
  std::string error;
  std::uint64_t expired = 0;
  for (KeyValueStore* store : stores) {
    try {
      store->core_->background_round(sweep, expired);
    } catch (const std::exception& e) {
      if (error.empty()) error = store->name() + ": " + e.what();
      obs::logger(obs::Component::Sync)
          .error("background flush failed", {{"store", store->name()}, {"error", e.what()}});
    }
  }
  std::lock_guard lock(mutex_);
  ++status_.rounds;
  status_.expired_removed += expired;
  status_.last_error = error;
}

}  // namespace nadb

// TransactionRegistry: the active transactions of one store and how the others ended. Shared by the
// store and its transactions (a transaction may end after the store stopped counting).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace nadb::txn {

class TransactionRegistry {
 public:
  using Clock = std::chrono::steady_clock;

  void started(const std::string& id, Clock::time_point at) {
    std::lock_guard lock(mutex_);
    active_.emplace(id, at);
  }
  enum class Outcome { Committed, RolledBack, Conflict, Timeout };
  void ended(const std::string& id, Outcome outcome) {
    std::lock_guard lock(mutex_);
    active_.erase(id);
    ++counts_[static_cast<int>(outcome)];
  }

  struct Snapshot {
    std::uint64_t active = 0;
    double oldest_active_age_ms = 0;
    std::uint64_t commits = 0, rollbacks = 0, conflicts = 0, timeouts = 0;
  };
  Snapshot snapshot() const {
    std::lock_guard lock(mutex_);
    Snapshot s;
    s.active = active_.size();
    for (const auto& [id, at] : active_) {
      double age = std::chrono::duration<double, std::milli>(Clock::now() - at).count();
      if (age > s.oldest_active_age_ms) s.oldest_active_age_ms = age;
    }
    s.commits = counts_[0];
    s.rollbacks = counts_[1];
    s.conflicts = counts_[2];
    s.timeouts = counts_[3];
    return s;
  }

 private:
  // Guarded by mutex_.
  mutable std::mutex mutex_;
  std::map<std::string, Clock::time_point> active_;
  std::uint64_t counts_[4] = {0, 0, 0, 0};
};

}  // namespace nadb::txn

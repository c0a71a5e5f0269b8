// FaultInjector: file-system hooks (util/file_system_hooks.hpp) that count the file operations
// of the thread that installed them and fail the Nth with a chosen errno, once or (a full or
// dead disk) from then on. Operations of other threads (background flushers, maintenance)
// pass uncounted, so a run's count is the same every time; a persistent fault fails theirs
// too once it fired.
#pragma once

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <set>
#include <string>
#include <thread>

#include "util/file_system_hooks.hpp"

namespace nadb::testing {

class FaultInjector : public util::FileSystemHooks {
 public:
  // fail_at: the 1-based count of the operation to fail (0: count only). ops: which operations
  // count (empty: all). persistent: every later counted operation fails too.
  FaultInjector(std::uint64_t fail_at, int error, std::set<util::FileOp> ops = {},
                bool persistent = false)
      : fail_at_(fail_at), error_(error), ops_(std::move(ops)), persistent_(persistent) {
    util::install_file_system_hooks(this);
  }
  ~FaultInjector() override { util::install_file_system_hooks(nullptr); }
  FaultInjector(const FaultInjector&) = delete;
  FaultInjector& operator=(const FaultInjector&) = delete;

  int before(const util::FileEvent& event) override {
    if (!counting_) return 0;
    if (std::this_thread::get_id() != owner_) return persistent_ && fired_ ? error_ : 0;
    if (!ops_.empty() && ops_.count(event.op) == 0) return 0;
    std::uint64_t n = ++count_;
    if (fail_at_ == 0 || n < fail_at_ || (n > fail_at_ && !persistent_)) return 0;
    if (n == fail_at_) {
      failed_op_ = event.op;
      failed_path_ = std::string(event.path);
    }
    fired_ = true;
    return error_;
  }

  // Stops failing and counting (a full disk got space again).
  void stop() { counting_ = false; }
  std::uint64_t count() const { return count_; }
  bool fired() const { return fired_; }
  util::FileOp failed_op() const { return failed_op_; }
  const std::string& failed_path() const { return failed_path_; }

 private:
  const std::uint64_t fail_at_;
  const int error_;
  const std::set<util::FileOp> ops_;
  const bool persistent_;
  const std::thread::id owner_ = std::this_thread::get_id();
  std::atomic<bool> counting_{true};
  std::uint64_t count_ = 0;  // touched by the owner thread only
  std::atomic<bool> fired_{false};
  util::FileOp failed_op_ = util::FileOp::Open;
  std::string failed_path_;
};

// SmallDisk: a disk of `capacity` bytes. A write that would take the bytes written past it
// fails with ENOSPC (nothing of it written), as does every write after, until grow().
class SmallDisk : public util::FileSystemHooks {
 public:
  explicit SmallDisk(std::uint64_t capacity) : capacity_(capacity) {
    util::install_file_system_hooks(this);
  }
  ~SmallDisk() override { util::install_file_system_hooks(nullptr); }
  SmallDisk(const SmallDisk&) = delete;
  SmallDisk& operator=(const SmallDisk&) = delete;

  int before(const util::FileEvent& event) override {
    if (event.op != util::FileOp::Write) return 0;
    std::uint64_t used = used_.load();
    if (full_ || used + event.size > capacity_.load()) {
      full_ = true;
      return ENOSPC;
    }
    used_ += event.size;
    return 0;
  }
  // Space was freed: writes fit again.
  void grow(std::uint64_t capacity) {
    capacity_ = capacity;
    full_ = false;
  }

 private:
  std::atomic<std::uint64_t> capacity_;
  std::atomic<std::uint64_t> used_{0};
  std::atomic<bool> full_{false};
};

}  // namespace nadb::testing

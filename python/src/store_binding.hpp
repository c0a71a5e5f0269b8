// nadb._core.Store: a KeyValueStore, with the original API's checks and exceptions on the
// hot paths (set, get, delete) so that nadb.KeyValueStore can call them with no Python frame.
//
// The GIL: every call that waits (a Redis round trip, an fsync, a lock held by a long
// operation), queries, scans or moves many bytes runs with the GIL released. Single-key reads
// and small buffered writes of the embedded backends (fs, memory) keep it: they take about a
// microsecond, less than handing the GIL to another thread and back costs — releasing it there
// made two threads five times slower than one (docs/PYTHON.md, "Threads").
#pragma once

#include <pybind11/pybind11.h>

#include <atomic>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>

#include "fork_guard.hpp"
#include "gil.hpp"
#include "nadb/store.hpp"

namespace nadb::python {

// A store and how its calls treat the GIL (decided at open from its options).
class PyStore {
 public:
  explicit PyStore(const Options& options)
      : store_(std::make_unique<KeyValueStore>(options)),
        embedded_(options.backend == "fs" || options.backend == "memory"),
        sync_writes_(options.durability == Durability::Sync) {}
  // In a forked child the parent's store is forgotten, not destroyed (fork_guard.hpp).
  ~PyStore() {
    if (fork_guard_.forked()) static_cast<void>(store_.release());
  }
  PyStore(const PyStore&) = delete;
  PyStore& operator=(const PyStore&) = delete;

  // The store; raises in a forked child.
  KeyValueStore& core() {
    fork_guard_.check();
    return *store_;
  }
  bool forked() const { return fork_guard_.forked(); }

  // Runs fn keeping the GIL when the call is quick (see above) and no long operation runs in
  // this process, else with the GIL released.
  template <typename F>
  auto run(bool quick, F&& fn) {
    if (quick && embedded_ && long_operations_running.load() == 0) return fn();
    return without_gil(fn);
  }
  // A single-key read. Once the store has moved a large value, reads release the GIL: a read
  // cannot know its value's size beforehand (so at most one large read keeps the GIL).
  template <typename F>
  auto read(F&& fn) {
    auto result = run(!large_values_.load(std::memory_order_relaxed), fn);
    if (moved_bytes(result) >= kQuickValueBytes) large_values_ = true;
    return result;
  }
  // A single-key write of value_bytes.
  template <typename F>
  auto write(std::size_t value_bytes, F&& fn) {
    if (value_bytes >= kQuickValueBytes) large_values_ = true;
    return run(!sync_writes_ && value_bytes < kQuickValueBytes, fn);
  }

  static constexpr std::size_t kQuickValueBytes = 64 * 1024;
  // Long operations called from Python and running now (LongOperation). While one runs, no
  // call keeps the GIL: a quick call could wait for a lock the long operation holds (a
  // restore swapping files) and freeze every thread, or, when the long operation calls a
  // Python progress callback (which takes the GIL from inside the core), deadlock. Changed and
  // read with the GIL held.
  static inline std::atomic<int> long_operations_running{0};

 private:
  template <typename T>
  static std::size_t moved_bytes(const T& result) {
    if constexpr (std::is_same_v<T, std::optional<std::string>>) {
      return result ? result->size() : 0;
    } else if constexpr (std::is_same_v<T, std::optional<Entry>>) {
      return result ? result->value.size() : 0;
    } else {
      return 0;
    }
  }

  ForkGuard fork_guard_;
  std::unique_ptr<KeyValueStore> store_;
  const bool embedded_;
  const bool sync_writes_;
  std::atomic<bool> large_values_{false};  // a value of kQuickValueBytes or more was moved
};

// Scope of a long operation (or close) called from Python, under the GIL: refuses to start
// inside a progress callback of this thread (it would wait for the operation calling the
// callback: close waits for every operation, a backup for the backup running), and counts
// itself in PyStore::long_operations_running.
class LongOperation {
 public:
  explicit LongOperation(const char* what);
  ~LongOperation() { --PyStore::long_operations_running; }
  LongOperation(const LongOperation&) = delete;
  LongOperation& operator=(const LongOperation&) = delete;
};

using StoreClass = pybind11::class_<PyStore>;

StoreClass bind_store(pybind11::module_& module);

// Wraps a Python progress callable (None: none) for the core; it runs with the GIL taken.
ProgressCallback progress_arg(pybind11::handle progress);

}  // namespace nadb::python

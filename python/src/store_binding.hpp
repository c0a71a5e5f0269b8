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
#include <optional>
#include <string>
#include <type_traits>

#include "gil.hpp"
#include "nadb/store.hpp"

namespace nadb::python {

// A store and how its calls treat the GIL (decided at open from its options).
struct PyStore {
  explicit PyStore(const Options& options)
      : store(options),
        embedded(options.backend == "fs" || options.backend == "memory"),
        sync_writes(options.durability == Durability::Sync) {}

  // Runs fn keeping the GIL when the call is quick (see above), else with the GIL released.
  template <typename F>
  auto run(bool quick, F&& fn) {
    if (quick && embedded && python_callbacks_running.load() == 0) return fn();
    return without_gil(fn);
  }
  // A single-key read. Once the store has moved a large value, reads release the GIL: a read
  // cannot know its value's size beforehand (so at most one large read keeps the GIL).
  template <typename F>
  auto read(F&& fn) {
    auto result = run(!large_values.load(std::memory_order_relaxed), fn);
    if (moved_bytes(result) >= kQuickValueBytes) large_values = true;
    return result;
  }
  // A single-key write of value_bytes.
  template <typename F>
  auto write(std::size_t value_bytes, F&& fn) {
    if (value_bytes >= kQuickValueBytes) large_values = true;
    return run(!sync_writes && value_bytes < kQuickValueBytes, fn);
  }

  static constexpr std::size_t kQuickValueBytes = 64 * 1024;
  // Long operations running a Python progress callback, which takes the GIL from inside the
  // core, possibly while the core holds a lock a quick call could wait for: while one runs, no
  // call keeps the GIL, so none can hold it while waiting for such a lock. Changed and read
  // with the GIL held (PythonCallbacks).
  static inline std::atomic<int> python_callbacks_running{0};

  KeyValueStore store;
  const bool embedded;
  const bool sync_writes;
  std::atomic<bool> large_values{false};  // a value of kQuickValueBytes or more was moved

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
};

// Scope of a long operation (or close) called from Python. Refuses to start inside a progress
// callback of this thread (it would wait for the operation calling the callback: close waits
// for every operation, a backup for the backup running, compaction for compaction), and counts
// operations that call Python (see PyStore::python_callbacks_running). Under the GIL.
class LongOperation {
 public:
  LongOperation(const char* what, bool calls_python);
  ~LongOperation() {
    if (calls_python_) --PyStore::python_callbacks_running;
  }
  LongOperation(const LongOperation&) = delete;
  LongOperation& operator=(const LongOperation&) = delete;

 private:
  bool calls_python_;
};

using StoreClass = pybind11::class_<PyStore>;

StoreClass bind_store(pybind11::module_& module);

// Wraps a Python progress callable (None: none) for the core; it runs with the GIL taken.
ProgressCallback progress_arg(pybind11::handle progress);

}  // namespace nadb::python

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
    pybind11::gil_scoped_release release;
    return fn();
  }
  // A single-key read.
  template <typename F>
  auto read(F&& fn) {
    return run(true, fn);
  }
  // A single-key write of value_bytes.
  template <typename F>
  auto write(std::size_t value_bytes, F&& fn) {
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
};

// Counts a long operation that calls Python (see PyStore::python_callbacks_running).
class PythonCallbacks {
 public:
  explicit PythonCallbacks(bool active) : active_(active) {
    if (active_) ++PyStore::python_callbacks_running;
  }
  ~PythonCallbacks() {
    if (active_) --PyStore::python_callbacks_running;
  }
  PythonCallbacks(const PythonCallbacks&) = delete;
  PythonCallbacks& operator=(const PythonCallbacks&) = delete;

 private:
  bool active_;
};

using StoreClass = pybind11::class_<PyStore>;

StoreClass bind_store(pybind11::module_& module);

// Wraps a Python progress callable (None: none) for the core; it runs with the GIL taken.
ProgressCallback progress_arg(pybind11::handle progress);

}  // namespace nadb::python

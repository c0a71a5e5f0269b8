// nadb::Options from the keyword dictionary the Python layer builds (nadb/nakv.py).
#pragma once

#include <pybind11/pybind11.h>

#include <memory>

#include "fork_guard.hpp"
#include "nadb/options.hpp"
#include "nadb/sync.hpp"

namespace nadb::python {

// The KeyValueSync a Python nadb.KeyValueSync wraps (nadb._core.Sync). In a forked child the
// parent's sync (whose thread the child does not have) is forgotten, not stopped.
struct SyncHandle {
  explicit SyncHandle(std::shared_ptr<KeyValueSync> s) : sync(std::move(s)) {}
  ~SyncHandle() {
    if (fork_guard.forked()) static_cast<void>(new std::shared_ptr<KeyValueSync>(std::move(sync)));
  }
  SyncHandle(const SyncHandle&) = delete;
  SyncHandle& operator=(const SyncHandle&) = delete;
  // The sync; raises in a forked child.
  KeyValueSync& get() {
    fork_guard.check();
    return *sync;
  }

  std::shared_ptr<KeyValueSync> sync;
  ForkGuard fork_guard;
};

// Keys: data_folder, db, ns, backend, buffer_size_mb, flush_interval_ms, durability
// ("buffered" | "sync"), compression ("zstd" | "zlib" | "none"), compression_threshold,
// dictionary_value_limit, dictionary_training_bytes, enable_transactions, enable_backup,
// enable_indexing, cache_size, transaction_timeout_s, backup_dir, read_only, max_segment_size_mb,
// keydir_memory_bytes, compaction_dead_ratio, recovery_mode
// ("tolerate_torn_tail" | "absolute_consistency" | "skip_damaged_records"), sync (a Sync),
// redis_url, redis_host, redis_port, redis_database, redis_username, redis_password,
// redis_connect_timeout_ms, redis_socket_timeout_ms, redis_pool_size,
// redis_pool_wait_timeout_ms, redis_health_check_interval_ms, redis_key_prefix.
// A None value keeps the default. ValueError names an unknown key or a bad choice; TypeError
// a value of the wrong type.
Options options_from(const pybind11::dict& settings);

}  // namespace nadb::python

// Typed statistics of a store, exportable as JSON and Prometheus text.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace nadb {

// Latency summary of one operation kind (milliseconds).
struct OperationStats {
  std::uint64_t count = 0;
  std::uint64_t errors = 0;
  double avg_ms = 0;
  double p50_ms = 0;
  double p95_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
  double min_ms = 0;  // last: aggregate initialisers written before it stay valid
};

// A backend's connection pool (redis); all zero for backends without one.
struct PoolStats {
  std::uint64_t size = 0;  // configured maximum
  std::uint64_t open = 0;  // connections open now (in use + idle)
  std::uint64_t in_use = 0;
  std::uint64_t idle = 0;
  std::uint64_t waits = 0;          // acquires that had to wait for a free connection
  double wait_time_ms = 0;          // total time spent waiting
  std::uint64_t timeouts = 0;       // acquires that gave up after pool_wait_timeout
  std::uint64_t created = 0;        // connections established
  std::uint64_t failed = 0;         // connection attempts that failed
  std::uint64_t reconnects = 0;     // connections established to replace a broken one
  std::uint64_t health_checks = 0;  // PINGs of long-idle connections
  // Redis Cluster only: MOVED redirections followed (a slot found on a new master), ASK
  // redirections followed (a key of a slot being migrated), and waits before trying a
  // command again (a script's slot being migrated, TRYAGAIN, a failover, a node unreachable).
  std::uint64_t cluster_moved = 0;
  std::uint64_t cluster_asked = 0;
  std::uint64_t cluster_waits = 0;
};

// What the backend reports about its storage. Fields a backend does not have stay 0.
struct BackendStats {
  std::string backend;
  std::uint64_t segments = 0;
  std::uint64_t disk_bytes = 0;
  std::uint64_t live_bytes = 0;  // of the newest records (fs: on disk; memory: keys and values)
  std::uint64_t dead_bytes = 0;
  std::uint64_t buffered_bytes = 0;
  std::uint64_t flushes = 0;
  std::uint64_t fsyncs = 0;
  std::uint64_t compactions = 0;
  std::uint64_t hint_files = 0;
  std::uint64_t memory_bytes = 0;  // estimated bytes of in-memory structures (keydir)
  // fs writers: the keydir's memory not backed by its mapped image file, which only a
  // checkpoint gives back (what Options::keydir_memory_bytes bounds; expiry schedules and tag
  // sets are in memory_bytes, not here); 0 elsewhere.
  std::uint64_t keydir_private_bytes = 0;
  // Bytes the last open left out and kept aside beside their segment (RecoveryMode).
  std::uint64_t torn_bytes = 0;
  std::uint64_t damaged_bytes = 0;
  PoolStats pool;
};

// The tag index and query cache of a namespace.
struct IndexStats {
  bool enabled = false;  // tag bitmaps (false: queries scan the keys)
  std::uint64_t tags = 0;
  std::uint64_t memory_bytes = 0;  // of the local index, measured by CRoaring (redis: 0)
  std::uint64_t cache_entries = 0;
  std::uint64_t cache_capacity = 0;
  std::uint64_t cache_hits = 0;
  std::uint64_t cache_misses = 0;
  std::uint64_t cache_evictions = 0;
  std::map<std::string, std::uint64_t> popular_tags;  // the 10 most queried tags, with counts
};

struct TransactionStats {
  std::uint64_t active = 0;
  double oldest_active_age_ms = 0;
  std::uint64_t commits = 0;
  std::uint64_t rollbacks = 0;
  std::uint64_t conflicts = 0;
  std::uint64_t timeouts = 0;
};

struct Stats {
  std::string name;     // "db:ns"
  std::string backend;  // backend name
  std::uint64_t key_count = 0;
  std::uint64_t bytes_written_raw = 0;               // value bytes given to writes
  std::uint64_t bytes_written_stored = 0;            // the same after compression
  std::uint64_t bytes_read = 0;                      // raw value bytes returned by reads
  double compression_ratio = 1.0;                    // raw / stored over writes of this store
  std::map<std::string, OperationStats> operations;  // by op name ("set", "get", ...)
  // The components' own operations, process-wide ("engine.fsync", "engine.write",
  // "engine.compact", "engine.recover", "pool.acquire", "pool.connect", "redis.script",
  // "txn.commit", "backup.create", "backup.verify"); only those that ran.
  std::map<std::string, OperationStats> components;
  BackendStats storage;
  IndexStats index;
  TransactionStats transactions;

  std::string to_json() const;
  // Prometheus text exposition: metrics nadb_*, labels db, ns and op.
  std::string to_prometheus() const;
};

}  // namespace nadb

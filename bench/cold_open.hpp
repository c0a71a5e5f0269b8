// The cold open: the db a run left, opened by a process of its own as a program (or one
// `nadb get` from a shell) meets it — the time to open it and read one key, and the memory
// that the open and up to 100,000 random gets leave resident, per key of the db. The process
// is nadb-bench itself (`nadb-bench --cold-open SYSTEM DIR KEYS_FILE`), so nothing of the run's
// own process is counted. The db's files are in the page cache (the run just wrote them), as
// they are for LMDB's.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "workload.hpp"

namespace nadb::bench {

// A system's db, opened by the probe for reading.
class ColdReader {
 public:
  virtual ~ColdReader() = default;
  // Whether key is in the db (its value read whole).
  virtual bool get(const std::string& key) = 0;
  // The keys in the db.
  virtual std::uint64_t count() = 0;
};

// The readers of the systems the probe opens (nadb_system.cpp, lmdb_system.cpp).
std::unique_ptr<ColdReader> open_nadb_fs_reader(const std::string& dir);
#ifdef NADB_BENCH_LMDB
std::unique_ptr<ColdReader> open_lmdb_reader(const std::string& dir);
#endif

// Runs the probe on the db `system` left in dir: {open_get_ms, anon_bytes_per_key,
// rss_bytes_per_key, keys, gets, found}, and for nadb-fs cli_get_ms (the median wall time of 5
// `nadb --data DIR --db bench get KEY` processes, when the CLI is beside nadb-bench). An empty
// object for a system the probe does not open. Throws std::runtime_error when the probe fails.
nlohmann::json probe_cold_open(const std::string& system, const std::string& dir,
                               const Workload& w);

// The probe's side (`--cold-open SYSTEM DIR KEYS_FILE`): prints one JSON line; the exit code.
int run_cold_open(const std::string& system, const std::string& dir, const std::string& keys_file);

}  // namespace nadb::bench

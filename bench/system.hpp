// What every benchmarked system implements: run the five phases of the workload and report
// timings and checks. nadb-bench prints the result and compares the checks.
#pragma once

#include <algorithm>
#include <chrono>
#include <functional>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "workload.hpp"

namespace nadb::bench {

// The Redis server of the redis systems (nadb-redis, redis-raw).
struct RedisTarget {
  std::string host = "127.0.0.1";
  int port = 0;
};

struct RunConfig {
  std::string data_dir;      // a fresh folder for this system's files
  bool sync_writes = false;  // per-write durability (NADB Durability::Sync); peers ignore it
  RedisTarget redis;
};

struct RunOutput {
  nlohmann::json phases = nlohmann::json::object();  // a_set .. e_reopen: {ops, secs, ...}
  nlohmann::json checks = nlohmann::json::object();  // get_found, ..., final_count
  nlohmann::json extra = nlohmann::json::object();   // system-specific figures
  // Peak resident memory (kB) when the standard phases were done, for systems that measure
  // more afterwards; 0: the peak at the end of the run.
  long standard_peak_kb = 0;
};

using SystemRunner = std::function<RunOutput(const Workload&, const RunConfig&)>;

inline double seconds_of(const std::function<void()>& phase) {
  auto start = std::chrono::steady_clock::now();
  phase();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Value i prefixed by its two tag bytes: how the key-value peers (LMDB, RocksDB) store a
// record, so that a delete knows which tag entries to remove.
inline void tagged_record(const Workload& w, std::uint32_t i, std::string& out) {
  out.assign({static_cast<char>(w.tag_a[i]), static_cast<char>(w.tag_b[i])});
  out.append(w.value(i));
}

// The keys in both sorted lists: an AND query's answer, as a list (as every system builds it).
inline std::vector<std::string> sorted_intersection(const std::vector<std::string>& a,
                                                    const std::vector<std::string>& b) {
  std::vector<std::string> both;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(both));
  return both;
}

// p50/p95/p99 and max of per-call latencies, in ms.
inline nlohmann::json percentiles(std::vector<double> ms) {
  if (ms.empty()) return {};
  std::sort(ms.begin(), ms.end());
  auto at = [&](double p) {
    return ms[static_cast<std::size_t>(p * static_cast<double>(ms.size() - 1))];
  };
  return {{"p50_ms", at(0.50)}, {"p95_ms", at(0.95)}, {"p99_ms", at(0.99)}, {"max_ms", ms.back()}};
}

inline nlohmann::json phase(std::size_t ops, double secs) {
  return {{"ops", ops},
          {"secs", secs},
          {"us_per_op", ops ? secs * 1e6 / static_cast<double>(ops) : 0.0}};
}

// This process's resident memory now, its anonymous part, and its peak (kB).
long rss_kb();
long rss_anon_kb();
long rss_peak_kb();

RunOutput run_nadb(const Workload& w, const RunConfig& config, const std::string& backend);
RunOutput run_redis_raw(const Workload& w, const RunConfig& config);
// NADB's Redis layout written without scripts (two keys per record, or one_key): its floor.
RunOutput run_redis_layout(const Workload& w, const RunConfig& config, bool one_key);
#ifdef NADB_BENCH_LMDB
RunOutput run_lmdb(const Workload& w, const RunConfig& config);
#endif
#ifdef NADB_BENCH_SQLITE
RunOutput run_sqlite(const Workload& w, const RunConfig& config);
#endif
#ifdef NADB_BENCH_ROCKSDB
RunOutput run_rocksdb(const Workload& w, const RunConfig& config);
#endif

}  // namespace nadb::bench

// nadb-bench --cluster (make bench-cluster): the standard workload run by 8 threads on throwaway
// Redis Clusters: over 16 namespaces on 1 master and on 3 masters, and in one namespace on 3
// masters, unsharded and with shards=3 (the fan-out of queries, the spread of writes):
// throughput and p99 latency per phase, and the ratios.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "workload.hpp"

namespace nadb::bench {

// Runs every setup `repeat` times, alternating; throws std::runtime_error when two disagree on
// an answer (found gets, query results, final count).
nlohmann::json run_cluster_bench(const Workload& w, int repeat);
std::string cluster_table(const nlohmann::json& result);

}  // namespace nadb::bench

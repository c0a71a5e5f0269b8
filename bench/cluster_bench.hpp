// nadb-bench --cluster (make bench-cluster): the standard workload spread over 16 namespaces and
// run by 8 threads, each owning two namespaces, on a throwaway Redis Cluster of 1 master and
// of 3 masters: throughput and p99 latency per phase, and the ratios between the two.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "workload.hpp"

namespace nadb::bench {

// Runs both clusters `repeat` times, alternating; throws std::runtime_error when the two
// disagree on an answer (found gets, query results, final count).
nlohmann::json run_cluster_bench(const Workload& w, int repeat);
std::string cluster_table(const nlohmann::json& result);

}  // namespace nadb::bench

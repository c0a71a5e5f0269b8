// The machine's memory latency by working-set size: what a random lookup pays per dependent
// cache miss once its data no longer fits the caches. The scale run prints it beside the
// per-op costs, which grow with N mostly by this curve.
#pragma once

#include <nlohmann/json.hpp>

namespace nadb::bench {

// Nanoseconds per dependent load (pointer chasing over a random cycle of 64-byte lines) for
// working sets of 1 MiB to 256 MiB: {"1": ns, "2": ns, ...}, keys in MiB.
nlohmann::json memory_latency_curve();
std::string memory_latency_table(const nlohmann::json& curve);

}  // namespace nadb::bench

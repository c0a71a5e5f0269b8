// nadb-bench --scenarios: NADB's workloads beyond the standard phases (scenarios.cpp).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "workload.hpp"

namespace nadb::bench {

// Runs every scenario on the fs backend in data_dir (removed afterwards); throws
// std::runtime_error when a scenario's own check fails.
nlohmann::json run_scenarios(const Workload& w, const std::string& data_dir);
std::string scenarios_table(const nlohmann::json& scenarios);

}  // namespace nadb::bench

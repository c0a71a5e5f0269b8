// nadb-bench's summary of many runs: medians per system and phase, ratios to nadb-fs (and to
// redis-raw), memory and disk; as JSON and as a table for people.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace nadb::bench {

// results: the RESULT documents of every run (system, phases, rss_kb, disk_bytes, ...).
nlohmann::json summarize(const std::vector<nlohmann::json>& results, int repetitions);

// The summary as a fixed-width table: one row per phase (median seconds, and in parentheses
// the ratio to nadb-fs: above 1 means nadb-fs is faster), then memory and disk, then the cold
// open's figures (open + first get, anonymous memory per key, `nadb get`) where measured.
std::string summary_table(const nlohmann::json& summary, const std::vector<std::string>& systems);

// Per-operation cost (µs) of each phase for each system at each N of a scale run, and the
// growth of each from the first N to the last; and the cold open's figures at each N.
nlohmann::json scale_summary(const std::vector<nlohmann::json>& summaries);
std::string scale_table(const nlohmann::json& scale, const std::vector<std::string>& systems);

}  // namespace nadb::bench

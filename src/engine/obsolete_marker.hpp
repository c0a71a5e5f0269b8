// OBSOLETE: the marker a compaction writes once its output is durable, listing the segments it
// replaced; whoever finds it (the next open, a read-only view) knows those are superseded.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace nadb::engine {

inline constexpr char kObsoleteMarker[] = "OBSOLETE";

// Writes dir/OBSOLETE listing ids, atomically and durably. Throws IOError.
void write_obsolete_marker(const std::string& dir, const std::vector<std::uint32_t>& ids);
// The ids dir/OBSOLETE lists; nullopt when there is none or it is torn (the compaction then
// never committed, and the segments it lists are all still needed). Throws IOError.
std::optional<std::vector<std::uint32_t>> read_obsolete_marker(const std::string& dir);

}  // namespace nadb::engine

// The db's high-water marks (<db>/HIGHWATER): no sequence number (a key's version) and no
// segment id at or above them was ever handed out. Derived from the files alone they would
// go back whenever compaction or a restore removes the records or segments that held the
// highest ones — and a version or a segment name used twice for different data breaks
// compare-and-set and incremental backups. docs/FORMAT.md, "HIGHWATER".
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace nadb::engine {

struct HighWater {
  std::uint64_t seq_limit = 0;         // every seq handed out is below this
  std::uint32_t segment_id_limit = 0;  // every segment id used is below this
};

inline constexpr char kHighWaterFile[] = "HIGHWATER";

// The marks stored in dir, or nullopt when the file does not exist (a db made before it did).
// Throws Corruption when the file is damaged (`nadb repair` rewrites it), IOError.
std::optional<HighWater> read_high_water(const std::string& dir);
// Replaces dir's marks durably (temporary file, fsync, rename, directory fsync). Throws IOError.
void write_high_water(const std::string& dir, const HighWater& marks);

}  // namespace nadb::engine

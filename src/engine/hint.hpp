// Hint files: the records of a sealed segment without their values, so that opening a db
// reads a fraction of its bytes. A hint is only an accelerator: a missing or damaged hint
// means the segment itself is scanned.
#pragma once

#include <cstdint>
#include <string>

#include "engine/segment.hpp"

namespace nadb::engine {

// Scans sealed segment [.., end) and writes <dir>/<id>.hint durably (temp file, fsync,
// rename, directory fsync); damaged records are Corruption, or left out (OnDamage::Skip).
// Throws IOError / Corruption.
void write_hint_file(const std::string& dir, const SegmentFile& segment, std::uint64_t end,
                     OnDamage on_damage = OnDamage::Refuse);

inline constexpr std::uint32_t kHintFormatVersion = 1;

// Visits the records listed by <dir>/<id>.hint (fields.value is empty; value_size is exact).
// Returns false, visiting nothing, when the hint is missing, fails its checksum, or lists a
// record that does not lie inside the segment's segment_size bytes (a length read from disk
// is never trusted beyond the bytes that are there).
bool load_hint_file(const std::string& dir, std::uint32_t segment_id, std::uint64_t segment_size,
                    const RecordVisitor& visit);

}  // namespace nadb::engine

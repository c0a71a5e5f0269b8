// Segment files: naming, the file header, and sequential scanning of their records.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/record.hpp"
#include "util/files.hpp"

namespace nadb::engine {

inline constexpr std::size_t kSegmentHeaderSize = 16;  // magic[8], u32 version, u32 id

std::string segment_file_name(std::uint32_t id);
std::string hint_file_name(std::uint32_t id);
// The id of a segment file name ("00000042.seg" -> 42), or nullopt for other names.
std::optional<std::uint32_t> parse_segment_file_name(std::string_view name);

std::string segment_header(std::uint32_t id);
// The format version of a valid header of segment id; Corruption for anything else (another
// id, a format this build does not read).
std::uint32_t check_segment_header(std::string_view bytes, std::uint32_t id,
                                   const std::string& path);

// An open segment file, shared by readers; stays readable after the file is unlinked.
// Readers use the mapping where it covers a record (no syscall), pread otherwise.
struct SegmentFile {
  std::uint32_t id = 0;
  std::uint32_t format = kFormatVersion;  // of its records (check_segment_header)
  util::File file;
  util::Mapping mapping;

  // The SHA-256 (lowercase hex) of the first `size` bytes, computed once: only sealed
  // segments are asked, and they never change. Throws IOError.
  std::string sha256(std::uint64_t size) const;

 private:
  mutable std::mutex sha256_mutex_;
  mutable std::string sha256_;  // guarded by sha256_mutex_; empty until computed
};
using SegmentFilePtr = std::shared_ptr<const SegmentFile>;

// Reads the top-level records of a segment one after another, through a read buffer
// (segment_scan.cpp).
class SegmentScanner {
 public:
  enum class Status {
    Record,       // offset() and record() describe a whole record that passes its checksum
    End,          // nothing left
    Torn,         // too few bytes left for a header, or an intact header whose record runs
                  // past the end: what an interrupted append leaves
    Damaged,      // the header is not intact (its check fails, or its type is unknown)
    BadChecksum,  // a whole record fails its checksum
  };

  // Scans [start, end) of file, whose records are in format `format`.
  SegmentScanner(const util::File& file, std::uint32_t format, std::uint64_t start,
                 std::uint64_t end);
  // Moves to the next record (record() stays valid until the next call).
  Status next();
  // Continues at offset (after skipped damage).
  void seek(std::uint64_t offset) { next_offset_ = offset; }
  std::uint64_t offset() const { return offset_; }
  std::string_view record() const { return record_; }

 private:
  bool fill(std::uint64_t from, std::size_t n);

  const util::File& file_;
  const std::uint32_t format_;
  std::uint64_t end_;
  std::uint64_t offset_ = 0;
  std::uint64_t next_offset_;
  std::string buffer_;
  std::uint64_t buffer_start_ = 0;
  std::string_view record_;
};

// Calls fn(offset_in_batch_payload, inner_record) for each record inside a batch payload of
// format `format`; false if the payload is malformed (inner records are complete put/delete
// records).
bool for_each_batch_record(std::string_view payload, std::uint32_t format,
                           const std::function<bool(std::size_t, std::string_view)>& fn);

// A put or delete record and where it is stored.
struct LocatedRecord {
  std::uint32_t segment = 0;
  std::uint32_t offset = 0;      // of the record's header in the segment file
  std::uint32_t size = 0;        // header + payload
  std::uint64_t value_size = 0;  // stored value bytes
  RecordFields fields;
};
using RecordVisitor = std::function<void(const LocatedRecord&)>;

// What a scan does with damage that is not a torn tail.
enum class OnDamage {
  Refuse,  // Corruption naming the file and offset
  Skip,    // skip to the next intact record (version 2), reporting the bytes skipped
};

struct ScanResult {
  std::uint64_t valid_end = 0;  // after the last whole record
  bool torn = false;            // [valid_end, end) is a torn tail, left out
  std::vector<std::pair<std::uint64_t, std::uint64_t>> damaged;  // skipped: [from, to)
};

// Visits every put and delete of segment [kSegmentHeaderSize, end) in file order, the records
// of a batch one by one (a batch is visited only when it is whole). Only the tail of the
// active segment may be torn (when tail_may_be_torn): the bytes left after the last whole
// record are too few for a header, an intact header whose record runs past the end, zeros, or
// a last record that fails its checksum. Anything else is damage: Corruption, or skipped.
ScanResult visit_segment(const SegmentFile& segment, std::uint64_t end, bool tail_may_be_torn,
                         OnDamage on_damage, const RecordVisitor& visit);
// As visit_segment, from the record at `from` (a record boundary: where a keydir image ends).
ScanResult visit_segment_from(const SegmentFile& segment, std::uint64_t from, std::uint64_t end,
                              bool tail_may_be_torn, OnDamage on_damage,
                              const RecordVisitor& visit);

}  // namespace nadb::engine

// Segment files: naming, the file header, and sequential scanning of their records.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "engine/record.hpp"
#include "util/files.hpp"

namespace nadb::engine {

inline constexpr std::size_t kSegmentHeaderSize = 16;  // magic[8], u32 version, u32 id

std::string segment_file_name(std::uint32_t id);
std::string hint_file_name(std::uint32_t id);
// The id of a segment file name ("00000042.seg" -> 42), or nullopt for other names.
std::optional<std::uint32_t> parse_segment_file_name(std::string_view name);

std::string segment_header(std::uint32_t id);
// Throws Corruption if bytes are not a valid header of segment id in a supported format.
void check_segment_header(std::string_view bytes, std::uint32_t id, const std::string& path);

// An open segment file, shared by readers; stays readable after the file is unlinked.
// Readers use the mapping where it covers a record (no syscall), pread otherwise.
struct SegmentFile {
  std::uint32_t id = 0;
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

// Reads the top-level records of a segment one after another, through a read buffer.
class SegmentScanner {
 public:
  enum class Status { Record, End, Torn, BadChecksum };

  // Scans [start, end) of file.
  SegmentScanner(const util::File& file, std::uint64_t start, std::uint64_t end);
  // Moves to the next record. On Record, offset() and record() describe it (record() stays
  // valid until the next call). Torn: the bytes left cannot hold a whole record. BadChecksum:
  // a complete record fails its checksum.
  Status next();
  std::uint64_t offset() const { return offset_; }
  std::string_view record() const { return record_; }

 private:
  bool fill(std::uint64_t from, std::size_t n);

  const util::File& file_;
  std::uint64_t end_;
  std::uint64_t offset_ = 0;
  std::uint64_t next_offset_;
  std::string buffer_;
  std::uint64_t buffer_start_ = 0;
  std::string_view record_;
};

// Calls fn(offset_in_batch_payload, inner_record) for each record inside a batch payload;
// false if the payload is malformed (inner records are complete put/delete records).
bool for_each_batch_record(std::string_view payload,
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

// Visits every put and delete of segment [kSegmentHeaderSize, end) in file order, the records
// of a batch one by one (a batch is visited only when it is whole). Returns the offset after
// the last whole record. A short or bad last record is a torn tail: accepted (and excluded)
// when tail_may_be_torn, Corruption otherwise. A bad record followed by more data is always
// Corruption, naming the file and offset.
std::uint64_t visit_segment(const SegmentFile& segment, std::uint64_t end, bool tail_may_be_torn,
                            const RecordVisitor& visit);

}  // namespace nadb::engine

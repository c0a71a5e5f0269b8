// Scanning a segment's records, and telling a torn tail (what an interrupted append leaves,
// which recovery may drop) from damage (which it must never drop silently).
#include <algorithm>

#include "engine/segment.hpp"
#include "nadb/errors.hpp"
#include "util/varint.hpp"

namespace nadb::engine {
namespace {

constexpr std::size_t kScanBufferSize = 256 << 10;

// Whether bytes [from, end) of file are all zero (a tail the file system extended but never
// wrote).
bool all_zero(const util::File& file, std::uint64_t from, std::uint64_t end) {
  std::string chunk;
  for (std::uint64_t at = from; at < end; at += chunk.size()) {
    file.read_at(at, static_cast<std::size_t>(std::min<std::uint64_t>(end - at, 1 << 20)), chunk);
    if (chunk.find_first_not_of('\0') != std::string::npos) return false;
  }
  return true;
}

// The offset of the first intact record after `from` (its header check and its checksum
// pass), or end when there is none. Version 2 only: version 1 headers carry no check.
std::uint64_t next_intact_record(const util::File& file, std::uint32_t format, std::uint64_t from,
                                 std::uint64_t end) {
  if (format < 2) return end;
  std::string bytes;
  file.read_at(from, static_cast<std::size_t>(end - from), bytes);
  for (std::size_t at = 1; at + kRecordHeaderSize <= bytes.size(); ++at) {
    RecordHeader h = parse_header(bytes.data() + at, format);
    if (h.intact && h.total_size() <= bytes.size() - at &&
        checksum_matches(std::string_view(bytes).substr(at, h.total_size()))) {
      return from + at;
    }
  }
  return end;
}

}  // namespace

SegmentScanner::SegmentScanner(const util::File& file, std::uint32_t format, std::uint64_t start,
                               std::uint64_t end)
    : file_(file), format_(format), end_(end), next_offset_(start) {}

bool SegmentScanner::fill(std::uint64_t from, std::size_t n) {
  if (from + n > end_) return false;
  if (from >= buffer_start_ && from + n <= buffer_start_ + buffer_.size()) return true;
  std::size_t want = static_cast<std::size_t>(
      std::min<std::uint64_t>(std::max<std::size_t>(n, kScanBufferSize), end_ - from));
  buffer_.resize(want);
  buffer_.resize(file_.read_some_at(from, want, buffer_.data()));
  buffer_start_ = from;
  return buffer_.size() >= n;
}

SegmentScanner::Status SegmentScanner::next() {
  offset_ = next_offset_;
  record_ = {};
  if (offset_ >= end_) return Status::End;
  if (!fill(offset_, record_header_size(format_))) return Status::Torn;
  RecordHeader header = parse_header(buffer_.data() + (offset_ - buffer_start_), format_);
  if (!header.intact) return Status::Damaged;
  if (!fill(offset_, header.total_size())) return Status::Torn;
  record_ = std::string_view(buffer_.data() + (offset_ - buffer_start_), header.total_size());
  if (!checksum_matches(record_)) return Status::BadChecksum;
  next_offset_ = offset_ + header.total_size();
  return Status::Record;
}

bool for_each_batch_record(std::string_view payload, std::uint32_t format,
                           const std::function<bool(std::size_t, std::string_view)>& fn) {
  std::size_t pos = 0, header_size = record_header_size(format);
  while (pos < payload.size()) {
    if (payload.size() - pos < header_size) return false;
    RecordHeader header = parse_header(payload.data() + pos, format);
    if (!header.intact || header.type == RecordType::Batch ||
        header.total_size() > payload.size() - pos) {
      return false;
    }
    if (!fn(pos, payload.substr(pos, header.total_size()))) return false;
    pos += header.total_size();
  }
  return true;
}

namespace {

// Visits the put or delete records of one whole record (a batch: each inner record);
// false when it does not decode.
bool visit_record(const SegmentFile& segment, std::uint64_t offset, std::string_view record,
                  LocatedRecord& located, const RecordVisitor& visit) {
  std::size_t header_size = record_header_size(segment.format);
  RecordHeader header = parse_header(record.data(), segment.format);
  std::string_view payload = record.substr(header_size);
  if (header.type != RecordType::Batch) {
    if (!decode_payload(header.type, payload, located.fields)) return false;
    located.offset = static_cast<std::uint32_t>(offset);
    located.size = static_cast<std::uint32_t>(record.size());
    located.value_size = located.fields.value.size();
    visit(located);
    return true;
  }
  // A batch is visited only when every inner record decodes: all or nothing.
  bool whole =
      for_each_batch_record(payload, segment.format, [&](std::size_t, std::string_view inner) {
        RecordFields fields;
        return decode_payload(parse_header(inner.data(), segment.format).type,
                              inner.substr(header_size), fields);
      });
  if (!whole) return false;
  for_each_batch_record(payload, segment.format, [&](std::size_t at, std::string_view inner) {
    decode_payload(parse_header(inner.data(), segment.format).type, inner.substr(header_size),
                   located.fields);
    located.offset = static_cast<std::uint32_t>(offset + header_size + at);
    located.size = static_cast<std::uint32_t>(inner.size());
    located.value_size = located.fields.value.size();
    visit(located);
    return true;
  });
  return true;
}

}  // namespace

ScanResult visit_segment(const SegmentFile& segment, std::uint64_t end, bool tail_may_be_torn,
                         OnDamage on_damage, const RecordVisitor& visit) {
  return visit_segment_from(segment, kSegmentHeaderSize, end, tail_may_be_torn, on_damage, visit);
}

ScanResult visit_segment_from(const SegmentFile& segment, std::uint64_t from, std::uint64_t end,
                              bool tail_may_be_torn, OnDamage on_damage,
                              const RecordVisitor& visit) {
  const std::string& path = segment.file.path();
  ScanResult result;
  SegmentScanner scanner(segment.file, segment.format, from, end);
  LocatedRecord located;
  located.segment = segment.id;
  for (;;) {
    auto status = scanner.next();
    std::uint64_t offset = scanner.offset();
    if (status == SegmentScanner::Status::End) {
      result.valid_end = end;
      return result;
    }
    if (status == SegmentScanner::Status::Record &&
        visit_record(segment, offset, scanner.record(), located, visit)) {
      continue;
    }
    bool torn = status == SegmentScanner::Status::Torn ||
                (status == SegmentScanner::Status::BadChecksum &&
                 offset + scanner.record().size() == end) ||
                (status == SegmentScanner::Status::Damaged && all_zero(segment.file, offset, end));
    if (torn && tail_may_be_torn) {
      result.valid_end = offset;
      result.torn = true;
      return result;
    }
    const char* what = status == SegmentScanner::Status::Torn      ? "truncated record"
                       : status == SegmentScanner::Status::Damaged ? "damaged record header"
                       : status == SegmentScanner::Status::Record  ? "undecodable record"
                                                                   : "checksum mismatch";
    if (on_damage == OnDamage::Refuse) {
      throw Corruption("corrupt record in '" + path + "' at offset " + std::to_string(offset) +
                       ": " + what);
    }
    std::uint64_t resume = next_intact_record(segment.file, segment.format, offset, end);
    result.damaged.emplace_back(offset, resume);
    scanner.seek(resume);
  }
}

}  // namespace nadb::engine

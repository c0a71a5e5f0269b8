#include "engine/segment.hpp"

#include <cstdio>

#include "nadb/errors.hpp"
#include "util/encoding.hpp"
#include "util/varint.hpp"

namespace nadb::engine {
namespace {

constexpr char kSegmentMagic[8] = {'N', 'A', 'D', 'B', 'S', 'E', 'G', '\0'};
constexpr std::size_t kScanBufferSize = 256 << 10;

std::string numbered_name(std::uint32_t id, const char* suffix) {
  char name[32];
  std::snprintf(name, sizeof name, "%08u%s", id, suffix);
  return name;
}

}  // namespace

std::string segment_file_name(std::uint32_t id) {
  return numbered_name(id, ".seg");
}
std::string hint_file_name(std::uint32_t id) {
  return numbered_name(id, ".hint");
}

std::optional<std::uint32_t> parse_segment_file_name(std::string_view name) {
  if (name.size() != 12 || name.substr(8) != ".seg") return std::nullopt;
  std::uint64_t id = 0;
  for (char c : name.substr(0, 8)) {
    if (c < '0' || c > '9') return std::nullopt;
    id = id * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return static_cast<std::uint32_t>(id);
}

std::string segment_header(std::uint32_t id) {
  std::string header(kSegmentMagic, sizeof kSegmentMagic);
  util::put_fixed<std::uint32_t>(header, kFormatVersion);
  util::put_fixed<std::uint32_t>(header, id);
  return header;
}

void check_segment_header(std::string_view bytes, std::uint32_t id, const std::string& path) {
  if (bytes.size() < kSegmentHeaderSize ||
      bytes.substr(0, sizeof kSegmentMagic) !=
          std::string_view(kSegmentMagic, sizeof kSegmentMagic)) {
    throw Corruption("'" + path + "' is not a NADB segment (bad magic)");
  }
  auto version = util::get_fixed<std::uint32_t>(bytes.data() + 8);
  if (version != kFormatVersion) {
    throw Corruption("'" + path + "' has format version " + std::to_string(version) +
                     "; this build reads version " + std::to_string(kFormatVersion));
  }
  auto stored_id = util::get_fixed<std::uint32_t>(bytes.data() + 12);
  if (stored_id != id) {
    throw Corruption("'" + path + "' claims to be segment " + std::to_string(stored_id));
  }
}

std::string SegmentFile::sha256(std::uint64_t size) const {
  std::lock_guard lock(sha256_mutex_);
  if (sha256_.empty()) {
    std::string copy;
    std::string_view bytes = mapping.view(0, size);
    if (bytes.size() != size) {
      file.read_at(0, size, copy);
      bytes = copy;
    }
    sha256_ = util::sha256_hex(bytes);
  }
  return sha256_;
}

SegmentScanner::SegmentScanner(const util::File& file, std::uint64_t start, std::uint64_t end)
    : file_(file), end_(end), next_offset_(start) {}

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
  if (offset_ >= end_) return Status::End;
  if (!fill(offset_, kRecordHeaderSize)) return Status::Torn;
  const char* at = buffer_.data() + (offset_ - buffer_start_);
  RecordHeader header = parse_header(at);
  if (!fill(offset_, header.total_size())) return Status::Torn;
  record_ = std::string_view(buffer_.data() + (offset_ - buffer_start_), header.total_size());
  if (!valid_type(static_cast<std::uint8_t>(header.type)) || !checksum_matches(record_)) {
    return Status::BadChecksum;
  }
  next_offset_ = offset_ + header.total_size();
  return Status::Record;
}

bool for_each_batch_record(std::string_view payload,
                           const std::function<bool(std::size_t, std::string_view)>& fn) {
  std::size_t pos = 0;
  while (pos < payload.size()) {
    if (payload.size() - pos < kRecordHeaderSize) return false;
    RecordHeader header = parse_header(payload.data() + pos);
    if (header.type == RecordType::Batch || !valid_type(static_cast<std::uint8_t>(header.type)) ||
        header.total_size() > payload.size() - pos) {
      return false;
    }
    if (!fn(pos, payload.substr(pos, header.total_size()))) return false;
    pos += header.total_size();
  }
  return true;
}

std::uint64_t visit_segment(const SegmentFile& segment, std::uint64_t end, bool tail_may_be_torn,
                            const RecordVisitor& visit) {
  const std::string& path = segment.file.path();
  auto corrupt = [&](std::uint64_t offset, const char* what) {
    return Corruption("corrupt record in '" + path + "' at offset " + std::to_string(offset) +
                      ": " + what);
  };
  SegmentScanner scanner(segment.file, kSegmentHeaderSize, end);
  LocatedRecord located;
  located.segment = segment.id;
  for (;;) {
    auto status = scanner.next();
    if (status == SegmentScanner::Status::End) return end;
    if (status != SegmentScanner::Status::Record) {
      bool at_tail = status == SegmentScanner::Status::Torn ||
                     scanner.offset() + scanner.record().size() == end;
      if (at_tail && tail_may_be_torn) return scanner.offset();
      throw corrupt(scanner.offset(), status == SegmentScanner::Status::Torn ? "truncated record"
                                                                             : "checksum mismatch");
    }
    std::string_view record = scanner.record();
    RecordHeader header = parse_header(record.data());
    std::string_view payload = record.substr(kRecordHeaderSize);
    if (header.type != RecordType::Batch) {
      if (!decode_payload(header.type, payload, located.fields)) {
        throw corrupt(scanner.offset(), "undecodable payload");
      }
      located.offset = static_cast<std::uint32_t>(scanner.offset());
      located.size = static_cast<std::uint32_t>(record.size());
      located.value_size = located.fields.value.size();
      visit(located);
      continue;
    }
    bool ok = for_each_batch_record(payload, [&](std::size_t at, std::string_view inner) {
      RecordHeader inner_header = parse_header(inner.data());
      if (!decode_payload(inner_header.type, inner.substr(kRecordHeaderSize), located.fields)) {
        return false;
      }
      located.offset = static_cast<std::uint32_t>(scanner.offset() + kRecordHeaderSize + at);
      located.size = static_cast<std::uint32_t>(inner.size());
      located.value_size = located.fields.value.size();
      visit(located);
      return true;
    });
    if (!ok) throw corrupt(scanner.offset(), "malformed batch");
  }
}

}  // namespace nadb::engine

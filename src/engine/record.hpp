// The record codec: how one put or delete (or an atomic batch of them) is laid out in a
// segment. docs/FORMAT.md describes every byte.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "nadb/backend.hpp"

namespace nadb::engine {

// Segment formats: version 2 is written; version 1 (records without a header check) is read.
inline constexpr std::uint32_t kFormatVersion = 2;
inline constexpr std::uint32_t kFirstFormatVersion = 1;
// A record's header: u64 checksum, u32 length, u8 type and (version 2) a u32 check of the
// length and type, so that a damaged length reads as damage rather than as a torn tail.
inline constexpr std::size_t kRecordHeaderSize = 17;
constexpr std::size_t record_header_size(std::uint32_t format) {
  return format >= 2 ? kRecordHeaderSize : 13;
}
inline constexpr std::uint32_t kMaxPayloadSize = 0xFFFFFFF0u;

enum class RecordType : std::uint8_t { Put = 1, Delete = 2, Batch = 3 };

// The fields of a put or delete record. Views point into the bytes it was decoded from.
struct RecordFields {
  RecordType type = RecordType::Put;
  std::uint64_t seq = 0;
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;
  std::int64_t expires_ms = 0;
  std::uint64_t raw_size = 0;
  ValueCodec codec = ValueCodec::None;
  std::string_view ns;
  std::string_view key;
  std::vector<std::string_view> tags;
  std::string_view value;
};

// Appends one complete put or delete record (header and payload) to out.
void encode_record(std::string& out, const RecordFields& fields);

// Batch framing: begin_batch reserves the header, end_batch fills in length and checksum over
// the records appended in between.
std::size_t begin_batch(std::string& out);
void end_batch(std::string& out, std::size_t batch_start);

struct RecordHeader {
  std::uint64_t checksum = 0;
  std::uint32_t payload_size = 0;
  RecordType type = RecordType::Put;
  std::size_t header_size = kRecordHeaderSize;
  bool intact = true;  // the header check matches and the type is known (version 1: the type)
  std::size_t total_size() const { return header_size + payload_size; }
};

// Reads record_header_size(format) bytes.
RecordHeader parse_header(const char* bytes, std::uint32_t format = kFormatVersion);
bool valid_type(std::uint8_t type);
// True if record (header + payload) matches its checksum.
bool checksum_matches(std::string_view record);
// Decodes the payload of a put or delete record; false when malformed.
bool decode_payload(RecordType type, std::string_view payload, RecordFields& fields);
// Decodes a complete put/delete record, checking its checksum; false when corrupt.
bool decode_record(std::string_view record, RecordFields& fields,
                   std::uint32_t format = kFormatVersion);

}  // namespace nadb::engine

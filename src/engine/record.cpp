#include "engine/record.hpp"

#include "util/checksum.hpp"
#include "util/varint.hpp"

namespace nadb::engine {
namespace {

constexpr std::uint8_t kCodecMask = 0x03;
constexpr std::uint8_t kHasExpiry = 0x04;
constexpr std::uint8_t kUpdatedDiffers = 0x08;
constexpr std::uint8_t kKnownFlags = kCodecMask | kHasExpiry | kUpdatedDiffers;

void put_bytes(std::string& out, std::string_view bytes) {
  util::put_varint(out, bytes.size());
  out.append(bytes);
}

// The check of a version 2 header: the low 32 bits of XXH3 over its length and type.
std::uint32_t header_check(const char* header) {
  return static_cast<std::uint32_t>(util::checksum(std::string_view(header + 8, 5)));
}

void put_le(char* at, std::uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i)
    at[i] = static_cast<char>((value >> (8 * i)) & 0xff);
}

void finish_record(std::string& out, std::size_t start) {
  auto payload = out.size() - start - kRecordHeaderSize;
  char* header = out.data() + start;
  put_le(header + 8, static_cast<std::uint32_t>(payload), 4);
  put_le(header + 13, header_check(header), 4);
  put_le(header, util::checksum(std::string_view(header + 8, out.size() - start - 8)), 8);
}

std::size_t begin_record(std::string& out, RecordType type) {
  std::size_t start = out.size();
  out.append(12, '\0');
  out.push_back(static_cast<char>(type));
  out.append(4, '\0');
  return start;
}

}  // namespace

void encode_record(std::string& out, const RecordFields& f) {
  std::size_t start = begin_record(out, f.type);
  if (f.type == RecordType::Delete) {
    util::put_varint(out, f.seq);
    put_bytes(out, f.ns);
    put_bytes(out, f.key);
    finish_record(out, start);
    return;
  }
  std::uint8_t flags = static_cast<std::uint8_t>(f.codec) & kCodecMask;
  if (f.expires_ms != 0) flags |= kHasExpiry;
  if (f.updated_ms != f.created_ms) flags |= kUpdatedDiffers;
  out.push_back(static_cast<char>(flags));
  util::put_varint(out, f.seq);
  util::put_varint(out, static_cast<std::uint64_t>(f.created_ms));
  if (flags & kUpdatedDiffers)
    util::put_varint(out, static_cast<std::uint64_t>(f.updated_ms - f.created_ms));
  if (flags & kHasExpiry) util::put_varint(out, static_cast<std::uint64_t>(f.expires_ms));
  if (f.codec != ValueCodec::None) util::put_varint(out, f.raw_size);
  put_bytes(out, f.ns);
  put_bytes(out, f.key);
  util::put_varint(out, f.tags.size());
  for (auto tag : f.tags)
    put_bytes(out, tag);
  out.append(f.value);
  finish_record(out, start);
}

std::size_t begin_batch(std::string& out) {
  return begin_record(out, RecordType::Batch);
}

void end_batch(std::string& out, std::size_t batch_start) {
  finish_record(out, batch_start);
}

RecordHeader parse_header(const char* bytes, std::uint32_t format) {
  RecordHeader h;
  h.checksum = util::get_fixed<std::uint64_t>(bytes);
  h.payload_size = util::get_fixed<std::uint32_t>(bytes + 8);
  h.type = static_cast<RecordType>(static_cast<std::uint8_t>(bytes[12]));
  h.header_size = record_header_size(format);
  h.intact = valid_type(static_cast<std::uint8_t>(bytes[12])) &&
             (format < 2 || util::get_fixed<std::uint32_t>(bytes + 13) == header_check(bytes));
  return h;
}

bool valid_type(std::uint8_t type) {
  return type >= 1 && type <= 3;
}

bool checksum_matches(std::string_view record) {
  if (record.size() < kRecordHeaderSize) return false;
  return util::get_fixed<std::uint64_t>(record.data()) == util::checksum(record.substr(8));
}

bool decode_payload(RecordType type, std::string_view payload, RecordFields& f) {
  util::Reader in(payload);
  f.type = type;
  f.tags.clear();
  if (type == RecordType::Delete) {
    in.varint(f.seq);
    in.length_prefixed(f.ns);
    in.length_prefixed(f.key);
    f.created_ms = f.updated_ms = f.expires_ms = 0;
    f.raw_size = 0;
    f.codec = ValueCodec::None;
    f.value = {};
    return in.ok() && in.at_end();
  }
  if (type != RecordType::Put) return false;
  std::uint8_t flags = 0;
  std::uint64_t created = 0, delta = 0, expires = 0, raw = 0, tag_count = 0;
  in.fixed(flags);
  if ((flags & ~kKnownFlags) != 0 || (flags & kCodecMask) > 2) return false;
  in.varint(f.seq);
  in.varint(created);
  if (flags & kUpdatedDiffers) in.varint(delta);
  if (flags & kHasExpiry) in.varint(expires);
  f.codec = static_cast<ValueCodec>(flags & kCodecMask);
  if (f.codec != ValueCodec::None) in.varint(raw);
  in.length_prefixed(f.ns);
  in.length_prefixed(f.key);
  in.varint(tag_count);
  if (!in.ok() || tag_count > payload.size()) return false;
  f.tags.resize(tag_count);
  for (auto& tag : f.tags)
    in.length_prefixed(tag);
  if (!in.ok()) return false;
  f.created_ms = static_cast<std::int64_t>(created);
  f.updated_ms = f.created_ms + static_cast<std::int64_t>(delta);
  f.expires_ms = static_cast<std::int64_t>(expires);
  f.value = in.rest();
  f.raw_size = f.codec == ValueCodec::None ? f.value.size() : raw;
  return true;
}

bool decode_record(std::string_view record, RecordFields& fields, std::uint32_t format) {
  std::size_t header_size = record_header_size(format);
  if (record.size() < header_size || !checksum_matches(record)) return false;
  RecordHeader h = parse_header(record.data(), format);
  if (!h.intact || h.total_size() != record.size()) return false;
  return decode_payload(h.type, record.substr(header_size), fields);
}

}  // namespace nadb::engine

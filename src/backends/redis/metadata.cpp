#include "backends/redis/metadata.hpp"

#include "nadb/errors.hpp"

namespace nadb::backends::redis {
namespace {

constexpr std::size_t kHeaderSize = 49;  // the fixed part, before the tags

std::int64_t big_endian(std::string_view bytes, std::size_t at) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i)
    v = v << 8 | static_cast<unsigned char>(bytes[at + i]);
  return static_cast<std::int64_t>(v);
}

void put_big_endian(std::string& out, std::uint64_t v, int bytes) {
  for (int shift = 8 * (bytes - 1); shift >= 0; shift -= 8)
    out.push_back(static_cast<char>(v >> shift & 0xff));
}

std::vector<std::string> unpack_tags(std::string_view packed) {
  std::vector<std::string> tags;
  while (!packed.empty()) {
    if (packed.size() < 4) throw Corruption("redis: truncated tag list");
    auto length = static_cast<std::size_t>(static_cast<unsigned char>(packed[0])) << 24 |
                  static_cast<std::size_t>(static_cast<unsigned char>(packed[1])) << 16 |
                  static_cast<std::size_t>(static_cast<unsigned char>(packed[2])) << 8 |
                  static_cast<std::size_t>(static_cast<unsigned char>(packed[3]));
    if (packed.size() - 4 < length) throw Corruption("redis: truncated tag list");
    tags.emplace_back(packed.substr(4, length));
    packed.remove_prefix(4 + length);
  }
  return tags;
}

}  // namespace

std::string metadata_tail(const WriteOp& op, std::int64_t now_ms) {
  std::string tail;
  tail.reserve(kHeaderSize - 16);
  put_big_endian(tail, static_cast<std::uint64_t>(now_ms), 8);
  put_big_endian(tail, static_cast<std::uint64_t>(op.expires_ms), 8);
  put_big_endian(tail, op.raw_size, 8);
  put_big_endian(tail, op.value.size(), 8);
  tail.push_back(static_cast<char>(op.codec));
  return tail;
}

std::string pack_tags(const std::vector<std::string>& tags) {
  std::string packed;
  for (const auto& tag : tags) {
    put_big_endian(packed, tag.size(), 4);
    packed += tag;
  }
  return packed;
}

RecordMeta unpack_metadata(std::string_view packed, bool with_tags) {
  if (packed.size() < kHeaderSize) throw Corruption("redis: metadata of a key is truncated");
  RecordMeta meta;
  meta.version = static_cast<std::uint64_t>(big_endian(packed, 0));
  meta.created_ms = big_endian(packed, 8);
  meta.updated_ms = big_endian(packed, 16);
  meta.expires_ms = big_endian(packed, 24);
  meta.raw_size = static_cast<std::uint64_t>(big_endian(packed, 32));
  meta.stored_size = static_cast<std::uint64_t>(big_endian(packed, 40));
  auto codec = static_cast<unsigned char>(packed[48]);
  if (codec > static_cast<unsigned char>(ValueCodec::Zlib))
    throw Corruption("redis: metadata names an unknown codec " + std::to_string(codec));
  meta.codec = static_cast<ValueCodec>(codec);
  if (with_tags) meta.tags = unpack_tags(packed.substr(kHeaderSize));
  return meta;
}

}  // namespace nadb::backends::redis

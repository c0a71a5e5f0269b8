#include "engine/hint.hpp"

#include <fcntl.h>

#include "util/checksum.hpp"
#include "util/varint.hpp"

namespace nadb::engine {
namespace {

constexpr char kHintMagic[8] = {'N', 'A', 'D', 'B', 'H', 'N', 'T', '\0'};
constexpr std::size_t kHintHeaderSize = 16;

}  // namespace

void write_hint_file(const std::string& dir, const SegmentFile& segment, std::uint64_t end,
                     OnDamage on_damage) {
  std::string out(kHintMagic, sizeof kHintMagic);
  util::put_fixed<std::uint32_t>(out, kHintFormatVersion);
  util::put_fixed<std::uint32_t>(out, segment.id);
  visit_segment(segment, end, false, on_damage, [&](const LocatedRecord& r) {
    out.push_back(static_cast<char>(r.fields.type));
    util::put_varint(out, r.offset);
    util::put_varint(out, r.size);
    util::put_varint(out, r.value_size);
    // The payload without the value: re-encoding the fields with an empty value yields it.
    std::string prefix;
    RecordFields fields = r.fields;
    fields.value = {};
    encode_record(prefix, fields);
    util::put_varint(out, prefix.size() - kRecordHeaderSize);
    out.append(prefix, kRecordHeaderSize);
  });
  util::put_fixed<std::uint64_t>(out, util::checksum(out));

  util::write_file_atomically(util::join_path(dir, hint_file_name(segment.id)), out);
  util::sync_directory(dir);
}

bool load_hint_file(const std::string& dir, std::uint32_t segment_id, std::uint64_t segment_size,
                    const RecordVisitor& visit) {
  std::string path = util::join_path(dir, hint_file_name(segment_id));
  if (!util::path_exists(path)) return false;
  std::string data = util::read_file(path);
  if (data.size() < kHintHeaderSize + 8) return false;
  std::string_view body(data.data(), data.size() - 8);
  if (util::get_fixed<std::uint64_t>(data.data() + body.size()) != util::checksum(body))
    return false;
  if (body.substr(0, 8) != std::string_view(kHintMagic, 8) ||
      util::get_fixed<std::uint32_t>(body.data() + 8) != kHintFormatVersion ||
      util::get_fixed<std::uint32_t>(body.data() + 12) != segment_id) {
    return false;
  }
  // Two passes over the bytes: the first only checks that every entry decodes (so that a
  // malformed hint visits nothing), the second visits. No list of records is built.
  auto each = [&](const RecordVisitor* visitor) {
    util::Reader in(body.substr(kHintHeaderSize));
    LocatedRecord r;
    r.segment = segment_id;
    while (!in.at_end()) {
      std::uint8_t type = 0;
      std::uint64_t offset = 0, size = 0, value_size = 0;
      std::string_view payload;
      in.fixed(type);
      in.varint(offset);
      in.varint(size);
      in.varint(value_size);
      in.length_prefixed(payload);
      bool inside = offset >= kSegmentHeaderSize && offset <= segment_size &&
                    size <= segment_size - offset && size >= payload.size() && value_size <= size;
      if (!in.ok() || !inside || (type != 1 && type != 2) ||
          !decode_payload(static_cast<RecordType>(type), payload, r.fields)) {
        return false;
      }
      r.offset = static_cast<std::uint32_t>(offset);
      r.size = static_cast<std::uint32_t>(size);
      r.value_size = value_size;
      if (r.fields.codec == ValueCodec::None) r.fields.raw_size = value_size;
      if (visitor != nullptr) (*visitor)(r);
    }
    return true;
  };
  return each(nullptr) && each(&visit);
}

}  // namespace nadb::engine

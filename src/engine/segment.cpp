#include "engine/segment.hpp"

#include <cstdio>

#include "nadb/errors.hpp"
#include "util/encoding.hpp"
#include "util/varint.hpp"

namespace nadb::engine {
namespace {

constexpr char kSegmentMagic[8] = {'N', 'A', 'D', 'B', 'S', 'E', 'G', '\0'};

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

std::uint32_t check_segment_header(std::string_view bytes, std::uint32_t id,
                                   const std::string& path) {
  if (bytes.size() < kSegmentHeaderSize ||
      bytes.substr(0, sizeof kSegmentMagic) !=
          std::string_view(kSegmentMagic, sizeof kSegmentMagic)) {
    throw Corruption("'" + path + "' is not a NADB segment (bad magic)");
  }
  auto version = util::get_fixed<std::uint32_t>(bytes.data() + 8);
  if (version < kFirstFormatVersion || version > kFormatVersion) {
    throw Corruption("'" + path + "' has format version " + std::to_string(version) +
                     "; this build reads versions " + std::to_string(kFirstFormatVersion) + " to " +
                     std::to_string(kFormatVersion));
  }
  auto stored_id = util::get_fixed<std::uint32_t>(bytes.data() + 12);
  if (stored_id != id) {
    throw Corruption("'" + path + "' claims to be segment " + std::to_string(stored_id));
  }
  return version;
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

}  // namespace nadb::engine

#include "engine/obsolete_marker.hpp"

#include "util/checksum.hpp"
#include "util/files.hpp"
#include "util/varint.hpp"

namespace nadb::engine {

void write_obsolete_marker(const std::string& dir, const std::vector<std::uint32_t>& ids) {
  std::string data;
  util::put_varint(data, ids.size());
  for (std::uint32_t id : ids)
    util::put_varint(data, id);
  util::put_fixed<std::uint64_t>(data, util::checksum(data));
  util::write_file_atomically(util::join_path(dir, kObsoleteMarker), data);
  util::sync_directory(dir);
}

std::optional<std::vector<std::uint32_t>> read_obsolete_marker(const std::string& dir) {
  std::string path = util::join_path(dir, kObsoleteMarker);
  if (!util::path_exists(path)) return std::nullopt;
  std::string data = util::read_file(path);
  util::Reader in(data);
  std::uint64_t count = 0;
  std::vector<std::uint32_t> ids;
  in.varint(count);
  for (std::uint64_t i = 0; in.ok() && i < count; ++i) {
    std::uint64_t id = 0;
    if (in.varint(id)) ids.push_back(static_cast<std::uint32_t>(id));
  }
  std::uint64_t checksum = 0;
  std::size_t body = in.position();
  in.fixed(checksum);
  if (!in.ok() || !in.at_end() ||
      checksum != util::checksum(std::string_view(data).substr(0, body)))
    return std::nullopt;
  return ids;
}

}  // namespace nadb::engine

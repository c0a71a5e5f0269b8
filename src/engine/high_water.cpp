#include "engine/high_water.hpp"

#include "nadb/errors.hpp"
#include "util/checksum.hpp"
#include "util/files.hpp"
#include "util/varint.hpp"

namespace nadb::engine {
namespace {

constexpr char kMagic[8] = {'N', 'A', 'D', 'B', 'H', 'W', 'M', '\0'};
constexpr std::uint32_t kVersion = 1;
constexpr std::size_t kSize = 8 + 4 + 8 + 4 + 8;

}  // namespace

std::optional<HighWater> read_high_water(const std::string& dir) {
  std::string path = util::join_path(dir, kHighWaterFile);
  if (!util::path_exists(path)) return std::nullopt;
  std::string data = util::read_file(path);
  if (data.size() != kSize || data.compare(0, 8, kMagic, 8) != 0 ||
      util::get_fixed<std::uint32_t>(data.data() + 8) != kVersion ||
      util::get_fixed<std::uint64_t>(data.data() + kSize - 8) !=
          util::checksum(std::string_view(data).substr(0, kSize - 8))) {
    throw Corruption("'" + path +
                     "' is damaged: the db cannot prove its versions and segment ids never "
                     "repeat (nadb repair rewrites it)");
  }
  HighWater marks;
  marks.seq_limit = util::get_fixed<std::uint64_t>(data.data() + 12);
  marks.segment_id_limit = util::get_fixed<std::uint32_t>(data.data() + 20);
  return marks;
}

void write_high_water(const std::string& dir, const HighWater& marks) {
  std::string data(kMagic, sizeof kMagic);
  util::put_fixed<std::uint32_t>(data, kVersion);
  util::put_fixed<std::uint64_t>(data, marks.seq_limit);
  util::put_fixed<std::uint32_t>(data, marks.segment_id_limit);
  util::put_fixed<std::uint64_t>(data, util::checksum(data));
  util::write_file_atomically(util::join_path(dir, kHighWaterFile), data);
  util::sync_directory(dir);
}

}  // namespace nadb::engine

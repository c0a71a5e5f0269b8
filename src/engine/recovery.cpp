// Opening a db folder: finish an interrupted compaction, load hint files of sealed segments,
// scan the rest, truncate a torn tail of the active segment, and rebuild the keydir.
#include <fcntl.h>

#include <algorithm>
#include <functional>
#include <set>

#include "engine/engine.hpp"
#include "engine/hint.hpp"
#include "engine/keydir_image.hpp"
#include "engine/keydir_loader.hpp"
#include "engine/obsolete_marker.hpp"
#include "nadb/errors.hpp"
#include "obs/log.hpp"
#include "util/checksum.hpp"
#include "util/clock.hpp"
#include "util/files.hpp"
#include "util/varint.hpp"

namespace nadb::engine {
namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

// A compaction that wrote OBSOLETE had made its output durable: delete what it replaced.
void Engine::finish_obsolete_marker() {
  std::string path = util::join_path(dir_, kObsoleteMarker);
  if (!util::path_exists(path)) return;
  // A torn marker means the old segments are all still there: nothing to finish.
  for (std::uint32_t id : read_obsolete_marker(dir_).value_or(std::vector<std::uint32_t>{})) {
    util::remove_file(util::join_path(dir_, segment_file_name(id)));
    util::remove_file(util::join_path(dir_, hint_file_name(id)));
  }
  util::sync_directory(dir_);
  util::remove_file(path);
  util::sync_directory(dir_);
}

// Keeps bytes recovery leaves out — a torn tail, a damaged record — in
// <segment file>.<offset>.<kind> beside it: nothing is deleted silently.
void Engine::set_aside(const SegmentFile& segment, std::uint64_t from, std::uint64_t to,
                       const char* kind) {
  std::string bytes;
  segment.file.read_at(from, static_cast<std::size_t>(to - from), bytes);
  std::string path = segment.file.path() + "." + std::to_string(from) + "." + kind;
  util::write_file_atomically(path, bytes);
  util::sync_directory(dir_);
  (std::string_view(kind) == "torn" ? torn_bytes_ : damaged_bytes_) += to - from;
  const Logger& log = obs::logger(obs::Component::Engine);
  LogFields fields{
      {"file", segment.file.path()}, {"offset", from}, {"bytes", to - from}, {"kept_in", path}};
  if (std::string_view(kind) == "torn") {
    log.warn("a torn tail (an interrupted write) is left out and kept aside", fields);
  } else {
    log.error("a damaged record is skipped and kept aside (RecoveryMode::SkipDamagedRecords)",
              fields);
  }
}

std::map<std::uint32_t, std::uint64_t> Engine::map_keydir_image(
    const std::vector<std::uint32_t>& ids) {
  image_.reset();
  image_covers_.reset();
  image_body_bytes_ = 0;
  image_of_earlier_boot_ = false;
  appended_at_image_ = writer_.appended_position();
  compacted_at_image_ = compacted_bytes_.load();
  // Skipping damage means reading every record to find it (nadb repair): no image then.
  if (options_.recovery == RecoveryMode::SkipDamagedRecords) return {};
  auto loaded = KeydirImage::load_matching(dir_, ids, keydir_, [this] { on_image_damage(); });
  if (!loaded) return {};
  image_covers_ = loaded->first.segments();
  image_body_bytes_ = loaded->first.body_bytes();
  image_of_earlier_boot_ = loaded->first.unsynced_before_restart();
  image_ = std::move(loaded->first);
  return std::move(loaded->second);
}

HighWater Engine::recover_high_water(std::uint64_t max_seq, std::uint32_t max_segment_id) {
  try {
    return read_high_water(dir_).value_or(HighWater{});
  } catch (const Corruption& e) {
    if (options_.recovery != RecoveryMode::SkipDamagedRecords) throw;
    // Repairing: what the files show, plus a margin for what compaction or a restore removed.
    std::string path = util::join_path(dir_, kHighWaterFile);
    util::rename_file(path, path + "." + std::to_string(util::now_ms()) + ".damaged");
    obs::logger(obs::Component::Engine)
        .error("damaged high-water marks are kept aside and rebuilt with a margin",
               {{"dir", dir_}, {"error", e.what()}});
    return HighWater{max_seq + 1 + (1ull << 32), max_segment_id + 1 + (1u << 16)};
  }
}

void Engine::recover() {
  for (const auto& name : util::list_directory(dir_)) {
    if (ends_with(name, ".tmp")) util::remove_file(util::join_path(dir_, name));
  }
  finish_obsolete_marker();

  std::vector<std::uint32_t> ids;
  std::set<std::string> names;
  for (const auto& name : util::list_directory(dir_)) {
    names.insert(name);
    if (auto id = parse_segment_file_name(name)) ids.push_back(*id);
  }
  for (const auto& name : names) {  // hints whose segment is gone (compacted away)
    if (ends_with(name, ".hint") && !names.count(name.substr(0, name.size() - 5) + ".seg")) {
      util::remove_file(util::join_path(dir_, name));
    }
  }
  // The active segment is the newest one without a hint (sealed segments get hints).
  std::optional<std::uint32_t> active;
  for (std::uint32_t id : ids) {
    if (!names.count(hint_file_name(id))) active = id;
  }
  // Where the keydir image (if it matches the segments) leaves off, by segment.
  std::map<std::uint32_t, std::uint64_t> image_ends = map_keydir_image(ids);

  // Passed by reference: it remembers deletes.
  KeydirLoader recover_record(keydir_, image_ ? image_->max_seq() : 0);

  const bool skip_damage = options_.recovery == RecoveryMode::SkipDamagedRecords;
  for (std::uint32_t id : ids) {
    bool is_active = active && id == *active;
    const bool was_active = is_active;
    auto segment = std::make_shared<SegmentFile>();
    segment->id = id;
    std::string path = util::join_path(dir_, segment_file_name(id));
    segment->file = util::File(path, is_active ? O_RDWR : O_RDONLY);
    std::uint64_t size = segment->file.size();
    std::string header;
    if (size < kSegmentHeaderSize && is_active && id == ids.back()) {
      // Created but its header never became durable: it holds nothing.
      segment->file.truncate(0);
      segment->file.write_at(0, segment_header(id));
      segment->file.sync();
      size = kSegmentHeaderSize;
    }
    segment->file.read_at(0, std::min<std::uint64_t>(size, kSegmentHeaderSize), header);
    segment->format = check_segment_header(header, id, path);
    auto image_end = image_ends.find(id);
    std::uint64_t from = image_end == image_ends.end() ? kSegmentHeaderSize : image_end->second;
    bool hinted = false;
    if (!is_active && from >= size) {  // wholly in the image
      hinted = names.count(hint_file_name(id)) != 0;
    } else if (!is_active) {
      hinted = load_hint_file(dir_, id, size, [&](const LocatedRecord& r) {
        if (r.offset >= from) recover_record(r);
      });
    }
    if (!hinted) {
      bool tolerate_tail = was_active && options_.recovery != RecoveryMode::AbsoluteConsistency;
      ScanResult scan = visit_segment_from(*segment, from, size, tolerate_tail,
                                           skip_damage ? OnDamage::Skip : OnDamage::Refuse,
                                           std::ref(recover_record));
      for (auto [damage_from, damage_to] : scan.damaged) {
        set_aside(*segment, damage_from, damage_to, "damaged");
        keydir_.add_dead_bytes(
            id, damage_to - damage_from);  // compaction rewrites the segment without them
      }
      if (scan.torn) {
        set_aside(*segment, scan.valid_end, size, "torn");
        segment->file.truncate(scan.valid_end);
        segment->file.sync();
        size = scan.valid_end;
      }
      // Only a whole segment of this build's format is appended to; any other is sealed and
      // a new active segment takes over.
      if (is_active && (!scan.damaged.empty() || segment->format != kFormatVersion)) {
        is_active = false;
        active.reset();
      }
      if (!is_active) {
        util::MutexLock maintenance_lock(maintenance_mutex_);
        hints_due_.push_back(id);
      }
    }
    segment->mapping =
        util::Mapping(segment->file, is_active ? std::max(size, options_.segment_bytes) : size);
    segments_[id] = SegmentInfo{segment, size, hinted};
  }
  // Counters never go back: the marks cover what compaction or a restore removed.
  records_since_image_ = recover_record.records();  // with no image, every record
  marks_ = recover_high_water(recover_record.max_seq(), ids.empty() ? 0 : ids.back());
  next_seq_ = std::max(recover_record.max_seq() + 1, marks_.seq_limit);
  next_segment_id_ =
      std::max<std::uint32_t>(ids.empty() ? 1 : ids.back() + 1, marks_.segment_id_limit);
  if (active) {
    const SegmentInfo& info = segments_[*active];
    writer_.activate(info.file, info.size);
  } else {
    std::uint32_t id = take_segment_id_locked();
    auto segment = create_segment(id);
    segments_[id] = SegmentInfo{segment, kSegmentHeaderSize, false};
    writer_.activate(segment, kSegmentHeaderSize);
  }
}

}  // namespace nadb::engine

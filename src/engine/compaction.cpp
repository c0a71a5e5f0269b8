// Compaction: copy the live records of chosen sealed segments into new segments (with hints),
// then swap them in. Readers never wait; writers wait only for the in-memory swap.
#include <fcntl.h>

#include <algorithm>
#include <functional>
#include <map>

#include "engine/engine.hpp"
#include "engine/hint.hpp"
#include "engine/obsolete_marker.hpp"
#include "obs/log.hpp"
#include "obs/metrics.hpp"
#include "util/checksum.hpp"
#include "util/clock.hpp"
#include "util/files.hpp"
#include "util/varint.hpp"

namespace nadb::engine {
namespace {

// A record copied by compaction: where it was and where its copy is.
struct Move {
  std::string ns;
  std::string key;
  LocatedRecord from;
  std::uint32_t segment = 0;
  std::uint32_t offset = 0;
};

// Writes compaction output segments as <id>.seg.tmp, each at most segment_bytes.
class OutputSegments {
 public:
  OutputSegments(std::string dir, std::uint64_t segment_bytes,
                 std::function<std::uint32_t()> next_id)
      : dir_(std::move(dir)), segment_bytes_(segment_bytes), next_id_(std::move(next_id)) {}

  // Appends a record; returns (segment id, offset).
  std::pair<std::uint32_t, std::uint32_t> append(std::string_view record) {
    if (!current_ || (size_ > kSegmentHeaderSize && size_ + record.size() > segment_bytes_))
      open_next();
    std::uint32_t offset = static_cast<std::uint32_t>(size_);
    buffer_.append(record);
    size_ += record.size();
    if (buffer_.size() >= (4 << 20)) write_buffer();
    return {current_->id, offset};
  }

  // Makes every output durable with its hint and gives it its final name.
  void finish() {
    close_current();
    for (const auto& [segment, size] : done_) {
      write_hint_file(dir_, *segment, size);
      segment->mapping = util::Mapping(segment->file, size);
      util::rename_file(segment->file.path(),
                        util::join_path(dir_, segment_file_name(segment->id)));
    }
    util::sync_directory(dir_);
  }
  const std::vector<std::pair<std::shared_ptr<SegmentFile>, std::uint64_t>>& outputs() const {
    return done_;
  }

 private:
  void write_buffer() {
    current_->file.write_at(size_ - buffer_.size(), buffer_);
    buffer_.clear();
  }
  void close_current() {
    if (!current_) return;
    write_buffer();
    current_->file.sync();
    done_.emplace_back(current_, size_);
    current_.reset();
  }
  void open_next() {
    close_current();
    auto segment = std::make_shared<SegmentFile>();
    segment->id = next_id_();
    std::string path = util::join_path(dir_, segment_file_name(segment->id)) + ".tmp";
    segment->file = util::File(path, O_RDWR | O_CREAT | O_TRUNC);
    buffer_ = segment_header(segment->id);
    size_ = buffer_.size();
    current_ = segment;
  }

  std::string dir_;
  std::uint64_t segment_bytes_;
  std::function<std::uint32_t()> next_id_;
  std::shared_ptr<SegmentFile> current_;
  std::string buffer_;
  std::uint64_t size_ = 0;
  std::vector<std::pair<std::shared_ptr<SegmentFile>, std::uint64_t>> done_;
};

}  // namespace

CompactionReport Engine::compact_segments(const std::vector<std::uint32_t>& victims,
                                          bool drop_tombstones, const ProgressCallback& progress) {
  static obs::Histogram& compactions = obs::component_histogram("engine.compact");
  obs::Timed timed(compactions);
  util::Stopwatch watch;
  CompactionReport report;
  OutputSegments output(dir_, options_.segment_bytes, [this] {
    util::MutexLock lock(write_mutex_);
    return take_segment_id_locked();
  });
  std::vector<Move> moves;
  std::map<std::uint32_t, std::uint64_t> tombstones;  // bytes of deletes copied, per output
  std::string encoded;
  std::vector<SegmentInfo> infos;
  std::uint64_t total_bytes = 0;
  {
    util::ReaderLock lock(state_mutex_);
    for (std::uint32_t id : victims) {
      infos.push_back(segments_.at(id));
      total_bytes += infos.back().size;
    }
  }
  for (const SegmentInfo& info : infos) {
    if (progress) progress(report.bytes_before, total_bytes);
    report.bytes_before += info.size;
    visit_segment(*info.file, info.size, false, on_damage(), [&](const LocatedRecord& r) {
      bool keep;
      if (r.fields.type == RecordType::Delete) {
        keep = !drop_tombstones;
      } else {
        util::ReaderLock lock(state_mutex_);
        const KeyEntry* e = keydir_.lookup(r.fields.ns, r.fields.key);
        keep = e && e->segment == r.segment && e->offset == r.offset;
      }
      if (!keep) {
        ++report.records_dropped;
        return;
      }
      encoded.clear();
      encode_record(encoded, r.fields);  // canonical: the same bytes as the original record
      auto [segment, offset] = output.append(encoded);
      ++report.records_kept;
      if (r.fields.type == RecordType::Delete) {
        tombstones[segment] += encoded.size();
      } else {
        Move m{std::string(r.fields.ns), std::string(r.fields.key), r, segment, offset};
        m.from.fields = {};
        moves.push_back(std::move(m));
      }
    });
  }
  output.finish();
  if (progress) progress(report.bytes_before, total_bytes);
  // A record judged dead was superseded by one that may still be buffered: make it durable
  // before the victims go, so that a crash cannot lose both versions.
  flush();
  write_obsolete_marker(dir_, victims);
  {
    util::MutexLock write_lock(write_mutex_);
    util::WriterLock state_lock(state_mutex_);
    for (const auto& m : moves)
      keydir_.relocate(m.ns, m.key, m.from, m.segment, m.offset);
    for (std::uint32_t id : victims) {
      segments_.erase(id);
      keydir_.forget_segment(id);
    }
    for (const auto& [segment, bytes] : tombstones)
      keydir_.add_tombstone_bytes(segment, bytes);
    for (const auto& [segment, size] : output.outputs()) {
      segments_[segment->id] = SegmentInfo{segment, size, true};
      report.bytes_after += size;
    }
  }
  finish_obsolete_marker();
  report.segments_compacted = victims.size();
  report.segments_written = output.outputs().size();
  report.duration_ms = watch.elapsed_ms();
  compacted_bytes_.fetch_add(report.bytes_after);
  compactions_.fetch_add(1);
  obs::logger(obs::Component::Engine)
      .info("compaction done", {{"dir", dir_},
                                {"segments_compacted", report.segments_compacted},
                                {"segments_written", report.segments_written},
                                {"bytes_before", report.bytes_before},
                                {"bytes_after", report.bytes_after},
                                {"duration_ms", report.duration_ms}});
  return report;
}

CompactionReport Engine::compact(const ProgressCallback& progress) {
  check_writable("compaction");
  WriteLockWaiter waiting(write_waiters_);  // a checkpoint gives way
  util::MutexLock compaction_lock(compaction_mutex_);
  {
    util::ReaderLock lock(state_mutex_);
    bool worthwhile = false;
    for (const auto& [id, info] : segments_) {
      worthwhile |= keydir_.dead_bytes(id) > 0 || keydir_.tombstone_bytes(id) > 0;
    }
    if (!worthwhile) return {};
  }
  {
    util::MutexLock write_lock(write_mutex_);
    writer_.check_healthy();
    if (writer_.end_offset() > kSegmentHeaderSize) roll_locked();
  }
  std::vector<std::uint32_t> victims;
  {
    util::ReaderLock lock(state_mutex_);
    std::uint32_t active = writer_.active_id();
    for (const auto& [id, info] : segments_) {
      if (id != active) victims.push_back(id);
    }
  }
  return compact_segments(victims, true, progress);
}

void Engine::compact_by_dead_ratio() {
  util::MutexLock compaction_lock(compaction_mutex_);
  std::vector<std::uint32_t> victims;
  {
    util::ReaderLock lock(state_mutex_);
    std::uint32_t active = writer_.active_id();
    for (const auto& [id, info] : segments_) {
      if (id == active || info.size == 0) continue;
      double dead = static_cast<double>(keydir_.dead_bytes(id)) / static_cast<double>(info.size);
      if (dead >= options_.compaction_dead_ratio) victims.push_back(id);
    }
  }
  if (!victims.empty()) compact_segments(victims, false);
}

}  // namespace nadb::engine

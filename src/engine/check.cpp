#include "engine/check.hpp"

#include <fcntl.h>

#include <algorithm>

#include "engine/high_water.hpp"
#include "engine/hint.hpp"
#include "engine/keydir_image.hpp"
#include "engine/lock_file.hpp"
#include "nadb/errors.hpp"
#include "util/files.hpp"

namespace nadb::engine {
namespace {

// What a hint or a scan says of one record, to compare them.
struct Seen {
  RecordType type;
  std::uint32_t offset, size;
  std::uint64_t seq;
  std::string key;
  bool operator==(const Seen&) const = default;
};

std::vector<Seen> collect(const std::function<void(const RecordVisitor&)>& walk) {
  std::vector<Seen> out;
  walk([&](const LocatedRecord& r) {
    out.push_back({r.fields.type, r.offset, r.size, r.fields.seq,
                   std::string(r.fields.ns) + '\0' + std::string(r.fields.key)});
  });
  return out;
}

class Checker {
 public:
  explicit Checker(std::string dir) : dir_(std::move(dir)) {}

  CheckReport run() {
    LockFile lock(util::join_path(dir_, "LOCK"));
    std::vector<std::uint32_t> ids;
    for (const auto& name : util::list_directory(dir_)) {
      if (auto id = parse_segment_file_name(name)) ids.push_back(*id);
      if (name.ends_with(".torn") || name.ends_with(".damaged"))
        report_.notes.push_back(name + ": bytes an earlier open left out and kept aside");
      if (name == "OBSOLETE")
        report_.notes.push_back("OBSOLETE: a compaction was interrupted; the next open ends it");
    }
    std::optional<std::uint32_t> active;
    for (std::uint32_t id : ids) {
      if (!util::path_exists(util::join_path(dir_, hint_file_name(id)))) active = id;
    }
    for (std::uint32_t id : ids)
      check_segment(id, active && *active == id);
    check_marks(ids);
    check_image(ids);
    report_.ok = report_.problems.empty();
    return report_;
  }

 private:
  void problem(std::string what) { report_.problems.push_back(std::move(what)); }

  // The keydir image is a cache the next open may map: what it would do with it is a note,
  // never a problem (an unusable image is ignored or set aside, and the keydir rebuilt).
  void check_image(const std::vector<std::uint32_t>& ids) {
    if (!util::path_exists(util::join_path(dir_, kKeydirImageFile))) return;
    Keydir scratch;
    std::optional<KeydirImage> image = KeydirImage::load(dir_, scratch, {});
    std::string outcome = "matches the segments: the next open maps it";
    if (!image) {
      outcome = "unusable (damaged, or another build's): the next open rebuilds the keydir";
    } else {
      std::atomic<bool> never{false};
      if (!image->match_folder(dir_, ids)) {
        outcome = "stale (the segments changed since): the next open rebuilds the keydir";
      } else if (!image->verify_blocks(never, VerifiedBlocks::unguarded)) {
        outcome = "fails its block checksums: the next open sets it aside and rebuilds";
      }
    }
    report_.notes.push_back(std::string(kKeydirImageFile) + ": " + outcome);
  }

  void check_segment(std::uint32_t id, bool active) {
    ++report_.segments;
    SegmentFile segment;
    segment.id = id;
    std::string name = segment_file_name(id);
    segment.file = util::File(util::join_path(dir_, name), O_RDONLY);
    std::uint64_t size = segment.file.size();
    report_.bytes += size;
    std::string header;
    segment.file.read_at(0, std::min<std::uint64_t>(size, kSegmentHeaderSize), header);
    try {
      segment.format = check_segment_header(header, id, name);
    } catch (const Corruption& e) {
      if (!(active && size < kSegmentHeaderSize)) problem(e.what());
      return;
    }
    ScanResult scan;
    std::vector<Seen> records = collect([&](const RecordVisitor& visit) {
      scan = visit_segment(segment, size, active, OnDamage::Skip, visit);
    });
    report_.records += records.size();
    for (const Seen& r : records)
      max_seq_ = std::max(max_seq_, r.seq);
    for (auto [from, to] : scan.damaged) {
      problem(name + ": " + std::to_string(to - from) + " damaged bytes at offset " +
              std::to_string(from));
    }
    if (scan.torn) {
      report_.notes.push_back(name + ": a torn tail of " + std::to_string(size - scan.valid_end) +
                              " bytes at offset " + std::to_string(scan.valid_end) +
                              " (an interrupted write; the next open keeps it aside)");
    }
    if (!active && util::path_exists(util::join_path(dir_, hint_file_name(id))))
      check_hint(id, size, records);
  }

  void check_hint(std::uint32_t id, std::uint64_t size, const std::vector<Seen>& scanned) {
    ++report_.hints;
    bool loaded = false;
    std::vector<Seen> hinted = collect(
        [&](const RecordVisitor& visit) { loaded = load_hint_file(dir_, id, size, visit); });
    if (!loaded) {
      report_.notes.push_back(hint_file_name(id) +
                              ": damaged; opening scans the segment instead (and rewrites it)");
    } else if (hinted != scanned) {
      problem(hint_file_name(id) + ": does not describe its segment's records");
    }
  }

  void check_marks(const std::vector<std::uint32_t>& ids) {
    std::optional<HighWater> marks;
    try {
      marks = read_high_water(dir_);
    } catch (const Corruption& e) {
      problem(e.what());
      return;
    }
    if (!marks) {
      report_.notes.push_back("HIGHWATER: none yet (a db of the first release)");
      return;
    }
    if (max_seq_ >= marks->seq_limit)
      problem("HIGHWATER: a record has version " + std::to_string(max_seq_) +
              ", not below the mark " + std::to_string(marks->seq_limit));
    if (!ids.empty() && ids.back() >= marks->segment_id_limit)
      problem("HIGHWATER: segment " + std::to_string(ids.back()) + " is not below the mark " +
              std::to_string(marks->segment_id_limit));
  }

  const std::string dir_;
  CheckReport report_;
  std::uint64_t max_seq_ = 0;
};

}  // namespace

CheckReport check_folder(const std::string& dir) {
  if (!util::path_exists(dir)) throw NotFound("no db folder '" + dir + "'");
  return Checker(dir).run();
}

}  // namespace nadb::engine

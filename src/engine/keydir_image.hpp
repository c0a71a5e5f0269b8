// KeydirImage: the keydir written to <db>/KEYDIR as its arrays are in memory, so that an open
// maps it (privately) instead of rebuilding it from hint files: open time and resident memory
// stop growing with the key count. An image is a cache of state the segments hold: it covers
// the log up to a position (each segment's size and a checksum of its last bytes), and an open
// replays only what was appended after it. Any image that does not match the folder (missing,
// stale, damaged, another build's layout) is ignored and the keydir rebuilt. docs/FORMAT.md.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/keydir.hpp"
#include "util/files.hpp"

namespace nadb::engine {

inline constexpr char kKeydirImageFile[] = "KEYDIR";
inline constexpr std::uint32_t kKeydirImageFormatVersion = 1;

// A segment as an image saw it: the image covers its records before `size`.
struct CoveredSegment {
  std::uint32_t id = 0;
  std::uint64_t size = 0;
  std::uint64_t tail_checksum = 0;  // of its last (up to) 4 KiB before size

  bool operator==(const CoveredSegment&) const = default;
};

// The checksum a covered segment's tail must have (reads the file).
std::uint64_t segment_tail_checksum(const util::File& file, std::uint64_t size);

class KeydirImage {
 public:
  // Writes keydir's image covering `segments` (the highest sequence number in them max_seq)
  // durably: a temp file, fsync, rename over <dir>/KEYDIR, directory fsync; a crash leaves the
  // old image or the new one. Throws IOError. The caller keeps the keydir unchanged meanwhile.
  static void write(const std::string& dir, const Keydir& keydir,
                    const std::vector<CoveredSegment>& segments, std::uint64_t max_seq);

  // Maps <dir>/KEYDIR into keydir (which must be empty) if its header, format, layout and
  // metadata checksum hold; nullopt (keydir untouched, the reason logged) otherwise. The big
  // arrays are not read: verify_arrays checks them. The caller checks `segments`.
  static std::optional<KeydirImage> load(const std::string& dir, Keydir& keydir);

  // Reads the arrays' bytes and checks them against their block checksums (a full read of
  // the file, meant for a background thread); stops early, returning true, once stop is set.
  // False when a block differs. Throws IOError.
  bool verify_arrays(const std::atomic<bool>& stop) const;

  // Where replay starts in each segment covered by the image, if the folder's segments (id ->
  // file and the size to read up to) match it: every covered segment present, at least as
  // long, with the same last bytes, and every other segment newer than all covered ones
  // (compaction output or the log after the image). nullopt (logged) otherwise: stale.
  std::optional<std::map<std::uint32_t, std::uint64_t>> match(
      const std::map<std::uint32_t, std::pair<const util::File*, std::uint64_t>>& present) const;

  const std::vector<CoveredSegment>& segments() const { return segments_; }
  std::uint64_t max_seq() const { return max_seq_; }

 private:
  // Parses the metadata into keydir, its arrays adopted from mapping; false when malformed.
  bool decode(std::string_view meta, std::uint64_t body_size, const std::shared_ptr<void>& mapping,
              Keydir& keydir);

  std::string path_;
  // The file mapped (verify_arrays reads it, not whatever later took its name).
  std::shared_ptr<const util::File> file_;
  std::vector<CoveredSegment> segments_;
  std::uint64_t max_seq_ = 0;
  std::uint64_t body_size_ = 0;
  std::vector<std::uint64_t> block_checksums_;
};

}  // namespace nadb::engine

// KeydirImage: the keydir written to <db>/KEYDIR as its arrays are in memory, so that an open
// maps it (privately) instead of rebuilding it from hint files: open time and resident memory
// stop growing with the key count. An image is a cache of state the segments hold: it covers
// the log up to a position (each segment's size and a checksum of its last bytes), and an open
// replays only what was appended after it. Any image that does not match the folder (missing,
// stale, damaged, another build's layout) is ignored and the keydir rebuilt. docs/FORMAT.md.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/keydir.hpp"
#include "engine/verified_blocks.hpp"
#include "util/files.hpp"
#include "util/varint.hpp"

namespace nadb::engine {

inline constexpr char kKeydirImageFile[] = "KEYDIR";
inline constexpr std::uint32_t kKeydirImageFormatVersion = 3;

// A segment as an image saw it: the image covers its records before `size`.
struct CoveredSegment {
  std::uint32_t id = 0;
  std::uint64_t size = 0;
  std::uint64_t ends_checksum = 0;  // of its first and last (up to) 4 KiB before size

  bool operator==(const CoveredSegment&) const = default;
};

// The checksum a covered segment's first and last 4 KiB before size must have (reads them).
std::uint64_t segment_ends_checksum(const util::File& file, std::uint64_t size);

class KeydirImage {
 public:
  // Writes keydir's image covering `segments` (the highest sequence number in them max_seq):
  // a temp file that replaces <dir>/KEYDIR, so that a crash leaves the old image, the new one
  // or none (docs/FORMAT.md "KEYDIR" says why none). Not synced when the boot is known
  // (util::boot_id; an open after a restart verifies such an image whole), else fsynced with
  // its directory. Throws IOError. The caller keeps
  // the keydir unchanged meanwhile. give_up, when set, is asked every few hundred kilobytes:
  // once it says so, the temp file is removed and nullopt returned (the old image stays).
  // Returns the size of the body written. Tag indexes built from the keys that it saved are
  // marked saved (NamespaceKeys::index_unsaved), so that a close does not write them again.
  static std::optional<std::uint64_t> write(const std::string& dir, const Keydir& keydir,
                                            const std::vector<CoveredSegment>& segments,
                                            std::uint64_t max_seq,
                                            const std::function<bool()>& give_up = {});

  // Maps <dir>/KEYDIR into keydir (which must be empty) if its header, format, layout and
  // metadata checksum hold; nullopt (keydir untouched, the reason logged) otherwise. The big
  // arrays are not read here: each 64 KiB block is verified on first use (VerifiedBlocks),
  // and on_damage runs once if one is found damaged — except in an image written unsynced
  // before a restart, which is verified whole here (nullopt if torn). The caller checks
  // `segments`.
  static std::optional<KeydirImage> load(const std::string& dir, Keydir& keydir,
                                         std::function<void()> on_damage);

  // Verifies every block not verified yet (for a background thread), each inside guard (see
  // VerifiedBlocks::verify_all); stops early, returning true, once stop is set. False when a
  // block is damaged.
  bool verify_blocks(const std::atomic<bool>& stop, const VerifiedBlocks::Guard& guard) const {
    return blocks_->verify_all(stop, guard);
  }

  // What an open uses: load(), then match() against `present`; where the image leaves off in
  // each covered segment, or nullopt (keydir left empty) when there is none or it does not
  // match.
  using Ends = std::map<std::uint32_t, std::uint64_t>;
  using Present = std::map<std::uint32_t, std::pair<const util::File*, std::uint64_t>>;
  static std::optional<std::pair<KeydirImage, Ends>> load_matching(const std::string& dir,
                                                                   const Present& present,
                                                                   Keydir& keydir,
                                                                   std::function<void()> on_damage);
  // The same for the segments `ids` of folder dir, each at its file's size.
  static std::optional<std::pair<KeydirImage, Ends>> load_matching(
      const std::string& dir, const std::vector<std::uint32_t>& ids, Keydir& keydir,
      std::function<void()> on_damage);
  // match() for the segments `ids` of folder dir, each at its file's size.
  std::optional<std::map<std::uint32_t, std::uint64_t>> match_folder(
      const std::string& dir, const std::vector<std::uint32_t>& ids) const;

  const std::vector<CoveredSegment>& segments() const { return segments_; }
  // Whether the image was written unsynced in an earlier boot (so verified whole at load): a
  // writer replaces it at close, sparing later opens of this boot that verification.
  bool unsynced_before_restart() const;
  std::uint64_t max_seq() const { return max_seq_; }
  // The size of its body (the arrays, keys and saved indexes; holes included).
  std::uint64_t body_bytes() const { return body_bytes_; }

 private:
  // Where replay starts in each segment covered by the image, if the folder's segments (id ->
  // file and the size to read up to) match it: every covered segment present, at least as
  // long, with the same first and last bytes, and every other segment newer than all covered ones
  // (compaction output or the log after the image). nullopt (logged) otherwise: stale.
  std::optional<std::map<std::uint32_t, std::uint64_t>> match(
      const std::map<std::uint32_t, std::pair<const util::File*, std::uint64_t>>& present) const;

  // write's body: the image in file `temp`, closed (fsynced when boot is empty: unknown);
  // returns the body's size, and in saved_built the namespaces whose built index it holds.
  static std::uint64_t write_to(const std::string& temp, const std::string& boot,
                                const Keydir& keydir, const std::vector<CoveredSegment>& segments,
                                std::uint64_t max_seq, const std::function<bool()>& give_up,
                                std::vector<const NamespaceKeys*>& saved_built);
  // Parses one table's shape (what the writer's put_table wrote) and gives table, which must be
  // empty, its arrays in the body at base; false when malformed.
  bool decode_table(util::Reader& in,
                    const std::function<bool(std::uint64_t, std::uint64_t)>& inside, char* base,
                    KeyTable& table) const;
  // Parses the metadata into keydir, its arrays adopted from mapping; false when malformed.
  bool decode(std::string_view meta, std::uint64_t body_size, char* body, Keydir& keydir);
  // Reads the block checksums that end the metadata into block_checksums_.
  bool decode_blocks(std::string_view meta, std::uint64_t body_size);
  // Reads the boot the image was written in into written_in_boot_ (empty: it was synced).
  bool decode_boot(std::string_view meta);

  std::string path_;
  std::vector<CoveredSegment> segments_;
  std::uint64_t max_seq_ = 0;
  std::string written_in_boot_;
  std::uint64_t body_bytes_ = 0;
  std::vector<std::uint64_t> block_checksums_;  // until blocks_ takes them
  std::shared_ptr<VerifiedBlocks> blocks_;      // the mapped body
};

}  // namespace nadb::engine

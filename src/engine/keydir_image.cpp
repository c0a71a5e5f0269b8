#include "engine/keydir_image.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <map>

#include "engine/keydir_image_format.hpp"
#include "engine/saved_tag_index.hpp"
#include "nadb/errors.hpp"
#include "obs/log.hpp"
#include "util/boot.hpp"
#include "util/checksum.hpp"
#include "util/files.hpp"
#include "util/varint.hpp"

namespace nadb::engine {
namespace {

using namespace image_format;

bool get_counts(util::Reader& in, std::unordered_map<std::uint32_t, std::uint64_t>& counts) {
  std::uint64_t n = 0;
  if (!in.varint(n)) return false;
  for (std::uint64_t i = 0; i < n; ++i) {
    std::uint32_t segment = 0;
    std::uint64_t bytes = 0;
    if (!in.fixed(segment) || !in.fixed(bytes)) return false;
    counts[segment] = bytes;
  }
  return true;
}

void log_ignored(const std::string& path, const std::string& why) {
  obs::logger(obs::Component::Engine)
      .warn("the keydir image is not used: the keydir is rebuilt from the segments",
            {{"file", path}, {"reason", why}});
}

// A private, writable mapping of a whole file: pages are read from the file until written.
std::shared_ptr<void> map_privately(const util::File& file, std::uint64_t size) {
  void* p =
      ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_NORESERVE, file.fd(), 0);
  if (p == MAP_FAILED) return nullptr;
  return std::shared_ptr<void>(p, [size](void* q) { ::munmap(q, size); });
}

}  // namespace

std::optional<KeydirImage> KeydirImage::load(const std::string& dir, Keydir& keydir,
                                             std::function<void()> on_damage) {
  KeydirImage image;
  image.path_ = util::join_path(dir, kKeydirImageFile);
  if (!util::path_exists(image.path_)) return std::nullopt;
  // The image is a cache: whatever stands at its name that cannot be read as one (a folder, a
  // FIFO, an I/O error) is ignored, never a reason not to open the db.
  try {
    util::File file(image.path_, O_RDONLY | O_NONBLOCK);
    struct stat st {};
    if (::fstat(file.fd(), &st) != 0 || !S_ISREG(st.st_mode))
      return log_ignored(image.path_, "not a regular file"), std::nullopt;
    std::uint64_t file_size = file.size();
    if (file_size < kBodyOffset) return log_ignored(image.path_, "too short"), std::nullopt;
    std::string header;
    file.read_at(0, kHeaderSize, header);
    util::Reader head(header);
    std::string_view magic;
    std::uint32_t version = 0, layout = 0;
    std::uint64_t meta_at = 0, meta_size = 0, sum = 0;
    head.bytes(sizeof kMagic, magic);
    head.fixed(version);
    head.fixed(layout);
    head.fixed(meta_at);
    head.fixed(meta_size);
    head.fixed(sum);
    if (!head.ok() || magic != std::string_view(kMagic, sizeof kMagic) ||
        sum != util::checksum(std::string_view(header).substr(0, kHeaderSize - 8))) {
      return log_ignored(image.path_, "damaged header"), std::nullopt;
    }
    if (version != kKeydirImageFormatVersion || layout != kLayout)
      return log_ignored(image.path_, "written by another version"), std::nullopt;
    if (meta_at < kBodyOffset || meta_size < 8 || meta_at > file_size ||
        meta_size != file_size - meta_at) {
      return log_ignored(image.path_, "damaged header"), std::nullopt;
    }
    std::string meta;
    file.read_at(meta_at, static_cast<std::size_t>(meta_size), meta);
    std::string_view checked(meta.data(), meta.size() - 8);
    if (util::get_fixed<std::uint64_t>(meta.data() + checked.size()) != util::checksum(checked))
      return log_ignored(image.path_, "damaged metadata"), std::nullopt;
    std::shared_ptr<void> mapping = map_privately(file, file_size);
    if (!mapping) return log_ignored(image.path_, "mmap failed"), std::nullopt;
    char* body = static_cast<char*>(mapping.get()) + kBodyOffset;
    std::uint64_t body_size = meta_at - kBodyOffset;
    image.body_bytes_ = body_size;
    // The block checksums end the metadata: the tables get the arrays with them.
    if (!image.decode_blocks(checked, body_size) || !image.decode_boot(checked))
      return log_ignored(image.path_, "malformed metadata"), std::nullopt;
    // Written unsynced before a restart: it may be torn, so it is verified whole now rather
    // than block by block as reads meet it (a read must not fail for a power loss).
    bool verify_now = image.unsynced_before_restart();
    image.blocks_ = std::make_shared<VerifiedBlocks>(mapping, body, body_size,
                                                     std::move(image.block_checksums_),
                                                     verify_now ? nullptr : std::move(on_damage));
    if (verify_now &&
        !image.blocks_->verify_all(std::atomic<bool>(false), VerifiedBlocks::unguarded)) {
      return log_ignored(image.path_, "written before the system restarted and torn"), std::nullopt;
    }
    if (!image.decode(checked, body_size, body, keydir)) {
      keydir = Keydir();
      return log_ignored(image.path_, "malformed metadata"), std::nullopt;
    }
  } catch (const Error& e) {  // IOError, Corruption (a file shorter than it said)
    keydir = Keydir();
    return log_ignored(image.path_, e.what()), std::nullopt;
  }
  return image;
}

bool KeydirImage::decode_boot(std::string_view meta) {
  util::Reader in(meta);
  std::uint64_t skipped = 0;
  std::string_view boot;
  if (!in.fixed(skipped) || !in.fixed(skipped) || !in.length_prefixed(boot)) return false;
  written_in_boot_ = boot;
  return true;
}

bool KeydirImage::unsynced_before_restart() const {
  return !written_in_boot_.empty() && written_in_boot_ != util::boot_id();
}

bool KeydirImage::decode_table(util::Reader& in,
                               const std::function<bool(std::uint64_t, std::uint64_t)>& inside,
                               char* base, KeyTable& table) const {
  KeyTable::Arrays arrays;
  std::uint64_t slot_count = 0, slots_at = 0, sorted_at = 0, chunk_count = 0, free_count = 0;
  std::uint32_t id_count = 0;
  if (!in.fixed(id_count) || !in.fixed(arrays.size) || !in.fixed(slot_count) ||
      !in.fixed(slots_at) || !in.fixed(sorted_at) || !in.varint(chunk_count) ||
      chunk_count != KeyTable::chunks_for(id_count) || arrays.size > id_count || slot_count < 16 ||
      (slot_count & (slot_count - 1)) != 0 || slot_count > (std::uint64_t{1} << 32) ||
      arrays.size * 5 > slot_count * 4 || !inside(slots_at, slot_count * sizeof(KeyTable::Slot)) ||
      !inside(sorted_at, arrays.size * sizeof(std::uint32_t))) {
    return false;
  }
  arrays.id_count = id_count;
  std::vector<KeyEntry*> chunks;
  for (std::uint32_t c = 0; c < chunk_count; ++c) {
    std::uint64_t at = 0;
    if (!in.fixed(at) || !inside(at, KeyTable::chunk_entries(c) * sizeof(KeyEntry))) return false;
    chunks.push_back(reinterpret_cast<KeyEntry*>(base + at));
  }
  std::uint64_t free_at = 0;
  if (!in.fixed(free_at) || !in.fixed(free_count) || arrays.size + free_count != id_count ||
      !inside(free_at, free_count * sizeof(std::uint32_t))) {
    return false;
  }
  arrays.free_ids = {reinterpret_cast<const std::uint32_t*>(base + free_at), free_count};
  arrays.slots = {reinterpret_cast<const KeyTable::Slot*>(base + slots_at), slot_count};
  arrays.sorted = {reinterpret_cast<const std::uint32_t*>(base + sorted_at), arrays.size};
  table.adopt(blocks_, chunks, reinterpret_cast<KeyTable::Slot*>(base + slots_at), arrays);
  return true;
}

bool KeydirImage::decode(std::string_view meta, std::uint64_t body_size, char* base,
                         Keydir& keydir) {
  util::Reader in(meta);
  std::uint64_t recorded_body = 0, count = 0;
  std::string_view boot;  // read by decode_boot already
  if (!in.fixed(max_seq_) || !in.fixed(recorded_body) || recorded_body != body_size ||
      !in.length_prefixed(boot) || !in.varint(count)) {
    return false;
  }
  for (std::uint64_t i = 0; i < count; ++i) {
    CoveredSegment s;
    if (!in.fixed(s.id) || !in.fixed(s.size) || !in.fixed(s.ends_checksum)) return false;
    segments_.push_back(s);
  }
  // An array must lie inside the body, aligned for its type.
  auto inside = [&](std::uint64_t at, std::uint64_t bytes) {
    return at % 8 == 0 && at <= body_size && bytes <= body_size - at;
  };
  auto tag_sets = std::make_unique<KeyTable>();
  if (!decode_table(in, inside, base, *tag_sets)) return false;
  keydir.tag_sets_.adopt(std::move(tag_sets));
  if (!get_counts(in, keydir.dead_bytes_) || !get_counts(in, keydir.tombstone_bytes_) ||
      !in.varint(count)) {
    return false;
  }
  for (std::uint64_t n = 0; n < count; ++n) {
    std::string_view name;
    std::uint64_t expiry_count = 0;
    if (!in.length_prefixed(name)) return false;
    NamespaceKeys& ns = keydir.find_or_create(name);
    if (ns.keys.id_limit() != 0 || !decode_table(in, inside, base, ns.keys))
      return false;  // a namespace listed twice, or a malformed table
    std::uint32_t id_count = ns.keys.id_limit();
    if (!in.varint(expiry_count) || expiry_count > ns.keys.size()) return false;
    std::int64_t previous = 0;
    for (std::uint64_t i = 0; i < expiry_count; ++i) {
      std::int64_t expires_ms = 0;
      std::uint32_t id = 0;
      if (!in.fixed(expires_ms) || !in.fixed(id) || id >= id_count || expires_ms < previous)
        return false;
      ns.expiry.append(expires_ms, id);
      previous = expires_ms;
    }
    if (!SavedTagIndex::get(in, id_count, inside, blocks_, base, ns)) return false;
  }
  keydir.image_ = blocks_;
  std::uint64_t blocks = 0;  // read by decode_blocks already
  std::string_view sums;
  return in.varint(blocks) && in.bytes(blocks * 8, sums) && in.at_end();
}

bool KeydirImage::decode_blocks(std::string_view meta, std::uint64_t body_size) {
  // The block checksums are the metadata's last part: n, then n fixed u64.
  std::uint64_t count = (body_size + kBlockBytes - 1) / kBlockBytes;
  std::size_t bytes = util::varint_length(count) + count * 8;
  if (meta.size() < bytes) return false;
  util::Reader in(meta.substr(meta.size() - bytes));
  std::uint64_t recorded = 0;
  if (!in.varint(recorded) || recorded != count) return false;
  block_checksums_.resize(count);
  for (auto& sum : block_checksums_) {
    if (!in.fixed(sum)) return false;
  }
  return in.at_end();
}

std::optional<std::map<std::uint32_t, std::uint64_t>> KeydirImage::match(
    const std::map<std::uint32_t, std::pair<const util::File*, std::uint64_t>>& present) const {
  std::map<std::uint32_t, std::uint64_t> from;
  std::uint32_t newest = 0;
  for (const CoveredSegment& s : segments_) {
    auto it = present.find(s.id);
    if (it == present.end() || it->second.second < s.size ||
        segment_ends_checksum(*it->second.first, s.size) != s.ends_checksum) {
      log_ignored(path_, "stale: segment " + std::to_string(s.id) + " is gone or changed");
      return std::nullopt;
    }
    from[s.id] = s.size;
    newest = std::max(newest, s.id);
  }
  for (const auto& [id, file] : present) {
    if (id < newest && !from.count(id)) {
      log_ignored(path_, "stale: segment " + std::to_string(id) + " is not covered");
      return std::nullopt;
    }
  }
  return from;
}

namespace {

// Opens segments `ids` of dir into files and lists them with their sizes.
KeydirImage::Present open_segments(const std::string& dir, const std::vector<std::uint32_t>& ids,
                                   std::vector<util::File>& files) {
  files.reserve(ids.size());  // the map points into it
  KeydirImage::Present present;
  for (std::uint32_t id : ids) {
    files.emplace_back(util::join_path(dir, segment_file_name(id)), O_RDONLY);
    present[id] = {&files.back(), files.back().size()};
  }
  return present;
}

}  // namespace

std::optional<std::pair<KeydirImage, KeydirImage::Ends>> KeydirImage::load_matching(
    const std::string& dir, const Present& present, Keydir& keydir,
    std::function<void()> on_damage) {
  std::optional<KeydirImage> image = load(dir, keydir, std::move(on_damage));
  if (!image) return std::nullopt;
  std::optional<Ends> ends = image->match(present);
  if (!ends) {
    keydir = Keydir();
    return std::nullopt;
  }
  return std::pair{std::move(*image), std::move(*ends)};
}

std::optional<std::pair<KeydirImage, KeydirImage::Ends>> KeydirImage::load_matching(
    const std::string& dir, const std::vector<std::uint32_t>& ids, Keydir& keydir,
    std::function<void()> on_damage) {
  std::vector<util::File> files;
  return load_matching(dir, open_segments(dir, ids, files), keydir, std::move(on_damage));
}

std::optional<KeydirImage::Ends> KeydirImage::match_folder(
    const std::string& dir, const std::vector<std::uint32_t>& ids) const {
  std::vector<util::File> files;
  return match(open_segments(dir, ids, files));
}

std::uint64_t segment_ends_checksum(const util::File& file, std::uint64_t size) {
  std::uint64_t from = size > kEndBytes ? size - kEndBytes : 0;
  std::string head, tail;
  file.read_at(0, static_cast<std::size_t>(std::min(size, kEndBytes)), head);
  file.read_at(from, static_cast<std::size_t>(size - from), tail);
  return util::checksum(head + tail);
}

}  // namespace nadb::engine

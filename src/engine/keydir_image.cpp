#include "engine/keydir_image.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <map>

#include "engine/image_body_writer.hpp"
#include "engine/saved_tag_index.hpp"
#include "nadb/errors.hpp"
#include "obs/log.hpp"
#include "util/boot.hpp"
#include "util/checksum.hpp"
#include "util/files.hpp"
#include "util/varint.hpp"

namespace nadb::engine {
namespace {

constexpr char kMagic[8] = {'N', 'A', 'D', 'B', 'K', 'D', 'I', 'R'};
// The header: magic, format version, layout, where the metadata lies, and their checksum. The
// body (the arrays) starts at kBodyOffset; the metadata follows it.
constexpr std::size_t kHeaderSize = 40;
constexpr std::uint64_t kBodyOffset = 4096;
constexpr std::uint64_t kBlockBytes = VerifiedBlocks::kBlockBytes;
constexpr std::uint64_t kAlign = 64;
constexpr std::uint64_t kEndBytes = 4096;

// The image holds this build's structures as they are in memory: another layout is ignored.
constexpr std::uint32_t kLayout = static_cast<std::uint32_t>(
    sizeof(KeyEntry) | sizeof(KeyTable::Slot) << 8 | sizeof(KeyBytes) << 16 | 1u << 24);

std::uint64_t align_up(std::uint64_t n) {
  return (n + kAlign - 1) / kAlign * kAlign;
}

// Where one namespace's arrays lie, relative to the start of the body.
struct NamespaceSections {
  std::vector<std::uint64_t> chunks;
  std::uint64_t slots = 0;
  std::uint64_t sorted = 0;
  std::uint64_t free_ids = 0;
};

// Lays the arrays out one after another; long keys follow all of them.
struct BodyLayout {
  std::vector<NamespaceSections> namespaces;
  std::uint64_t keys = 0;  // start of the key region
};

BodyLayout lay_out(const std::vector<KeyTable::Arrays>& tables,
                   const std::vector<const KeyTable*>& owners) {
  BodyLayout layout;
  std::uint64_t at = 0;
  for (std::size_t n = 0; n < tables.size(); ++n) {
    NamespaceSections sections;
    for (std::uint32_t c = 0; c < owners[n]->chunk_count(); ++c) {
      sections.chunks.push_back(at);
      at = align_up(at + KeyTable::chunk_entries(c) * sizeof(KeyEntry));
    }
    sections.slots = at;
    at = align_up(at + tables[n].slots.size_bytes());
    sections.sorted = at;
    at = align_up(at + tables[n].sorted.size_bytes());
    sections.free_ids = at;
    at = align_up(at + tables[n].free_ids.size_bytes());
    layout.namespaces.push_back(std::move(sections));
  }
  layout.keys = at;
  return layout;
}

std::string_view bytes_of(const void* data, std::size_t n) {
  return {static_cast<const char*>(data), n};
}

// Thrown out of a write whose give_up said so.
struct WriteGivenUp {};

void ask(const std::function<bool()>& give_up) {
  if (give_up && give_up()) throw WriteGivenUp{};
}

// Writes bytes at `at` a megabyte at a time, asking give_up before each.
void write_asking(ImageBodyWriter& region, std::uint64_t at, std::string_view bytes,
                  const std::function<bool()>& give_up) {
  constexpr std::size_t kPiece = 1 << 20;
  std::size_t done = 0;
  do {
    ask(give_up);
    region.write(at + done, bytes.substr(done, kPiece));
    done += kPiece;
  } while (done < bytes.size());
}

// Writes a chunk's entries at `at`, their long keys appended to the key region (`keys`, a
// buffer of what goes at keys.end()).
void write_chunk(ImageBodyWriter& arrays, std::uint64_t at, std::span<const KeyEntry> entries,
                 ImageBodyWriter& key_region, std::string& keys,
                 const std::function<bool()>& give_up) {
  constexpr std::size_t kBatch = 4096;
  std::string buffer;
  for (std::size_t first = 0; first < entries.size(); first += kBatch) {
    ask(give_up);
    std::size_t n = std::min(kBatch, entries.size() - first);
    buffer.assign(bytes_of(entries.data() + first, n * sizeof(KeyEntry)));
    for (std::size_t i = 0; i < n; ++i) {
      std::string_view key = entries[first + i].key.view();
      if (key.size() <= KeyBytes::kInlineCapacity) continue;
      std::uint64_t entry_at = at + (first + i) * sizeof(KeyEntry);  // key is the first member
      auto distance = static_cast<std::int64_t>(key_region.end() + keys.size()) -
                      static_cast<std::int64_t>(entry_at);
      KeyBytes::encode_relative(distance, static_cast<std::uint32_t>(key.size()),
                                buffer.data() + i * sizeof(KeyEntry));
      keys.append(key);
    }
    arrays.write(at + first * sizeof(KeyEntry), buffer);
    if (keys.size() >= (1 << 20)) {
      key_region.write(key_region.end(), keys);
      keys.clear();
    }
  }
}

void put_counts(std::string& out, const std::unordered_map<std::uint32_t, std::uint64_t>& counts) {
  std::map<std::uint32_t, std::uint64_t> sorted(counts.begin(), counts.end());
  util::put_varint(out, sorted.size());
  for (auto [segment, bytes] : sorted) {
    util::put_fixed<std::uint32_t>(out, segment);
    util::put_fixed<std::uint64_t>(out, bytes);
  }
}

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

std::optional<std::uint64_t> KeydirImage::write(const std::string& dir, const Keydir& keydir,
                                                const std::vector<CoveredSegment>& segments,
                                                std::uint64_t max_seq,
                                                const std::function<bool()>& give_up) {
  std::string path = util::join_path(dir, kKeydirImageFile);
  std::string temp = path + ".tmp";
  std::uint64_t body_size = 0;
  try {
    body_size = write_to(temp, keydir, segments, max_seq, give_up);
  } catch (const WriteGivenUp&) {
    util::remove_file(temp);
    return std::nullopt;
  } catch (const std::exception&) {
    try {  // a failed write (a full disk) leaves no half image taking room
      util::remove_file(temp);
    } catch (const std::exception&) {  // the next open removes it
    }
    throw;
  }
  // Renaming over the old image would make ext4 write the new one back at once (its
  // replace-by-rename heuristic), and the next fsync of anything on the file system — a Sync
  // write, the next open — wait for that: 5 ms at 100k keys, seconds at 10M. An image is a
  // cache: a crash between the two steps costs the next open a rebuild, no data.
  std::string boot = util::boot_id();
  if (!boot.empty()) util::remove_file(path);
  util::rename_file(temp, path);
  if (boot.empty()) util::sync_directory(dir);
  return body_size;
}

std::uint64_t KeydirImage::write_to(const std::string& temp, const Keydir& keydir,
                                    const std::vector<CoveredSegment>& segments,
                                    std::uint64_t max_seq, const std::function<bool()>& give_up) {
  std::vector<std::string> names;
  std::vector<const NamespaceKeys*> spaces;
  for (const auto& [name, ns] : keydir.namespaces_) {
    names.push_back(name);
    spaces.push_back(ns.get());
  }
  std::vector<KeyTable::Arrays> tables;
  std::vector<const KeyTable*> owners;
  for (const NamespaceKeys* ns : spaces) {
    if (!ns->keys.order_keys(give_up)) throw WriteGivenUp{};
    tables.push_back(ns->keys.arrays());
    owners.push_back(&ns->keys);
  }
  BodyLayout layout = lay_out(tables, owners);

  util::File out(temp, O_RDWR | O_CREAT | O_TRUNC);
  // Two regions, each written front to back and checksummed as written: the arrays, and from
  // the next block boundary the long keys and the saved tag indexes.
  std::uint64_t tail_start = (layout.keys + kBlockBytes - 1) / kBlockBytes * kBlockBytes;
  ImageBodyWriter arrays(out, kBodyOffset, 0), tail(out, kBodyOffset, tail_start);
  std::string keys;
  for (std::size_t n = 0; n < tables.size(); ++n) {
    const NamespaceSections& at = layout.namespaces[n];
    for (std::uint32_t c = 0; c < owners[n]->chunk_count(); ++c)
      write_chunk(arrays, at.chunks[c], owners[n]->chunk_used(c), tail, keys, give_up);
    write_asking(arrays, at.slots, bytes_of(tables[n].slots.data(), tables[n].slots.size_bytes()),
                 give_up);
    write_asking(arrays, at.sorted,
                 bytes_of(tables[n].sorted.data(), tables[n].sorted.size_bytes()), give_up);
    write_asking(arrays, at.free_ids,
                 bytes_of(tables[n].free_ids.data(), tables[n].free_ids.size_bytes()), give_up);
  }
  tail.write(tail.end(), keys);
  std::vector<SavedTagIndex> indexes;
  for (const NamespaceKeys* ns : spaces) {
    indexes.push_back(SavedTagIndex::of(*ns, align_up(tail.end())));
    tail.write(indexes.back().at, indexes.back().bytes);
  }
  std::uint64_t body_size = align_up(tail.end());
  out.truncate(kBodyOffset + body_size);  // unwritten room (the chunks' tails) stays a hole
  std::vector<std::uint64_t> blocks = arrays.finish(tail_start);
  for (std::uint64_t sum : tail.finish(body_size))
    blocks.push_back(sum);

  // Unsynced, when the boot is known: until a restart the page cache holds the image as
  // written, and an open after one verifies it whole before use (load).
  std::string boot = util::boot_id();
  std::string meta;
  util::put_fixed<std::uint64_t>(meta, max_seq);
  util::put_fixed<std::uint64_t>(meta, body_size);
  util::put_varint(meta, boot.size());
  meta.append(boot);
  util::put_varint(meta, segments.size());
  for (const auto& s : segments) {
    util::put_fixed<std::uint32_t>(meta, s.id);
    util::put_fixed<std::uint64_t>(meta, s.size);
    util::put_fixed<std::uint64_t>(meta, s.ends_checksum);
  }
  keydir.tag_sets_.encode(meta);
  put_counts(meta, keydir.dead_bytes_);
  put_counts(meta, keydir.tombstone_bytes_);
  util::put_varint(meta, names.size());
  for (std::size_t n = 0; n < names.size(); ++n) {
    const KeyTable::Arrays& t = tables[n];
    const NamespaceSections& at = layout.namespaces[n];
    util::put_varint(meta, names[n].size());
    meta.append(names[n]);
    util::put_fixed<std::uint32_t>(meta, t.id_count);
    util::put_fixed<std::uint64_t>(meta, t.size);
    util::put_fixed<std::uint64_t>(meta, t.slots.size());
    util::put_fixed<std::uint64_t>(meta, at.slots);
    util::put_fixed<std::uint64_t>(meta, at.sorted);
    util::put_varint(meta, at.chunks.size());
    for (std::uint64_t chunk : at.chunks)
      util::put_fixed<std::uint64_t>(meta, chunk);
    util::put_fixed<std::uint64_t>(meta, at.free_ids);
    util::put_fixed<std::uint64_t>(meta, t.free_ids.size());
    util::put_varint(meta, spaces[n]->expiry.size());
    spaces[n]->expiry.for_each([&](std::int64_t expires_ms, std::uint32_t id) {
      util::put_fixed<std::int64_t>(meta, expires_ms);
      util::put_fixed<std::uint32_t>(meta, id);
    });
    indexes[n].put(meta);
  }
  util::put_varint(meta, blocks.size());
  for (std::uint64_t b : blocks)
    util::put_fixed<std::uint64_t>(meta, b);
  util::put_fixed<std::uint64_t>(meta, util::checksum(meta));
  out.write_at(kBodyOffset + body_size, meta);

  std::string header(kMagic, sizeof kMagic);
  util::put_fixed<std::uint32_t>(header, kKeydirImageFormatVersion);
  util::put_fixed<std::uint32_t>(header, kLayout);
  util::put_fixed<std::uint64_t>(header, kBodyOffset + body_size);
  util::put_fixed<std::uint64_t>(header, meta.size());
  util::put_fixed<std::uint64_t>(header, util::checksum(header));
  out.write_at(0, header);
  if (boot.empty()) out.sync();
  out.close();
  return body_size;
}

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
  if (!keydir.tag_sets_.decode(in) || !get_counts(in, keydir.dead_bytes_) ||
      !get_counts(in, keydir.tombstone_bytes_) || !in.varint(count)) {
    return false;
  }
  // An array must lie inside the body, aligned for its type.
  auto inside = [&](std::uint64_t at, std::uint64_t bytes) {
    return at % 8 == 0 && at <= body_size && bytes <= body_size - at;
  };
  for (std::uint64_t n = 0; n < count; ++n) {
    std::string_view name;
    KeyTable::Arrays arrays;
    std::uint64_t slot_count = 0, slots_at = 0, sorted_at = 0, chunk_count = 0, free_count = 0,
                  expiry_count = 0;
    std::uint32_t id_count = 0;
    if (!in.length_prefixed(name) || !in.fixed(id_count) || !in.fixed(arrays.size) ||
        !in.fixed(slot_count) || !in.fixed(slots_at) || !in.fixed(sorted_at) ||
        !in.varint(chunk_count) || chunk_count != KeyTable::chunks_for(id_count) ||
        arrays.size > id_count || slot_count < 16 || (slot_count & (slot_count - 1)) != 0 ||
        slot_count > (std::uint64_t{1} << 32) || arrays.size * 5 > slot_count * 4 ||
        !inside(slots_at, slot_count * sizeof(KeyTable::Slot)) ||
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
    NamespaceKeys& ns = keydir.find_or_create(name);
    if (ns.keys.size() != 0) return false;  // a namespace listed twice
    ns.keys.adopt(blocks_, chunks, reinterpret_cast<KeyTable::Slot*>(base + slots_at), arrays);
    if (!in.varint(expiry_count) || expiry_count > arrays.size) return false;
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

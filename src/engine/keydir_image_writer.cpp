// KeydirImage::write: the keydir's arrays, long keys and saved tag indexes written to a temp
// file front to back, checksummed as written, then put in place of KEYDIR. docs/FORMAT.md.
#include <fcntl.h>

#include <algorithm>
#include <map>

#include "engine/image_body_writer.hpp"
#include "engine/keydir_image.hpp"
#include "engine/keydir_image_format.hpp"
#include "engine/saved_tag_index.hpp"
#include "util/boot.hpp"
#include "util/checksum.hpp"
#include "util/files.hpp"
#include "util/varint.hpp"

namespace nadb::engine {
namespace {

using namespace image_format;

// Where one table's arrays lie (a namespace's keys, or the tag sets), relative to the body.
struct TableSections {
  std::vector<std::uint64_t> chunks;
  std::uint64_t slots = 0;
  std::uint64_t sorted = 0;
  std::uint64_t free_ids = 0;
};

// Lays the arrays out one after another; long keys follow all of them.
struct BodyLayout {
  std::vector<TableSections> tables;
  std::uint64_t keys = 0;  // start of the key region
};

BodyLayout lay_out(const std::vector<KeyTable::Arrays>& tables,
                   const std::vector<const KeyTable*>& owners) {
  BodyLayout layout;
  std::uint64_t at = 0;
  for (std::size_t n = 0; n < tables.size(); ++n) {
    TableSections sections;
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
    layout.tables.push_back(std::move(sections));
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

// A table's place and shape: its ids, live keys, slots, sorted view, chunks and free ids.
void put_table(std::string& meta, const KeyTable::Arrays& t, const TableSections& at) {
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
}

void put_counts(std::string& out, const std::unordered_map<std::uint32_t, std::uint64_t>& counts) {
  std::map<std::uint32_t, std::uint64_t> sorted(counts.begin(), counts.end());
  util::put_varint(out, sorted.size());
  for (auto [segment, bytes] : sorted) {
    util::put_fixed<std::uint32_t>(out, segment);
    util::put_fixed<std::uint64_t>(out, bytes);
  }
}

}  // namespace

std::optional<std::uint64_t> KeydirImage::write(const std::string& dir, const Keydir& keydir,
                                                const std::vector<CoveredSegment>& segments,
                                                std::uint64_t max_seq,
                                                const std::function<bool()>& give_up) {
  std::string path = util::join_path(dir, kKeydirImageFile);
  std::string temp = path + ".tmp";
  // Unsynced, when the boot is known: until a restart the page cache holds the image as
  // written, and an open after one verifies it whole before use (load).
  const std::string boot = util::boot_id();
  std::uint64_t body_size = 0;
  std::vector<const NamespaceKeys*> saved_built;
  try {
    body_size = write_to(temp, boot, keydir, segments, max_seq, give_up, saved_built);
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
  if (!boot.empty()) util::remove_file(path);
  util::rename_file(temp, path);
  if (boot.empty()) util::sync_directory(dir);
  // The caller's write lock keeps every index as saved: only a reader's build from the keys
  // changes one, and these were built already.
  for (const NamespaceKeys* ns : saved_built)
    ns->index_unsaved.store(false, std::memory_order_relaxed);
  return body_size;
}

std::uint64_t KeydirImage::write_to(const std::string& temp, const std::string& boot,
                                    const Keydir& keydir,
                                    const std::vector<CoveredSegment>& segments,
                                    std::uint64_t max_seq, const std::function<bool()>& give_up,
                                    std::vector<const NamespaceKeys*>& saved_built) {
  std::vector<std::string> names;
  std::vector<const NamespaceKeys*> spaces;
  for (const auto& [name, ns] : keydir.namespaces_) {
    names.push_back(name);
    spaces.push_back(ns.get());
  }
  // Every namespace's keys, then the tag sets (written alike; the metadata says which is which).
  std::vector<const KeyTable*> owners;
  for (const NamespaceKeys* ns : spaces)
    owners.push_back(&ns->keys);
  owners.push_back(&keydir.tag_sets_.table());
  std::vector<KeyTable::Arrays> tables;
  for (const KeyTable* table : owners) {
    if (!table->order_keys(give_up)) throw WriteGivenUp{};
    tables.push_back(table->arrays());
  }
  BodyLayout layout = lay_out(tables, owners);

  util::File out(temp, O_RDWR | O_CREAT | O_TRUNC);
  // Two regions, each written front to back and checksummed as written: the arrays, and from
  // the next block boundary the long keys and the saved tag indexes.
  std::uint64_t tail_start = (layout.keys + kBlockBytes - 1) / kBlockBytes * kBlockBytes;
  ImageBodyWriter arrays(out, kBodyOffset, 0), tail(out, kBodyOffset, tail_start);
  std::string keys;
  for (std::size_t n = 0; n < tables.size(); ++n) {
    const TableSections& at = layout.tables[n];
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
    if (indexes.back().from_built_index) saved_built.push_back(ns);
  }
  std::uint64_t body_size = align_up(tail.end());
  out.truncate(kBodyOffset + body_size);  // unwritten room (the chunks' tails) stays a hole
  std::vector<std::uint64_t> blocks = arrays.finish(tail_start);
  for (std::uint64_t sum : tail.finish(body_size))
    blocks.push_back(sum);

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
  put_table(meta, tables.back(), layout.tables.back());
  put_counts(meta, keydir.dead_bytes_);
  put_counts(meta, keydir.tombstone_bytes_);
  util::put_varint(meta, names.size());
  for (std::size_t n = 0; n < names.size(); ++n) {
    util::put_varint(meta, names[n].size());
    meta.append(names[n]);
    put_table(meta, tables[n], layout.tables[n]);
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

}  // namespace nadb::engine

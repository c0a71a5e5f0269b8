// KeyTable: the keys of one namespace in memory (TagSets keeps the tag sets in one too). Entries
// live in a dense array indexed by key id (ids of deleted keys are reused), found by an
// open-addressing hash index and visited in key order through a lazily merged sorted id list. About
// 110-120 bytes per key, key included (80 for the entry, 20-40 for the hash slots, 4 for the sorted
// list). Its arrays hold no pointers (long keys of an image are held relative to their entry), so a
// keydir image can hand it arrays that lie in a private mapping of a file (adopt): they are read in
// place and copied page by page only where written.
#pragma once

#include <bit>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string_view>
#include <vector>

#include "engine/key_bytes.hpp"
#include "engine/verified_blocks.hpp"
#include "nadb/backend.hpp"
#include "util/checksum.hpp"
#include "util/huge_page_allocator.hpp"

namespace nadb::engine {

// Where and what the newest record of a live key is.
struct KeyEntry {
  KeyBytes key;
  std::uint64_t version = 0;
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;
  std::int64_t expires_ms = 0;  // 0: never
  // Set through KeyTable::insert and KeyTable::locate only: the hash slot mirrors them.
  std::uint32_t segment = 0;
  std::uint32_t offset = 0;
  std::uint32_t record_size = 0;
  std::uint32_t raw_size = 0;
  std::uint32_t stored_size = 0;
  std::uint32_t tag_set = 0;  // id in TagSets
  ValueCodec codec = ValueCodec::None;
  bool live = false;

  bool expired_at(std::int64_t now_ms) const { return expires_ms != 0 && expires_ms <= now_ms; }
};

// Not thread-safe except where noted: the owner's lock guards it.
class KeyTable {
 public:
  static constexpr std::uint32_t kNoId = 0xFFFFFFFFu;

  // Where a key's newest record is.
  struct Location {
    std::uint32_t segment = 0;
    std::uint32_t offset = 0;
  };
  // A hash slot: the key's hash, its id and (a copy of) its location.
  struct Slot {
    std::uint32_t hash = 0;
    std::uint32_t id_plus_one = 0;  // 0: empty
    Location location;
  };
  // The arrays as they are (the sorted view merged first), for a keydir image.
  struct Arrays {
    std::uint32_t id_count = 0;  // ids handed out (live or free)
    std::size_t size = 0;        // live keys
    std::span<const Slot> slots;
    std::span<const std::uint32_t> sorted;
    std::span<const std::uint32_t> free_ids;
  };

  KeyTable();
  ~KeyTable();
  KeyTable(const KeyTable&) = delete;
  KeyTable& operator=(const KeyTable&) = delete;

  // The id of key, or kNoId. Calls on_candidate(Location) for each entry whose hash matches,
  // before the entry's key is compared: the hash slot carries the record's location, so the
  // caller can start loading the record while the entry is still on its way from memory
  // (otherwise a lookup is three dependent cache misses: slot, entry, record).
  template <class OnCandidate>
  std::uint32_t find(std::string_view key, OnCandidate&& on_candidate) const {
    std::uint32_t hash = hash32(key);
    for (std::uint32_t i = hash & mask_;; i = (i + 1) & mask_) {
      const Slot& slot = slot_at(i);
      if (slot.id_plus_one == 0) return kNoId;
      if (slot.hash == hash) {
        on_candidate(slot.location);
        if (at(slot.id_plus_one - 1).key.view() == key) return slot.id_plus_one - 1;
      }
    }
  }
  std::uint32_t find(std::string_view key) const {
    return find(key, [](Location) {});
  }
  // Adds key (which must be absent) with a zeroed entry at location; returns its id.
  std::uint32_t insert(std::string_view key, Location location);
  // Records that id's newest record is at location.
  void locate(std::uint32_t id, Location location);
  void erase(std::uint32_t id);
  // Throw Corruption when id's entry lies in a damaged block of a mapped image.
  KeyEntry& at(std::uint32_t id) {
    std::uint32_t chunk = chunk_of(id);
    KeyEntry& entry = chunks_[chunk][id - chunk_start(chunk)];
    if (chunk < mapped_chunks_) check_mapped(entry);
    return entry;
  }
  const KeyEntry& at(std::uint32_t id) const {
    std::uint32_t chunk = chunk_of(id);
    const KeyEntry& entry = chunks_[chunk][id - chunk_start(chunk)];
    if (chunk < mapped_chunks_) check_mapped(entry);
    return entry;
  }
  std::size_t size() const { return size_; }
  // Every id handed out (live or free) is below this.
  std::uint32_t id_limit() const { return id_count_; }

  // Calls fn for live entries with key >= prefix, key > after and key starting with prefix,
  // in key order, until fn returns false. Safe to call from several readers at once while no
  // writer runs (it merges the sorted list under its own mutex).
  void visit_ordered(std::string_view prefix, std::string_view after,
                     const std::function<bool(std::uint32_t, const KeyEntry&)>& fn) const;
  // Calls fn(id, entry) for every live entry, in no particular order.
  void for_each(const std::function<void(std::uint32_t, const KeyEntry&)>& fn) const;
  std::size_t memory_bytes() const;
  // What of it is on the heap: all of it unless the table lies in a mapped image (adopt), then
  // what grew since. Pages of the image copied on write are not counted (the image's owner
  // measures those). Safe beside readers (the owner's lock shared).
  std::size_t heap_bytes() const;

  // Keydir images (keydir_image.cpp). Entries are in chunks of chunk_entries(c) entries; the
  // first chunk_used(c) of chunk c are handed out.
  Arrays arrays() const;
  // Merges the keys inserted since the last merge into the sorted view (what arrays() does
  // first), asking give_up every 64k keys of work: false, with nothing changed, once it says
  // so (sorting a million new keys takes 0.3 s, and a checkpoint gives way to writers).
  // Readers may run meanwhile (the owner's lock held shared), writers may not.
  bool order_keys(const std::function<bool()>& give_up) const;
  std::uint32_t chunk_count() const { return static_cast<std::uint32_t>(chunks_.size()); }
  std::span<const KeyEntry> chunk_used(std::uint32_t c) const;
  static std::size_t chunk_entries(std::uint32_t chunk) {
    return std::size_t{1} << (chunk + kFirstChunkBits);
  }
  // The number of chunks that id_count ids fill.
  static std::uint32_t chunks_for(std::uint32_t id_count) {
    return id_count == 0 ? 0 : chunk_of(id_count - 1) + 1;
  }
  // Replaces an empty table's arrays with ones that lie in the body of a mapped image (each
  // block verified on first use): chunks (chunks_for(arrays.id_count) of them, each with room for
  // chunk_entries), the slots (a power of two of them), the sorted view and the free ids. Chunks
  // and slots are changed in place; the sorted view and free ids are copied when they change.
  void adopt(std::shared_ptr<const VerifiedBlocks> image, const std::vector<KeyEntry*>& chunks,
             Slot* slots, const Arrays& arrays);

 private:
  static std::uint32_t hash32(std::string_view key) {
    return static_cast<std::uint32_t>(util::checksum(key) >> 32);
  }
  std::uint32_t home(const Slot& slot) const { return slot.hash & mask_; }
  // Nothing of a mapped image is used before its block is verified (VerifiedBlocks).
  void check_image(const void* p, std::size_t n) const {
    if (image_) image_->ensure(p, n);
  }
  void check_mapped(const KeyEntry& entry) const {
    image_->ensure(&entry, sizeof entry);
    std::string_view key = entry.key.view();  // a long key lies elsewhere in the image
    image_->ensure(key.data(), key.size());
  }
  Slot& slot_at(std::uint32_t i) const {
    check_image(&slots_[i], sizeof(Slot));
    return slots_[i];
  }
  std::span<const std::uint32_t> sorted_ids() const {
    check_image(sorted_view_.data(), sorted_view_.size_bytes());
    return sorted_view_;
  }
  // The index of id's slot.
  std::uint32_t slot_of(std::uint32_t id) const;
  void grow();
  void place(const Slot& slot);
  void merge_order() const { merge_order({}); }
  bool merge_order(const std::function<bool()>& give_up) const;

  // Entries live in chunks that double in size (4096 entries, 8192, ...): growing never moves
  // (or re-touches) existing entries, a small namespace stays small, and the large chunks get
  // huge pages. An entry is constructed when its id is first handed out.
  static constexpr std::uint32_t kFirstChunkBits = 12;
  static std::uint32_t chunk_of(std::uint32_t id) {
    return static_cast<std::uint32_t>(std::bit_width((id >> kFirstChunkBits) + 1)) - 1;
  }
  static std::size_t chunk_start(std::uint32_t chunk) {
    return ((std::size_t{1} << chunk) - 1) << kFirstChunkBits;
  }
  using EntryAllocator = util::HugePageAllocator<KeyEntry>;
  bool is_unordered(std::uint32_t id) const {
    return id < is_unordered_.size() && is_unordered_[id];
  }
  // An image the first mapped_chunks_ chunks, the slots, the sorted view and some free ids
  // may lie in.
  std::shared_ptr<const VerifiedBlocks> image_;
  std::uint32_t mapped_chunks_ = 0;
  // Ids in mapped chunks given a heap key since (some may have lost it again): what the
  // destructor frees there.
  std::vector<std::uint32_t> heap_keys_in_mapped_chunks_;
  std::vector<KeyEntry*> chunks_;
  std::uint32_t id_count_ = 0;  // ids handed out so far (live or free)
  // Free ids: handed out from free_ids_ first, then from the mapped ones (arrays() merges
  // them, under the owner's lock).
  mutable std::vector<std::uint32_t> free_ids_;
  mutable std::span<const std::uint32_t> mapped_free_ids_;
  std::vector<Slot, util::HugePageAllocator<Slot>> own_slots_;
  Slot* slots_ = nullptr;  // own_slots_, or mapped
  std::uint32_t mask_ = 0;
  std::size_t size_ = 0;
  std::size_t heap_key_bytes_ = 0;

  // The sorted view; guarded by order_mutex_ for readers (writers hold the owner's lock
  // exclusively, so no reader runs while they append to unordered_).
  mutable std::mutex order_mutex_;
  mutable std::vector<std::uint32_t> sorted_;
  mutable std::span<const std::uint32_t> sorted_view_;  // sorted_, or mapped
  mutable std::vector<std::uint32_t> unordered_;
  mutable std::vector<bool> is_unordered_;  // by id: not yet merged into sorted_
  mutable bool has_erased_ = false;
};

}  // namespace nadb::engine

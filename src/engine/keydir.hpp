// Keydir: every namespace's KeyTable, the expiry schedules, the interned tag sets and how many
// bytes of each segment are dead. The engine's state lock guards it. The memory backend keeps
// its keys in one too (its values' slots as locations, under its own lock), so both answer
// reads, scans, counts and queries with the same code.
#pragma once

#include <atomic>
#include <cassert>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/expiry_schedule.hpp"
#include "engine/key_table.hpp"
#include "engine/segment.hpp"
#include "engine/tag_sets.hpp"

namespace nadb::engine {

struct NamespaceKeys {
  KeyTable keys;
  ExpirySchedule expiry;
  // The attached index, told of every change once built. It is built on first use (a read
  // through Keydir::read), not when attached: opening a db need not visit every key.
  std::shared_ptr<IndexSink> index;
  // Set once the index holds every live key; a reader builds it under index_build_mutex
  // while holding its owner's lock shared (writers hold it exclusively, so none runs).
  mutable std::atomic<bool> index_built{false};
  mutable std::mutex index_build_mutex;
  // The index as the keydir image saved it, and for each id changed since, the tags it had
  // then (nullopt: it was absent). The first build loads these instead of visiting every key;
  // with no bytes it builds from the keys. Writers change it with their owner's lock held
  // exclusively, a build (that lock shared) under index_build_mutex.
  struct IndexImage {
    std::shared_ptr<const VerifiedBlocks> blocks;  // the bytes are verified through it
    std::string_view bytes;
    std::unordered_map<std::uint32_t, std::optional<std::vector<std::string>>> changes;

    // Whether there are bytes and their blocks match their checksums (a damaged block also
    // sets the image aside, through VerifiedBlocks).
    bool intact() const;
  };
  mutable IndexImage index_image;
  // Set when the index was built from the keys, until an image holding it is written (the
  // image this open used has no copy of it).
  mutable std::atomic<bool> index_unsaved{false};
};

class Keydir {
 public:
  NamespaceKeys* find(std::string_view ns);
  NamespaceKeys& find_or_create(std::string_view ns);
  const NamespaceKeys* find(std::string_view ns) const;
  // The entry of (ns, key), expired or not; nullptr when there is none. on_candidate is as
  // for KeyTable::find.
  template <class OnCandidate>
  const KeyEntry* lookup(std::string_view ns, std::string_view key,
                         OnCandidate&& on_candidate) const {
    const NamespaceKeys* keys = find(ns);
    if (keys == nullptr) return nullptr;
    std::uint32_t id = keys->keys.find(key, on_candidate);
    return id == KeyTable::kNoId ? nullptr : &keys->keys.at(id);
  }
  const KeyEntry* lookup(std::string_view ns, std::string_view key) const {
    return lookup(ns, key, [](KeyTable::Location) {});
  }
  // The entry of (ns, key) if live and not expired at now_ms.
  template <class OnCandidate>
  const KeyEntry* lookup_live(std::string_view ns, std::string_view key, std::int64_t now_ms,
                              OnCandidate&& on_candidate) const {
    const KeyEntry* entry = lookup(ns, key, on_candidate);
    return entry == nullptr || entry->expired_at(now_ms) ? nullptr : entry;
  }
  const KeyEntry* lookup_live(std::string_view ns, std::string_view key,
                              std::int64_t now_ms) const {
    return lookup_live(ns, key, now_ms, [](KeyTable::Location) {});
  }

  // Makes record the newest version of its key (a put installs it, a delete erases the key).
  // It must be newer than what is installed (asserted in debug builds).
  void install(const LocatedRecord& record) {
    [[maybe_unused]] bool installed = install_if_newer(record, 0);
    assert(installed && "a record older than the installed version");
  }
  // As install, if record's seq is above floor and above the installed version's (recovery
  // meets records out of order); false, changing nothing, otherwise.
  bool install_if_newer(const LocatedRecord& record, std::uint64_t floor);
  // Points (ns, key) at its copy at (segment, offset) if it is still at `from`; otherwise the
  // copy is dead at once. Returns whether it moved.
  bool relocate(std::string_view ns, std::string_view key, const LocatedRecord& from,
                std::uint32_t segment, std::uint32_t offset);

  // Bytes of segment that no longer hold the newest version of any key.
  std::uint64_t dead_bytes(std::uint32_t segment) const;
  void add_dead_bytes(std::uint32_t segment, std::uint64_t bytes) { dead_bytes_[segment] += bytes; }
  // Bytes of delete records in segment (kept until a full compaction).
  std::uint64_t tombstone_bytes(std::uint32_t segment) const;
  void add_tombstone_bytes(std::uint32_t segment, std::uint64_t bytes) {
    tombstone_bytes_[segment] += bytes;
  }
  void forget_segment(std::uint32_t segment);

  const TagSets& tag_sets() const { return tag_sets_; }
  // What a caller learns of entry (its tags only if with_tags).
  RecordMeta meta_of(const KeyEntry& entry, bool with_tags = true) const;
  // Up to limit live keys of ns starting with prefix, after cursor, in byte order.
  KeyPage scan(std::string_view ns, std::string_view prefix, std::string_view cursor,
               std::size_t limit, std::int64_t now_ms) const;
  // Live keys of ns not expired at now_ms.
  std::size_t count(std::string_view ns, std::int64_t now_ms) const;
  // Calls fn with the KeyIdReader of ns (empty if ns has no keys), building its attached
  // index first if not yet built. Safe from several readers at once (the owner's lock shared).
  void read(std::string_view ns, const std::function<void(const KeyIdReader&)>& fn) const;
  // Namespaces with live keys, and their attached indexes (for a reload).
  std::vector<std::string> namespace_names() const;
  std::map<std::string, std::shared_ptr<IndexSink>> indexes() const;
  // Attaches index to ns; it is cleared and told of every live key on first use (read).
  void attach_index(NamespaceKeys& ns, std::shared_ptr<IndexSink> index);
  // LocalIndexing::attach_index: attaches sink to ns unless an index is attached already (then
  // rebuilds that one if asked); returns the index in effect.
  std::shared_ptr<IndexSink> attach_index(std::string_view ns, std::shared_ptr<IndexSink> sink,
                                          bool rebuild);
  std::size_t memory_bytes() const;
  // What of it mapping a new image would give back: the key tables' heap (KeyTable::heap_bytes)
  // and the pages of the mapped image copied on write (util::copied_bytes; uncounted where the
  // kernel does not tell). Not the expiry schedules and tag sets, which a load decodes anew.
  std::size_t private_bytes() const;
  // For a keydir just loaded from an image of `from` (nothing changed in between): takes over
  // from's attached indexes, built ones as they are (ids are the same), so that no query
  // rebuilds them.
  void take_indexes(const Keydir& from);
  // Whether an index was built from the keys in this session and has something to save: a
  // new image spares the next open that build.
  bool has_unsaved_index() const;

 private:
  friend class KeydirImage;  // writes and maps the arrays as they are
  // Tells ns's index (not yet built) of every live key: loads its image if there is one.
  void build_index(const NamespaceKeys& ns) const;
  // Loads ns's index image into its index and applies the changes since; false when there is
  // none or it cannot be used (the index is then left cleared).
  bool load_index_image(const NamespaceKeys& ns) const;
  // Before id of ns changes while its index is not built: what the image says of it.
  void note_index_image_change(NamespaceKeys& ns, std::uint32_t id, bool existed);
  void retire(NamespaceKeys& ns, std::uint32_t id);  // accounts the entry's old record as dead

  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view name) const {
      return std::hash<std::string_view>{}(name);
    }
  };
  std::unordered_map<std::string, std::unique_ptr<NamespaceKeys>, NameHash, std::equal_to<>>
      namespaces_;
  TagSets tag_sets_;
  std::vector<std::string_view> before_;  // scratch for index notifications
  std::unordered_map<std::uint32_t, std::uint64_t> dead_bytes_;
  std::unordered_map<std::uint32_t, std::uint64_t> tombstone_bytes_;
  std::shared_ptr<const VerifiedBlocks> image_;  // the image its tables lie in, if any
};

}  // namespace nadb::engine

#include "engine/key_table.hpp"

#include <algorithm>

namespace nadb::engine {

KeyTable::KeyTable() : slots_(16), mask_(15) {}

KeyTable::~KeyTable() {
  for (std::uint32_t id = 0; id < id_count_; ++id)
    at(id).~KeyEntry();
  for (std::uint32_t chunk = 0; chunk < chunks_.size(); ++chunk)
    EntryAllocator().deallocate(chunks_[chunk], chunk_entries(chunk));
}

void KeyTable::place(const Slot& slot) {
  std::uint32_t i = home(slot);
  while (slots_[i].id_plus_one != 0)
    i = (i + 1) & mask_;
  slots_[i] = slot;
}

void KeyTable::grow() {
  decltype(slots_) old(slots_.size() * 2);
  old.swap(slots_);
  mask_ = static_cast<std::uint32_t>(slots_.size() - 1);
  for (const Slot& slot : old) {
    if (slot.id_plus_one != 0) place(slot);
  }
}

std::uint32_t KeyTable::slot_of(std::uint32_t id) const {
  std::uint32_t i = hash32(at(id).key.view()) & mask_;
  while (slots_[i].id_plus_one != id + 1)
    i = (i + 1) & mask_;
  return i;
}

void KeyTable::locate(std::uint32_t id, Location location) {
  KeyEntry& entry = at(id);
  entry.segment = location.segment;
  entry.offset = location.offset;
  slots_[slot_of(id)].location = location;
}

std::uint32_t KeyTable::insert(std::string_view key, Location location) {
  if ((size_ + 1) * 5 > slots_.size() * 4) grow();
  std::uint32_t id;
  if (!free_ids_.empty()) {
    id = free_ids_.back();
    free_ids_.pop_back();
    at(id) = KeyEntry{};
  } else {
    id = id_count_;
    if (chunk_of(id) == chunks_.size()) {
      chunks_.reserve(chunks_.size() + 1);  // so that push_back cannot throw after allocate
      chunks_.push_back(EntryAllocator().allocate(chunk_entries(chunk_of(id))));
    }
    new (&at(id)) KeyEntry();
    ++id_count_;
  }
  KeyEntry& entry = at(id);
  entry.key.assign(key);
  entry.live = true;
  entry.segment = location.segment;
  entry.offset = location.offset;
  if (is_unordered_.size() <= id) is_unordered_.resize(chunk_start(chunk_of(id) + 1));  // its chunk
  is_unordered_[id] = true;
  place(Slot{hash32(key), id + 1, location});
  unordered_.push_back(id);
  ++size_;
  return id;
}

void KeyTable::erase(std::uint32_t id) {
  std::uint32_t i = slot_of(id);
  // Backward-shift deletion keeps every probe chain unbroken without tombstones.
  for (std::uint32_t j = (i + 1) & mask_;; j = (j + 1) & mask_) {
    const Slot& slot = slots_[j];
    if (slot.id_plus_one == 0) break;
    std::uint32_t k = home(slot);
    bool movable = (i <= j) ? (k <= i || k > j) : (k <= i && k > j);
    if (movable) {
      slots_[i] = slot;
      i = j;
    }
  }
  slots_[i] = Slot{};
  KeyEntry& entry = at(id);
  entry.key.assign({});
  entry.live = false;
  free_ids_.push_back(id);
  has_erased_ = true;
  --size_;
}

void KeyTable::merge_order() const {
  if (unordered_.empty() && !has_erased_) return;
  // Ids in unordered_ may also sit at stale places in sorted_ (an erased id reused): drop
  // every id that is dead or unordered, then merge the unordered live ones in.
  std::vector<std::uint32_t> kept;
  kept.reserve(size_);
  for (std::uint32_t id : sorted_) {
    if (at(id).live && !is_unordered_[id]) kept.push_back(id);
  }
  std::vector<std::uint32_t> fresh;
  for (std::uint32_t id : unordered_) {
    if (!is_unordered_[id]) continue;  // listed twice
    is_unordered_[id] = false;
    if (at(id).live) fresh.push_back(id);
  }
  auto less = [this](std::uint32_t a, std::uint32_t b) {
    return at(a).key.view() < at(b).key.view();
  };
  std::sort(fresh.begin(), fresh.end(), less);
  sorted_.clear();
  sorted_.reserve(kept.size() + fresh.size());
  std::merge(kept.begin(), kept.end(), fresh.begin(), fresh.end(), std::back_inserter(sorted_),
             less);
  unordered_.clear();
  unordered_.shrink_to_fit();
  has_erased_ = false;
}

void KeyTable::visit_ordered(std::string_view prefix, std::string_view after,
                             const std::function<bool(std::uint32_t, const KeyEntry&)>& fn) const {
  std::lock_guard lock(order_mutex_);
  merge_order();
  auto key_of = [this](std::uint32_t id) { return at(id).key.view(); };
  auto it =
      (after >= prefix)
          ? std::upper_bound(sorted_.begin(), sorted_.end(), after,
                             [&](std::string_view k, std::uint32_t id) { return k < key_of(id); })
          : std::lower_bound(sorted_.begin(), sorted_.end(), prefix,
                             [&](std::uint32_t id, std::string_view k) { return key_of(id) < k; });
  for (; it != sorted_.end(); ++it) {
    const KeyEntry& entry = at(*it);
    if (entry.key.view().substr(0, prefix.size()) != prefix) break;
    if (!fn(*it, entry)) break;
  }
}

void KeyTable::for_each(const std::function<void(std::uint32_t, const KeyEntry&)>& fn) const {
  for (std::uint32_t id = 0; id < id_count_; ++id) {
    if (at(id).live) fn(id, at(id));
  }
}

std::size_t KeyTable::memory_bytes() const {
  std::size_t heap_keys = 0;
  for (std::uint32_t id = 0; id < id_count_; ++id) {
    if (at(id).key.view().size() > 15) heap_keys += at(id).key.view().size();
  }
  // Entries not yet handed out are never touched, so they take no memory.
  std::lock_guard lock(order_mutex_);  // a reader may be merging the sorted view
  return std::size_t{id_count_} * sizeof(KeyEntry) + slots_.capacity() * sizeof(Slot) +
         (sorted_.capacity() + unordered_.capacity() + free_ids_.capacity()) *
             sizeof(std::uint32_t) +
         heap_keys;
}

}  // namespace nadb::engine

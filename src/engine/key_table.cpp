#include "engine/key_table.hpp"

#include <algorithm>
#include <cassert>
#include <span>
#include <vector>

namespace nadb::engine {

KeyTable::KeyTable() : own_slots_(16), slots_(own_slots_.data()), mask_(15) {}

KeyTable::~KeyTable() {
  // Mapped entries own nothing unless given a heap key since (listed): reading all of them
  // here would fault in the whole image at close.
  for (std::uint32_t id : heap_keys_in_mapped_chunks_)  // verified when they got their keys
    chunks_[chunk_of(id)][id - chunk_start(chunk_of(id))].key.assign({});
  std::uint32_t first_owned = mapped_chunks_ == 0
                                  ? 0
                                  : static_cast<std::uint32_t>(std::min<std::size_t>(
                                        chunk_start(mapped_chunks_), id_count_));
  for (std::uint32_t id = first_owned; id < id_count_; ++id)
    at(id).~KeyEntry();
  for (std::uint32_t chunk = mapped_chunks_; chunk < chunks_.size(); ++chunk)
    EntryAllocator().deallocate(chunks_[chunk], chunk_entries(chunk));
}

void KeyTable::adopt(std::shared_ptr<const VerifiedBlocks> image,
                     const std::vector<KeyEntry*>& chunks, Slot* slots, const Arrays& arrays) {
  assert(id_count_ == 0 && chunks.size() == chunks_for(arrays.id_count));
  image_ = std::move(image);
  chunks_ = chunks;
  mapped_chunks_ = static_cast<std::uint32_t>(chunks.size());
  id_count_ = arrays.id_count;
  size_ = arrays.size;
  mapped_free_ids_ = arrays.free_ids;
  decltype(own_slots_)().swap(own_slots_);
  slots_ = slots;
  mask_ = static_cast<std::uint32_t>(arrays.slots.size() - 1);
  sorted_view_ = arrays.sorted;
}

KeyTable::Arrays KeyTable::arrays() const {
  std::lock_guard lock(order_mutex_);
  merge_order();
  // One list of free ids: the mapped ones (handed out last) under the ones freed since.
  check_image(mapped_free_ids_.data(), mapped_free_ids_.size_bytes());
  free_ids_.insert(free_ids_.begin(), mapped_free_ids_.begin(), mapped_free_ids_.end());
  mapped_free_ids_ = {};
  check_image(slots_, (std::size_t{mask_} + 1) * sizeof(Slot));
  return Arrays{id_count_, size_, {slots_, std::size_t{mask_} + 1}, sorted_ids(), free_ids_};
}

std::span<const KeyEntry> KeyTable::chunk_used(std::uint32_t c) const {
  std::size_t start = chunk_start(c);
  std::span<const KeyEntry> used{chunks_[c],
                                 std::min<std::size_t>(chunk_entries(c), id_count_ - start)};
  check_image(used.data(), used.size_bytes());
  for (const KeyEntry& entry : used)  // and the long keys they hold
    check_image(entry.key.view().data(), entry.key.view().size());
  return used;
}

void KeyTable::place(const Slot& slot) {
  std::uint32_t i = home(slot);
  while (slot_at(i).id_plus_one != 0)
    i = (i + 1) & mask_;
  slots_[i] = slot;
}

void KeyTable::grow() {
  decltype(own_slots_) grown((std::size_t{mask_} + 1) * 2);
  const Slot* old = slots_;
  std::size_t old_count = std::size_t{mask_} + 1;
  slots_ = grown.data();
  mask_ = static_cast<std::uint32_t>(grown.size() - 1);
  check_image(old, old_count * sizeof(Slot));
  for (std::size_t i = 0; i < old_count; ++i) {
    if (old[i].id_plus_one != 0) place(old[i]);
  }
  own_slots_.swap(grown);  // frees the old slots if they were ours (mapped ones stay mapped)
}

std::uint32_t KeyTable::slot_of(std::uint32_t id) const {
  std::uint32_t i = hash32(at(id).key.view()) & mask_;
  while (slot_at(i).id_plus_one != id + 1)
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
  if ((size_ + 1) * 5 > (std::size_t{mask_} + 1) * 4) grow();
  std::uint32_t id;
  if (!free_ids_.empty() || !mapped_free_ids_.empty()) {
    if (!free_ids_.empty()) {
      id = free_ids_.back();
      free_ids_.pop_back();
    } else {
      check_image(&mapped_free_ids_.back(), sizeof(std::uint32_t));
      id = mapped_free_ids_.back();
      mapped_free_ids_ = mapped_free_ids_.first(mapped_free_ids_.size() - 1);
    }
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
  if (entry.key.on_heap()) {
    heap_key_bytes_ += key.size();
    if (chunk_of(id) < mapped_chunks_) heap_keys_in_mapped_chunks_.push_back(id);
  }
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
    const Slot& slot = slot_at(j);
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
  if (entry.key.on_heap()) heap_key_bytes_ -= entry.key.view().size();
  entry.key.assign({});
  entry.live = false;
  free_ids_.push_back(id);
  has_erased_ = true;
  --size_;
}

namespace {

// Merges sorted a and b onto out, calling stop() after each key; false once it returns true.
template <class Less, class Stop>
bool merge_until(std::span<const std::uint32_t> a, std::span<const std::uint32_t> b,
                 std::vector<std::uint32_t>& out, Less less, Stop& stop) {
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    out.push_back(less(b[j], a[i]) ? b[j++] : a[i++]);
    if (stop()) return false;
  }
  out.insert(out.end(), a.begin() + static_cast<std::ptrdiff_t>(i), a.end());
  out.insert(out.end(), b.begin() + static_cast<std::ptrdiff_t>(j), b.end());
  return true;
}

}  // namespace

bool KeyTable::order_keys(const std::function<bool()>& give_up) const {
  std::lock_guard lock(order_mutex_);
  return merge_order(give_up);
}

bool KeyTable::merge_order(const std::function<bool()>& give_up) const {
  if (unordered_.empty() && !has_erased_) return true;
  constexpr std::size_t kStep = 1 << 16;
  std::size_t work = 0;
  auto stop = [&] { return ++work % kStep == 0 && give_up && give_up(); };
  // Ids in unordered_ may also sit at stale places in sorted_ (an erased id reused): drop
  // every id that is dead or unordered, then merge the unordered live ones in. A dead id in
  // the sorted view was erased since it was made, so it is in free_ids_ (the mapped free ids
  // were free when the image's view was made): marked here, so that the view is read alone.
  // Asking each entry whether it is live read the entries in key order, a cache miss (on a
  // mapped image a page fault) each: half of a 100k-key close's image write.
  std::vector<bool> is_free;
  if (has_erased_) {
    is_free.resize(id_count_);
    for (std::uint32_t id : free_ids_)
      is_free[id] = true;
  }
  std::vector<std::uint32_t> kept;
  kept.reserve(size_);
  for (std::uint32_t id : sorted_ids()) {
    if (!is_unordered(id) && !(has_erased_ && is_free[id])) kept.push_back(id);
    if (stop()) return false;
  }
  std::vector<std::uint32_t> fresh, taken;  // taken: ids whose flag was cleared
  for (std::uint32_t id : unordered_) {
    if (!is_unordered(id)) continue;  // listed twice
    is_unordered_[id] = false;
    taken.push_back(id);
    if (at(id).live) fresh.push_back(id);
  }
  auto less = [this](std::uint32_t a, std::uint32_t b) {
    return at(a).key.view() < at(b).key.view();
  };
  // Sorted in runs (of 8,192 keys, a few milliseconds, when asked to give up; else one), the
  // runs merged pairwise, then merged with the kept ones: each step asks give_up.
  const std::size_t run = give_up ? 8192 : std::max<std::size_t>(fresh.size(), 1);
  std::vector<std::uint32_t> merged;
  bool done = true;
  for (std::size_t from = 0; done && from < fresh.size(); from += run) {
    std::sort(fresh.begin() + static_cast<std::ptrdiff_t>(from),
              fresh.begin() + static_cast<std::ptrdiff_t>(std::min(from + run, fresh.size())),
              less);
    done = !(give_up && give_up());
  }
  for (std::size_t width = run; done && width < fresh.size(); width *= 2) {
    merged.clear();
    merged.reserve(fresh.size());
    for (std::size_t from = 0; done && from < fresh.size(); from += 2 * width) {
      std::span<const std::uint32_t> all(fresh);
      std::size_t middle = std::min(from + width, fresh.size());
      std::size_t end = std::min(from + 2 * width, fresh.size());
      done = merge_until(all.subspan(from, middle - from), all.subspan(middle, end - middle),
                         merged, less, stop);
    }
    fresh.swap(merged);
  }
  merged.clear();
  merged.reserve(kept.size() + fresh.size());
  if (!done || !merge_until(kept, fresh, merged, less, stop)) {
    for (std::uint32_t id : taken)  // as it was: a later merge does it all again
      is_unordered_[id] = true;
    return false;
  }
  sorted_ = std::move(merged);
  sorted_view_ = sorted_;
  unordered_.clear();
  unordered_.shrink_to_fit();
  has_erased_ = false;
  return true;
}

void KeyTable::visit_ordered(std::string_view prefix, std::string_view after,
                             const std::function<bool(std::uint32_t, const KeyEntry&)>& fn) const {
  std::lock_guard lock(order_mutex_);
  merge_order();
  auto key_of = [this](std::uint32_t id) { return at(id).key.view(); };
  std::span<const std::uint32_t> sorted = sorted_ids();
  auto it =
      (after >= prefix)
          ? std::upper_bound(sorted.begin(), sorted.end(), after,
                             [&](std::string_view k, std::uint32_t id) { return k < key_of(id); })
          : std::lower_bound(sorted.begin(), sorted.end(), prefix,
                             [&](std::uint32_t id, std::string_view k) { return key_of(id) < k; });
  for (; it != sorted.end(); ++it) {
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
  // Entries not yet handed out are never touched, so they take no memory. Mapped arrays are
  // counted too: they are the keydir's size, whether in the page cache or copied.
  std::lock_guard lock(order_mutex_);  // a reader may be merging the sorted view
  return std::size_t{id_count_} * sizeof(KeyEntry) + (std::size_t{mask_} + 1) * sizeof(Slot) +
         (sorted_view_.size() + unordered_.capacity() + free_ids_.capacity() +
          mapped_free_ids_.size()) *
             sizeof(std::uint32_t) +
         heap_key_bytes_;
}

std::size_t KeyTable::heap_bytes() const {
  std::lock_guard lock(order_mutex_);
  std::size_t mapped_ids =
      mapped_chunks_ == 0 ? 0 : std::min<std::size_t>(chunk_start(mapped_chunks_), id_count_);
  return (id_count_ - mapped_ids) * sizeof(KeyEntry) + own_slots_.size() * sizeof(Slot) +
         (sorted_.capacity() + unordered_.capacity() + free_ids_.capacity() +
          heap_keys_in_mapped_chunks_.capacity()) *
             sizeof(std::uint32_t) +
         is_unordered_.capacity() / 8 + heap_key_bytes_;
}

}  // namespace nadb::engine

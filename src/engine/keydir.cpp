#include "engine/keydir.hpp"

#include <algorithm>
#include <span>

#include "engine/namespace_reader.hpp"
#include "nadb/errors.hpp"
#include "util/copied_pages.hpp"

namespace nadb::engine {

NamespaceKeys* Keydir::find(std::string_view ns) {
  auto it = namespaces_.find(ns);
  return it == namespaces_.end() ? nullptr : it->second.get();
}

const NamespaceKeys* Keydir::find(std::string_view ns) const {
  auto it = namespaces_.find(ns);
  return it == namespaces_.end() ? nullptr : it->second.get();
}

NamespaceKeys& Keydir::find_or_create(std::string_view ns) {
  if (NamespaceKeys* existing = find(ns)) return *existing;
  return *namespaces_.emplace(std::string(ns), std::make_unique<NamespaceKeys>()).first->second;
}

void Keydir::retire(NamespaceKeys& ns, std::uint32_t id) {
  KeyEntry& old = ns.keys.at(id);
  dead_bytes_[old.segment] += old.record_size;
  tag_sets_.release(old.tag_set);
  ns.expiry.remove(old.expires_ms, id);
}

bool Keydir::install_if_newer(const LocatedRecord& r, std::uint64_t floor) {
  NamespaceKeys& ns = find_or_create(r.fields.ns);
  std::uint32_t id = ns.keys.find(r.fields.key);
  if (r.fields.seq <= floor || (id != KeyTable::kNoId && ns.keys.at(id).version >= r.fields.seq)) {
    return false;
  }
  bool existed = id != KeyTable::kNoId;
  bool is_put = r.fields.type == RecordType::Put;
  KeyTable::Location location{r.segment, r.offset};
  if (is_put && !existed) id = ns.keys.insert(r.fields.key, location);
  if (!ns.index || !ns.index_built.load(std::memory_order_relaxed)) {
    // Not built yet: the build will see this write; the index only learns that something
    // changed (its write generation: cached query answers must not survive the write).
    if (existed || is_put) note_index_image_change(ns, id, existed);
    static const std::vector<std::string_view> kNoTags;
    if (ns.index) ns.index->on_added(kNoTags, {});
  } else if (existed || is_put) {
    // Before the old tag set is released: the views point into it.
    before_.clear();
    if (existed) {
      for (const auto& tag : tag_sets_.tags(ns.keys.at(id).tag_set))
        before_.push_back(tag);
    }
    ns.index->on_change(id, existed ? &before_ : nullptr, is_put ? &r.fields.tags : nullptr);
  }
  if (existed) retire(ns, id);
  if (!is_put) {
    tombstone_bytes_[r.segment] += r.size;
    if (existed) ns.keys.erase(id);
    return true;
  }
  KeyEntry& e = ns.keys.at(id);
  e.version = r.fields.seq;
  e.created_ms = r.fields.created_ms;
  e.updated_ms = r.fields.updated_ms;
  e.expires_ms = r.fields.expires_ms;
  if (existed) ns.keys.locate(id, location);
  e.record_size = r.size;
  e.raw_size = static_cast<std::uint32_t>(r.fields.raw_size);
  e.stored_size = static_cast<std::uint32_t>(r.value_size);
  e.codec = r.fields.codec;
  e.tag_set = tag_sets_.acquire(r.fields.tags);
  ns.expiry.add(e.expires_ms, id);
  return true;
}

bool Keydir::relocate(std::string_view ns_name, std::string_view key, const LocatedRecord& from,
                      std::uint32_t segment, std::uint32_t offset) {
  NamespaceKeys* ns = find(ns_name);
  std::uint32_t id = ns == nullptr ? KeyTable::kNoId : ns->keys.find(key);
  if (id != KeyTable::kNoId) {
    const KeyEntry& e = ns->keys.at(id);
    if (e.segment == from.segment && e.offset == from.offset) {
      ns->keys.locate(id, {segment, offset});
      return true;
    }
  }
  dead_bytes_[segment] += from.size;
  return false;
}

void Keydir::attach_index(NamespaceKeys& ns, std::shared_ptr<IndexSink> index) {
  ns.index = std::move(index);
  ns.index_built.store(false, std::memory_order_release);
  ns.index->clear();  // its old postings go now, and answers cached from them are stale
}

void Keydir::note_index_image_change(NamespaceKeys& ns, std::uint32_t id, bool existed) {
  // Beyond this many, building from the keys costs less than keeping what changed.
  constexpr std::size_t kMaxChanges = 1 << 16;
  NamespaceKeys::IndexImage& image = ns.index_image;
  if (image.bytes.empty() || image.changes.count(id) != 0) return;  // the first change counts
  if (image.changes.size() >= kMaxChanges) {
    image = {};
    return;
  }
  std::optional<std::vector<std::string>> before;
  if (existed) {
    std::vector<std::string_view> tags = tag_sets_.tags(ns.keys.at(id).tag_set);
    before.emplace(tags.begin(), tags.end());
  }
  image.changes.emplace(id, std::move(before));
}

bool NamespaceKeys::IndexImage::intact() const {
  if (bytes.empty()) return false;
  try {
    blocks->ensure(bytes.data(), bytes.size());
  } catch (const Corruption&) {  // the image is set aside; the keys may still be intact
    return false;
  }
  return true;
}

bool Keydir::load_index_image(const NamespaceKeys& ns) const {
  const NamespaceKeys::IndexImage& image = ns.index_image;
  if (!image.intact() || !ns.index->load_image(image.bytes)) return false;
  std::vector<std::string_view> before, after;
  for (const auto& [id, tags] : image.changes) {
    if (tags) before.assign(tags->begin(), tags->end());
    bool live = id < ns.keys.id_limit() && ns.keys.at(id).live;
    if (live) after = tag_sets_.tags(ns.keys.at(id).tag_set);
    ns.index->on_change(id, tags ? &before : nullptr, live ? &after : nullptr);
  }
  return true;
}

void Keydir::build_index(const NamespaceKeys& ns) const {
  if (!ns.index || ns.index_built.load(std::memory_order_acquire)) return;
  std::lock_guard lock(ns.index_build_mutex);
  if (ns.index_built.load(std::memory_order_acquire)) return;  // another reader built it
  bool loaded = load_index_image(ns);
  ns.index_image = {};
  ns.index_unsaved.store(!loaded, std::memory_order_relaxed);
  if (loaded) {
    ns.index_built.store(true, std::memory_order_release);
    return;
  }
  ns.index->clear();
  // Keys grouped by tag set (a counting sort; ids stay ascending within a set), so that the
  // index looks each tag up once per set instead of once per key.
  std::vector<std::uint32_t> start(tag_sets_.id_limit() + 1, 0);
  ns.keys.for_each([&](std::uint32_t, const KeyEntry& e) { ++start[e.tag_set + 1]; });
  for (std::size_t set = 1; set < start.size(); ++set)
    start[set] += start[set - 1];
  std::vector<std::uint32_t> ids(ns.keys.size());
  std::vector<std::uint32_t> next(start.begin(), start.end() - 1);
  std::vector<std::string_view> tags;
  ns.keys.for_each([&](std::uint32_t id, const KeyEntry& e) { ids[next[e.tag_set]++] = id; });
  for (std::uint32_t set = 0; set + 1 < start.size(); ++set) {
    if (start[set] == start[set + 1]) continue;
    tags = tag_sets_.tags(set);
    ns.index->on_added(tags, std::span(ids).subspan(start[set], start[set + 1] - start[set]));
  }
  ns.index->optimize();
  ns.index_built.store(true, std::memory_order_release);
}

std::shared_ptr<IndexSink> Keydir::attach_index(std::string_view ns_name,
                                                std::shared_ptr<IndexSink> sink, bool rebuild) {
  NamespaceKeys& ns = find_or_create(ns_name);
  if (ns.index && !rebuild) return ns.index;
  if (rebuild) ns.index_image = {};  // asked to rebuild: from the keys, not from a saved image
  std::shared_ptr<IndexSink> index = ns.index ? ns.index : std::move(sink);
  attach_index(ns, index);
  return index;
}

RecordMeta Keydir::meta_of(const KeyEntry& e, bool with_tags) const {
  RecordMeta meta;
  if (with_tags) {
    std::vector<std::string_view> tags = tag_sets_.tags(e.tag_set);
    meta.tags.assign(tags.begin(), tags.end());
  }
  meta.version = e.version;
  meta.created_ms = e.created_ms;
  meta.updated_ms = e.updated_ms;
  meta.expires_ms = e.expires_ms;
  meta.raw_size = e.raw_size;
  meta.stored_size = e.stored_size;
  meta.codec = e.codec;
  return meta;
}

KeyPage Keydir::scan(std::string_view ns, std::string_view prefix, std::string_view cursor,
                     std::size_t limit, std::int64_t now_ms) const {
  KeyPage page;
  const NamespaceKeys* keys = find(ns);
  if (keys == nullptr || limit == 0) return page;
  bool more = false;
  keys->keys.visit_ordered(prefix, cursor, [&](std::uint32_t, const KeyEntry& e) {
    if (e.expired_at(now_ms)) return true;
    if (page.keys.size() == limit) {
      more = true;
      return false;
    }
    page.keys.emplace_back(e.key.view());
    return true;
  });
  if (more) page.next_cursor = page.keys.back();
  return page;
}

std::size_t Keydir::count(std::string_view ns, std::int64_t now_ms) const {
  const NamespaceKeys* keys = find(ns);
  return keys == nullptr ? 0 : keys->keys.size() - keys->expiry.expired_count(now_ms);
}

void Keydir::read(std::string_view ns, const std::function<void(const KeyIdReader&)>& fn) const {
  static const NamespaceKeys kEmpty;
  const NamespaceKeys* keys = find(ns);
  if (keys != nullptr) build_index(*keys);
  fn(NamespaceReader(keys == nullptr ? kEmpty : *keys, tag_sets_));
}

std::uint64_t Keydir::dead_bytes(std::uint32_t segment) const {
  auto it = dead_bytes_.find(segment);
  return it == dead_bytes_.end() ? 0 : it->second;
}

std::uint64_t Keydir::tombstone_bytes(std::uint32_t segment) const {
  auto it = tombstone_bytes_.find(segment);
  return it == tombstone_bytes_.end() ? 0 : it->second;
}

void Keydir::forget_segment(std::uint32_t segment) {
  dead_bytes_.erase(segment);
  tombstone_bytes_.erase(segment);
}

std::vector<std::string> Keydir::namespace_names() const {
  std::vector<std::string> names;
  for (const auto& [name, ns] : namespaces_) {
    if (ns->keys.size() > 0) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::map<std::string, std::shared_ptr<IndexSink>> Keydir::indexes() const {
  std::map<std::string, std::shared_ptr<IndexSink>> out;
  for (const auto& [name, ns] : namespaces_) {
    if (ns->index) out[name] = ns->index;
  }
  return out;
}

bool Keydir::has_unsaved_index() const {
  // save_image() serialises the index to learn whether it has anything to save: only after a
  // build from the keys, which cost more.
  for (const auto& [name, ns] : namespaces_) {
    if (ns->index && ns->index_built.load(std::memory_order_acquire) &&
        ns->index_unsaved.load(std::memory_order_relaxed) && !ns->index->save_image().empty()) {
      return true;
    }
  }
  return false;
}

std::size_t Keydir::memory_bytes() const {
  std::size_t bytes = tag_sets_.memory_bytes();
  for (const auto& [name, ns] : namespaces_) {
    bytes += ns->keys.memory_bytes() + ns->expiry.memory_bytes();
  }
  return bytes;
}

std::size_t Keydir::private_bytes() const {
  std::size_t bytes = tag_sets_.table().heap_bytes();
  for (const auto& [name, ns] : namespaces_)
    bytes += ns->keys.heap_bytes();
  if (image_) bytes += util::copied_bytes(image_->body(), image_->size()).value_or(0);
  return bytes;
}

void Keydir::take_indexes(const Keydir& from) {
  for (const auto& [name, old] : from.namespaces_) {
    if (!old->index) continue;
    NamespaceKeys& ns = find_or_create(name);
    ns.index = old->index;
    if (old->index_built.load(std::memory_order_acquire)) {
      ns.index_image = {};
      ns.index_unsaved.store(old->index_unsaved.load());
      ns.index_built.store(true, std::memory_order_release);
    }
  }
}

}  // namespace nadb::engine
